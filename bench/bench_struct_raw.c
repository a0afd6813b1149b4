/* bench_struct_raw.c -- the baseline of the struct benchmarks of
** `make bench`: bench_struct_cnif.c's 26-field order written by hand
** against erl_nif, as a careful person would: every atom (keys, enum
** values, true/false, the record tag and the Elixir module) made once at
** load; a map read with one enif_get_map_value per key, a record with
** enif_get_tuple and a tag check; built back with enif_make_map_from_arrays
** and enif_make_tuple_from_array. It accepts and rejects exactly what cnif
** does: the same integer ranges, integers as floats, binaries or iolists
** for the text and bytes fields, UTF-8 checked for the text ones, unknown
** map keys ignored. Only the error is less precise (a plain badarg). */
#include <erl_nif.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define FIELDS 26

/* A binary field: a view of the bytes and the term they came from (0 if
** they were flattened from an iolist), so that encoding returns the term. */
typedef struct bytes {
    const unsigned char *data;
    size_t size;
    ERL_NIF_TERM term;
} bytes;

typedef struct order {
    ErlNifSInt64 id, account;
    bytes symbol, venue, client_ref;
    int side, type, tif, status;
    ErlNifSInt64 quantity, filled;
    double price, stop_price, avg_price, fee;
    ErlNifSInt64 created_us, updated_us, expires_us;
    uint8_t priority;
    uint16_t retries;
    unsigned flags;
    int leverage;
    bool reduce_only, post_only, hidden;
    bytes trader;
} order;

/* The keys in field order, then __struct__. */
static const char *const key_names[FIELDS + 1] = {
    "id", "account", "symbol", "venue", "client_ref", "side", "type", "tif",
    "status", "quantity", "filled", "price", "stop_price", "avg_price", "fee",
    "created_us", "updated_us", "expires_us", "priority", "retries", "flags",
    "leverage", "reduce_only", "post_only", "hidden", "trader", "__struct__"};
static ERL_NIF_TERM keys[FIELDS + 1];

/* Where each field's value goes (the last: __struct__'s): in field order,
** or at its key's place in term order (the keys sorted by hand, checked at
** load), which erts's insertion sort of a small map's keys then passes
** over. sorted_keys is keys in that order: __struct__ first, then the
** map's 26. */
static const int in_field_order[FIELDS + 1] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
    14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26};
static const int in_key_order[FIELDS + 1] = {
    10, 1, 21, 26, 3, 18, 24, 22, 19, 15, 7, 13, 20, 2,
    6, 4, 25, 5, 14, 17, 8, 11, 16, 12, 9, 23, 0};
static ERL_NIF_TERM sorted_keys[FIELDS + 1];
static ERL_NIF_TERM atom_true, atom_false, atom_tag, atom_module;

/* The enums: atom i is the C value i. */
static const char *const side_names[] = {"buy", "sell"};
static const char *const type_names[] = {"market", "limit", "stop", "stop_limit"};
static const char *const tif_names[] = {"gtc", "ioc", "fok", "day"};
static const char *const status_names[] = {"new", "partial", "filled",
                                           "cancelled", "rejected"};
static ERL_NIF_TERM side_atoms[2], type_atoms[4], tif_atoms[4], status_atoms[5];
#define COUNT(a) (int)(sizeof a / sizeof *a)

static int get_enum(ERL_NIF_TERM t, const ERL_NIF_TERM *atoms, int n, int *out)
{
    for (int i = 0; i < n; i++) {
        if (t == atoms[i]) {
            *out = i;
            return 1;
        }
    }
    return 0;
}

static int get_bool(ERL_NIF_TERM t, bool *out)
{
    if (t != atom_true && t != atom_false)
        return 0;
    *out = t == atom_true;
    return 1;
}

/* A float, or an integer in int64 or uint64 range. */
static int get_double(ErlNifEnv *env, ERL_NIF_TERM t, double *out)
{
    ErlNifSInt64 i;
    ErlNifUInt64 u;

    if (enif_get_double(env, t, out))
        return 1;
    if (enif_get_int64(env, t, &i)) {
        *out = (double)i;
        return 1;
    }
    if (enif_get_uint64(env, t, &u)) {
        *out = (double)u;
        return 1;
    }
    return 0;
}

/* Well-formed UTF-8 (no overlongs, no surrogates, nothing above
** U+10FFFF), eight ASCII bytes at a time where it can. */
static bool utf8_valid(const unsigned char *s, size_t size)
{
    const unsigned char *end = s + size;

    while (s < end) {
        if (end - s >= 8) {
            uint64_t word;
            memcpy(&word, s, 8);
            if (!(word & 0x8080808080808080ULL)) {
                s += 8;
                continue;
            }
        }
        unsigned char c = *s;
        if (c < 0x80) {
            s++;
            continue;
        }
        size_t need;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            lo = c == 0xE0 ? 0xA0 : lo;
            hi = c == 0xED ? 0x9F : hi;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            lo = c == 0xF0 ? 0x90 : lo;
            hi = c == 0xF4 ? 0x8F : hi;
        } else {
            return false;
        }
        if ((size_t)(end - s) <= need || s[1] < lo || s[1] > hi)
            return false;
        for (size_t i = 2; i <= need; i++)
            if ((s[i] & 0xC0) != 0x80)
                return false;
        s += need + 1;
    }
    return true;
}

/* A binary, or an iolist flattened for the rest of the call. */
static int get_bytes(ErlNifEnv *env, ERL_NIF_TERM t, bytes *out)
{
    ErlNifBinary bin;

    if (enif_inspect_binary(env, t, &bin))
        out->term = t;
    else if (enif_inspect_iolist_as_binary(env, t, &bin))
        out->term = 0;
    else
        return 0;
    out->data = bin.data;
    out->size = bin.size;
    return 1;
}

static int get_text(ErlNifEnv *env, ERL_NIF_TERM t, bytes *out)
{
    return get_bytes(env, t, out) && utf8_valid(out->data, out->size);
}

/* The 26 field values, in field order, into *o. */
static int get_fields(ErlNifEnv *env, const ERL_NIF_TERM *v, order *o)
{
    unsigned priority, retries;

    if (!enif_get_int64(env, v[0], &o->id) || !enif_get_int64(env, v[1], &o->account)
        || !get_text(env, v[2], &o->symbol) || !get_text(env, v[3], &o->venue)
        || !get_bytes(env, v[4], &o->client_ref)
        || !get_enum(v[5], side_atoms, COUNT(side_atoms), &o->side)
        || !get_enum(v[6], type_atoms, COUNT(type_atoms), &o->type)
        || !get_enum(v[7], tif_atoms, COUNT(tif_atoms), &o->tif)
        || !get_enum(v[8], status_atoms, COUNT(status_atoms), &o->status)
        || !enif_get_int64(env, v[9], &o->quantity)
        || !enif_get_int64(env, v[10], &o->filled)
        || !get_double(env, v[11], &o->price) || !get_double(env, v[12], &o->stop_price)
        || !get_double(env, v[13], &o->avg_price) || !get_double(env, v[14], &o->fee)
        || !enif_get_int64(env, v[15], &o->created_us)
        || !enif_get_int64(env, v[16], &o->updated_us)
        || !enif_get_int64(env, v[17], &o->expires_us)
        || !enif_get_uint(env, v[18], &priority) || priority > UINT8_MAX
        || !enif_get_uint(env, v[19], &retries) || retries > UINT16_MAX
        || !enif_get_uint(env, v[20], &o->flags) || !enif_get_int(env, v[21], &o->leverage)
        || !get_bool(v[22], &o->reduce_only) || !get_bool(v[23], &o->post_only)
        || !get_bool(v[24], &o->hidden) || !get_text(env, v[25], &o->trader))
        return 0;
    o->priority = (uint8_t)priority;
    o->retries = (uint16_t)retries;
    return 1;
}

static int get_map(ErlNifEnv *env, ERL_NIF_TERM map, order *o)
{
    ERL_NIF_TERM v[FIELDS];

    for (int i = 0; i < FIELDS; i++)
        if (!enif_get_map_value(env, map, keys[i], &v[i]))
            return 0;
    return get_fields(env, v, o);
}

static int get_elixir(ErlNifEnv *env, ERL_NIF_TERM map, order *o)
{
    ERL_NIF_TERM module;

    return enif_get_map_value(env, map, keys[FIELDS], &module)
           && module == atom_module && get_map(env, map, o);
}

static int get_record(ErlNifEnv *env, ERL_NIF_TERM t, order *o)
{
    const ERL_NIF_TERM *items;
    int arity;

    return enif_get_tuple(env, t, &arity, &items) && arity == FIELDS + 1
           && items[0] == atom_tag && get_fields(env, items + 1, o);
}

/* Inlined, as it was while put_fields was its only caller. */
static inline __attribute__((always_inline)) int
make_double(ErlNifEnv *env, double d, ERL_NIF_TERM *out)
{
    if (!isfinite(d))
        return 0;
    *out = enif_make_double(env, d);
    return 1;
}

static int make_enum(int value, const ERL_NIF_TERM *atoms, int n, ERL_NIF_TERM *out)
{
    if (value < 0 || value >= n)
        return 0;
    *out = atoms[value];
    return 1;
}

/* The term of the bytes: the one they were decoded from, or a new binary
** (of valid UTF-8 if text). */
static int make_bytes(ErlNifEnv *env, const bytes *b, bool text, ERL_NIF_TERM *out)
{
    unsigned char *data;

    if (b->term) {
        *out = b->term;
        return 1;
    }
    if ((b->size && !b->data) || (text && !utf8_valid(b->data, b->size)))
        return 0;
    data = enif_make_new_binary(env, b->size, out);
    if (!data)
        return 0;
    if (b->size)
        memcpy(data, b->data, b->size);
    return 1;
}

/* The 26 field values of *o into v, field i at v[at[i]]. Inlined with a
** constant table, the indices are constants: the code is that of writing
** them by hand (put_fields compiles to the very instructions it did when
** it wrote v[0], v[1], ... itself). */
static inline __attribute__((always_inline)) int put_fields_at(ErlNifEnv *env, const order *o,
                                ERL_NIF_TERM *v, const int *at)
{
    v[at[0]] = enif_make_int64(env, o->id);
    v[at[1]] = enif_make_int64(env, o->account);
    v[at[9]] = enif_make_int64(env, o->quantity);
    v[at[10]] = enif_make_int64(env, o->filled);
    v[at[15]] = enif_make_int64(env, o->created_us);
    v[at[16]] = enif_make_int64(env, o->updated_us);
    v[at[17]] = enif_make_int64(env, o->expires_us);
    v[at[18]] = enif_make_uint(env, o->priority);
    v[at[19]] = enif_make_uint(env, o->retries);
    v[at[20]] = enif_make_uint(env, o->flags);
    v[at[21]] = enif_make_int(env, o->leverage);
    v[at[22]] = o->reduce_only ? atom_true : atom_false;
    v[at[23]] = o->post_only ? atom_true : atom_false;
    v[at[24]] = o->hidden ? atom_true : atom_false;
    return make_bytes(env, &o->symbol, true, &v[at[2]])
           && make_bytes(env, &o->venue, true, &v[at[3]])
           && make_bytes(env, &o->client_ref, false, &v[at[4]])
           && make_enum(o->side, side_atoms, COUNT(side_atoms), &v[at[5]])
           && make_enum(o->type, type_atoms, COUNT(type_atoms), &v[at[6]])
           && make_enum(o->tif, tif_atoms, COUNT(tif_atoms), &v[at[7]])
           && make_enum(o->status, status_atoms, COUNT(status_atoms), &v[at[8]])
           && make_double(env, o->price, &v[at[11]])
           && make_double(env, o->stop_price, &v[at[12]])
           && make_double(env, o->avg_price, &v[at[13]])
           && make_double(env, o->fee, &v[at[14]])
           && make_bytes(env, &o->trader, true, &v[at[25]]);
}

/* The 26 field values of *o, in field order, into v. */
static int put_fields(ErlNifEnv *env, const order *o, ERL_NIF_TERM *v)
{
    return put_fields_at(env, o, v, in_field_order);
}

/* The same, each at its key's place in term order. */
static int put_fields_sorted(ErlNifEnv *env, const order *o, ERL_NIF_TERM *v)
{
    return put_fields_at(env, o, v, in_key_order);
}

/* bench_struct_cnif.c's checksum. */
static ERL_NIF_TERM checksum(ErlNifEnv *env, const order *o)
{
    uint64_t sum = (uint64_t)o->id + (uint64_t)o->account + o->symbol.size
                   + o->venue.size + o->client_ref.size + (uint64_t)o->side
                   + (uint64_t)o->type + (uint64_t)o->tif + (uint64_t)o->status
                   + (uint64_t)o->quantity + (uint64_t)o->filled
                   + (uint64_t)(int64_t)o->price + (uint64_t)(int64_t)o->stop_price
                   + (uint64_t)(int64_t)o->avg_price + (uint64_t)(int64_t)o->fee
                   + (uint64_t)o->created_us + (uint64_t)o->updated_us
                   + (uint64_t)o->expires_us + o->priority + o->retries
                   + o->flags + (uint64_t)(int64_t)o->leverage
                   + o->reduce_only + o->post_only + o->hidden
                   + o->trader.size;
    return enif_make_int64(env, (ErlNifSInt64)(sum & 0x7fffffffffffffff));
}

static ERL_NIF_TERM decode_map(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[])
{
    order o;
    (void)argc;
    return get_map(env, argv[0], &o) ? checksum(env, &o) : enif_make_badarg(env);
}

static ERL_NIF_TERM decode_elixir(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[])
{
    order o;
    (void)argc;
    return get_elixir(env, argv[0], &o) ? checksum(env, &o) : enif_make_badarg(env);
}

static ERL_NIF_TERM decode_record(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[])
{
    order o;
    (void)argc;
    return get_record(env, argv[0], &o) ? checksum(env, &o) : enif_make_badarg(env);
}

static ERL_NIF_TERM no_value(ErlNifEnv *env)
{
    return enif_raise_exception(env, enif_make_atom(env, "bad_value"));
}

static ERL_NIF_TERM roundtrip_map(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[])
{
    order o;
    ERL_NIF_TERM v[FIELDS], map;
    (void)argc;
    if (!get_map(env, argv[0], &o))
        return enif_make_badarg(env);
    if (!put_fields(env, &o, v) || !enif_make_map_from_arrays(env, keys, v, FIELDS, &map))
        return no_value(env);
    return map;
}

static ERL_NIF_TERM roundtrip_elixir(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[])
{
    order o;
    ERL_NIF_TERM v[FIELDS + 1], map;
    (void)argc;
    if (!get_elixir(env, argv[0], &o))
        return enif_make_badarg(env);
    v[FIELDS] = atom_module;
    if (!put_fields(env, &o, v)
        || !enif_make_map_from_arrays(env, keys, v, FIELDS + 1, &map))
        return no_value(env);
    return map;
}

/* roundtrip_map and roundtrip_elixir with the keys in term order:
** __struct__ sorts first, and a plain map's 26 keys are the rest. */
static ERL_NIF_TERM roundtrip_sorted(ErlNifEnv *env, ERL_NIF_TERM term, int elixir)
{
    order o;
    ERL_NIF_TERM v[FIELDS + 1], map;
    int first = !elixir;
    if (!(elixir ? get_elixir(env, term, &o) : get_map(env, term, &o)))
        return enif_make_badarg(env);
    v[in_key_order[FIELDS]] = atom_module;
    if (!put_fields_sorted(env, &o, v)
        || !enif_make_map_from_arrays(env, sorted_keys + first, v + first,
                                      FIELDS + 1 - first, &map))
        return no_value(env);
    return map;
}

static ERL_NIF_TERM roundtrip_map_sorted(ErlNifEnv *env, int argc,
                                         const ERL_NIF_TERM argv[])
{
    (void)argc;
    return roundtrip_sorted(env, argv[0], 0);
}

static ERL_NIF_TERM roundtrip_elixir_sorted(ErlNifEnv *env, int argc,
                                            const ERL_NIF_TERM argv[])
{
    (void)argc;
    return roundtrip_sorted(env, argv[0], 1);
}

static ERL_NIF_TERM roundtrip_record(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[])
{
    order o;
    ERL_NIF_TERM v[FIELDS + 1];
    (void)argc;
    if (!get_record(env, argv[0], &o))
        return enif_make_badarg(env);
    v[0] = atom_tag;
    if (!put_fields(env, &o, v + 1))
        return no_value(env);
    return enif_make_tuple_from_array(env, v, FIELDS + 1);
}

static void make_atoms(ErlNifEnv *env, const char *const *names, int n, ERL_NIF_TERM *out)
{
    for (int i = 0; i < n; i++)
        out[i] = enif_make_atom(env, names[i]);
}

static int load(ErlNifEnv *env, void **priv, ERL_NIF_TERM info)
{
    (void)priv, (void)info;
    make_atoms(env, key_names, FIELDS + 1, keys);
    for (int i = 0; i <= FIELDS; i++)
        sorted_keys[in_key_order[i]] = keys[i];
    for (int i = 1; i <= FIELDS; i++)
        if (enif_compare(sorted_keys[i - 1], sorted_keys[i]) >= 0)
            return 1; /* in_key_order is wrong */
    make_atoms(env, side_names, COUNT(side_atoms), side_atoms);
    make_atoms(env, type_names, COUNT(type_atoms), type_atoms);
    make_atoms(env, tif_names, COUNT(tif_atoms), tif_atoms);
    make_atoms(env, status_names, COUNT(status_atoms), status_atoms);
    atom_true = enif_make_atom(env, "true");
    atom_false = enif_make_atom(env, "false");
    atom_tag = enif_make_atom(env, "order");
    atom_module = enif_make_atom(env, "Elixir.Bench.Order");
    return 0;
}

static ErlNifFunc funcs[] = {
    {"decode_map", 1, decode_map, 0},
    {"decode_elixir", 1, decode_elixir, 0},
    {"decode_record", 1, decode_record, 0},
    {"roundtrip_map", 1, roundtrip_map, 0},
    {"roundtrip_elixir", 1, roundtrip_elixir, 0},
    {"roundtrip_record", 1, roundtrip_record, 0},
    {"roundtrip_map_sorted", 1, roundtrip_map_sorted, 0},
    {"roundtrip_elixir_sorted", 1, roundtrip_elixir_sorted, 0},
};

ERL_NIF_INIT(bench_struct_raw, funcs, load, NULL, NULL, NULL)
