/* codec_value.c -- any term as a C tree (cnif_value) and back. Recursion is
** bounded by CNIF_MAX_DEPTH, so no input can exhaust the C stack. */
#include "internal.h"
#include <string.h>

/* The kind of an item a constructor made and nothing set yet: no kind a
** decoded tree has, so encoding one is the mistake it is. */
#define CNIF__VALUE_UNSET ((cnif_value_kind)-1)

/* The most items a tuple holds (erts' MAX_ARITY): erl_nif does not check. */
#define CNIF__TUPLE_MAX 16777215

/* A hand-built tree's items (or bytes) at NULL, which would be read. */
static void cnif__items_check(cnif_env *env, const char *what,
                              const void *items, size_t len)
{
    if (len && !items)
        cnif_panic(env, "cannot encode a %s of %zu items at NULL", what, len);
}

/* External term format tags for big integers (erts' external.h). */
#define CNIF__ETF_VERSION 131
#define CNIF__ETF_SMALL_BIG 110
#define CNIF__ETF_LARGE_BIG 111

static void cnif__binary_release(void *arg)
{
    enif_release_binary(arg);
}

/* The magnitude of a big integer, read from its external term format, which
** the release registered beforehand keeps alive until the call ends. */
static bool cnif__bigint_decode(cnif_env *env, ERL_NIF_TERM term,
                                cnif_value *out)
{
    ErlNifBinary *etf = cnif_alloc(env, sizeof *etf);
    size_t header;

    if (!enif_term_to_binary(env->head.nif, term, etf))
        cnif_panic(env, "out of memory: cannot read a big integer");
    cnif__defer_own(env, cnif__binary_release, etf);
    header = etf->data[1] == CNIF__ETF_SMALL_BIG ? 4 : 7;
    out->kind = CNIF_VALUE_BIGINT;
    out->bigint.negative = etf->data[header - 1] != 0;
    out->bigint.magnitude = etf->data + header;
    out->bigint.size = etf->size - header;
    return true;
}

static ERL_NIF_TERM cnif__bigint_encode(cnif_env *env, cnif_value v)
{
    const unsigned char *m = v.bigint.magnitude;
    size_t size = v.bigint.size;
    unsigned char *etf;
    ERL_NIF_TERM term;

    cnif__items_check(env, "big integer's magnitude", m, size);
    while (size && m[size - 1] == 0)
        size--; /* the external format wants no high zero bytes */
    if (size > UINT32_MAX)
        cnif_panic(env, "cannot encode a big integer of %zu bytes", size);
    etf = cnif_alloc(env, size + 7);
    etf[0] = CNIF__ETF_VERSION;
    etf[1] = CNIF__ETF_LARGE_BIG;
    etf[2] = (unsigned char)(size >> 24);
    etf[3] = (unsigned char)(size >> 16);
    etf[4] = (unsigned char)(size >> 8);
    etf[5] = (unsigned char)size;
    etf[6] = v.bigint.negative && size;
    if (size)
        memcpy(etf + 7, m, size);
    if (!enif_binary_to_term(env->head.nif, etf, size + 7, &term, 0))
        cnif_panic(env, "cannot encode a big integer of %zu bytes", size);
    return term;
}

static bool cnif__items_decode(cnif_env *env, const ERL_NIF_TERM *terms,
                               size_t len, cnif_value **items)
{
    *items = cnif_alloc(env, len * sizeof **items);
    for (size_t i = 0; i < len; i++)
        if (!CNIF_DECODE_AT_INDEX(env, cnif_value, terms[i], i, &(*items)[i]))
            return false;
    return true;
}

static bool cnif__list_decode(cnif_env *env, ERL_NIF_TERM term,
                              cnif_value *out)
{
    ErlNifEnv *nif = env->head.nif;
    ERL_NIF_TERM head, rest = term;
    size_t len = 0;

    while (enif_get_list_cell(nif, rest, &head, &rest))
        len++;
    out->kind = CNIF_VALUE_LIST;
    out->list.len = len;
    out->list.items = cnif_alloc(env, len * sizeof *out->list.items);
    out->list.tail = NULL;
    for (size_t i = 0; enif_get_list_cell(nif, term, &head, &term); i++)
        if (!CNIF_DECODE_AT_INDEX(env, cnif_value, head, i,
                                  &out->list.items[i]))
            return false;
    if (!enif_is_empty_list(nif, term)) {
        out->list.tail = cnif_alloc(env, sizeof *out->list.tail);
        return cnif_decode_cnif_value(env, term, out->list.tail)
               || cnif_path_key(env, "tail");
    }
    return true;
}

static bool cnif__map_decode(cnif_env *env, ERL_NIF_TERM term, cnif_value *out)
{
    cnif_map_iter it = cnif_map_iter_start(env, (cnif_map){term});
    ERL_NIF_TERM key, value;
    size_t size = 0;

    enif_get_map_size(env->head.nif, term, &size);
    out->kind = CNIF_VALUE_MAP;
    out->map.len = size;
    out->map.keys = cnif_alloc(env, size * sizeof *out->map.keys);
    out->map.values = cnif_alloc(env, size * sizeof *out->map.values);
    for (size_t i = 0; cnif_map_iter_next(env, it, &key, &value); i++)
        if (!cnif_decode_cnif_value(env, key, &out->map.keys[i])
            || !CNIF_DECODE_AT_INDEX(env, cnif_value, value, i,
                                     &out->map.values[i]))
            return false;
    return true;
}

static bool cnif__value_decode(cnif_env *env, ERL_NIF_TERM term,
                               cnif_value *out)
{
    ErlNifEnv *nif = env->head.nif;
    const ERL_NIF_TERM *items;
    int arity;

    switch (enif_term_type(nif, term)) {
    case ERL_NIF_TERM_TYPE_INTEGER:
        out->kind = CNIF_VALUE_INTEGER;
        return cnif__get_i64(nif, term, &out->integer)
               || cnif__bigint_decode(env, term, out);
    case ERL_NIF_TERM_TYPE_FLOAT:
        out->kind = CNIF_VALUE_FLOAT;
        return enif_get_double(nif, term, &out->flt);
    case ERL_NIF_TERM_TYPE_ATOM:
        out->kind = CNIF_VALUE_ATOM;
        if (cnif_decode_cnif_atom(env, term, &out->atom))
            return true;
        break; /* an atom holding NUL has no C text: a term */
    case ERL_NIF_TERM_TYPE_BITSTRING:
        out->kind = CNIF_VALUE_BINARY;
        if (enif_is_binary(nif, term))
            return cnif_decode_cnif_bin(env, term, &out->binary);
        break; /* a bitstring that is not whole bytes stays a term */
    case ERL_NIF_TERM_TYPE_LIST:
        return cnif__list_decode(env, term, out);
    case ERL_NIF_TERM_TYPE_TUPLE:
        enif_get_tuple(nif, term, &arity, &items);
        out->kind = CNIF_VALUE_TUPLE;
        out->tuple.len = (size_t)arity;
        return cnif__items_decode(env, items, (size_t)arity, &out->tuple.items);
    case ERL_NIF_TERM_TYPE_MAP:
        return cnif__map_decode(env, term, out);
    default:
        break;
    }
    out->kind = CNIF_VALUE_TERM;
    out->term = term;
    return true;
}

bool cnif_decode_cnif_value(cnif_env *env, ERL_NIF_TERM term, cnif_value *out)
{
    bool ok;
    if (!cnif_depth_enter(env))
        return false;
    ok = cnif__value_decode(env, term, out);
    cnif_depth_leave(env);
    return ok;
}

static ERL_NIF_TERM *cnif__items_encode(cnif_env *env, const cnif_value *items,
                                        size_t len)
{
    ERL_NIF_TERM *terms = cnif_alloc(env, len * sizeof *terms);
    for (size_t i = 0; i < len; i++)
        terms[i] = cnif_encode_cnif_value(env, items[i]);
    return terms;
}

static ERL_NIF_TERM cnif__value_encode(cnif_env *env, cnif_value v)
{
    ErlNifEnv *nif = env->head.nif;
    ERL_NIF_TERM out;

    switch (v.kind) {
    case CNIF_VALUE_INTEGER:
        return cnif__make_i64(nif, v.integer);
    case CNIF_VALUE_BIGINT:
        return cnif__bigint_encode(env, v);
    case CNIF_VALUE_FLOAT:
        return cnif_encode_double(env, v.flt);
    case CNIF_VALUE_ATOM:
        return cnif_encode_cnif_atom(env, v.atom);
    case CNIF_VALUE_BINARY:
        return cnif_encode_cnif_bin(env, v.binary);
    case CNIF_VALUE_LIST:
        cnif__items_check(env, "list", v.list.items, v.list.len);
        out = v.list.tail ? cnif_encode_cnif_value(env, *v.list.tail)
                          : enif_make_list(nif, 0);
        for (size_t i = v.list.len; i > 0; i--)
            out = enif_make_list_cell(
                nif, cnif_encode_cnif_value(env, v.list.items[i - 1]), out);
        return out;
    case CNIF_VALUE_TUPLE:
        cnif__items_check(env, "tuple", v.tuple.items, v.tuple.len);
        if (v.tuple.len > CNIF__TUPLE_MAX)
            cnif_panic(env, "cannot encode a tuple of %zu items: the most is "
                            "%d", v.tuple.len, CNIF__TUPLE_MAX);
        return enif_make_tuple_from_array(
            nif, cnif__items_encode(env, v.tuple.items, v.tuple.len),
            (unsigned)v.tuple.len);
    case CNIF_VALUE_MAP:
        cnif__items_check(env, "map", v.map.keys, v.map.len);
        cnif__items_check(env, "map", v.map.values, v.map.len);
        if (!cnif__map_make(nif, cnif__items_encode(env, v.map.keys, v.map.len),
                            cnif__items_encode(env, v.map.values, v.map.len),
                            v.map.len, &out))
            cnif_panic(env, "cannot encode a map with duplicate keys");
        return out;
    case CNIF_VALUE_TERM:
        return v.term;
    }
    if (v.kind == CNIF__VALUE_UNSET)
        cnif_panic(env, "cannot encode a cnif_value that was never set: an "
                        "item of cnif_value_tuple, _list or _map");
    cnif_panic(env, "cannot encode a value of unknown kind %d", (int)v.kind);
}

ERL_NIF_TERM cnif_encode_cnif_value(cnif_env *env, cnif_value value)
{
    ERL_NIF_TERM out;
    if (env->depth == CNIF_MAX_DEPTH)
        cnif_panic(env, "cannot encode a value nested deeper than %d levels",
                   CNIF_MAX_DEPTH);
    env->depth++;
    out = cnif__value_encode(env, value);
    env->depth--;
    return out;
}

cnif_value cnif_value_binary(cnif_env *env, const void *data, size_t size)
{
    cnif_value v = {.kind = CNIF_VALUE_BINARY};
    unsigned char *copy;

    if (size && !data)
        cnif_panic(env, "cnif_value_binary: %zu bytes at NULL", size);
    copy = cnif_alloc(env, size);
    if (size)
        memcpy(copy, data, size);
    v.binary = (cnif_bin){copy, size, 0};
    return v;
}

cnif_value cnif_value_text(cnif_env *env, const char *text)
{
    if (!text)
        cnif_panic(env, "cnif_value_text: NULL text");
    return cnif_value_binary(env, text, strlen(text));
}

/* n items not set yet (see CNIF__VALUE_UNSET). */
static cnif_value *cnif__items_unset(cnif_env *env, size_t n)
{
    cnif_value *items;

    if (n > CNIF__SIZE_MAX / sizeof *items)
        cnif_panic(env, "out of memory: cannot allocate %zu items", n);
    items = cnif_alloc(env, n * sizeof *items);
    for (size_t i = 0; i < n; i++)
        items[i].kind = CNIF__VALUE_UNSET;
    return items;
}

cnif_value cnif_value_tuple(cnif_env *env, size_t n)
{
    cnif_value v = {.kind = CNIF_VALUE_TUPLE};
    v.tuple.items = cnif__items_unset(env, n);
    v.tuple.len = n;
    return v;
}

cnif_value cnif_value_list(cnif_env *env, size_t n)
{
    cnif_value v = {.kind = CNIF_VALUE_LIST};
    v.list.items = cnif__items_unset(env, n);
    v.list.len = n;
    v.list.tail = NULL;
    return v;
}

cnif_value cnif_value_map(cnif_env *env, size_t n)
{
    cnif_value v = {.kind = CNIF_VALUE_MAP};
    v.map.keys = cnif__items_unset(env, n);
    v.map.values = cnif__items_unset(env, n);
    v.map.len = n;
    return v;
}

/* &items[i] of a container, after checking it: fn is the function asking,
** kind_ok whether the container is of a kind it sets items of. */
static cnif_value *cnif__slot(cnif_env *env, const char *fn, bool kind_ok,
                              const char *expected, cnif_value *items,
                              size_t len, size_t i)
{
    if (!kind_ok)
        cnif_panic(env, "%s: the container is not %s", fn, expected);
    if (i >= len)
        cnif_panic(env, "%s: index %zu is past the end of %zu item%s", fn, i,
                   len, len == 1 ? "" : "s");
    if (!items)
        cnif_panic(env, "%s: the container's items are at NULL", fn);
    return &items[i];
}

void cnif_value_item_set(cnif_env *env, cnif_value *container, size_t i,
                         cnif_value item)
{
    bool tuple = container && container->kind == CNIF_VALUE_TUPLE;
    bool list = container && container->kind == CNIF_VALUE_LIST;

    *cnif__slot(env, "cnif_value_item_set", tuple || list, "a tuple or list",
                tuple ? container->tuple.items
                      : list ? container->list.items : NULL,
                tuple ? container->tuple.len : list ? container->list.len : 0,
                i) = item;
}

void cnif_value_pair_set(cnif_env *env, cnif_value *map, size_t i,
                         cnif_value key, cnif_value value)
{
    static const char fn[] = "cnif_value_pair_set";
    bool ok = map && map->kind == CNIF_VALUE_MAP;
    size_t len = ok ? map->map.len : 0;

    *cnif__slot(env, fn, ok, "a map", ok ? map->map.keys : NULL, len, i) = key;
    *cnif__slot(env, fn, ok, "a map", ok ? map->map.values : NULL, len, i) =
        value;
}

ERL_NIF_TERM cnif_value_encode(cnif_env *env, ErlNifEnv *to, cnif_value value)
{
    ERL_NIF_TERM term;

    if (!to)
        cnif_panic(env, "cnif_value_encode: NULL env");
    term = cnif_encode_cnif_value(env, value);
    return to == env->head.nif ? term : enif_make_copy(to, term);
}
