/* codec_struct.c -- C structs as atom-keyed maps, Elixir structs, records
** and plain tuples: the shape checks and term building behind the
** per-field code CNIF_DEFINE_STRUCT generates. */
#include "internal.h"
#include <stdio.h>
#include <string.h>

static const char *cnif__field_key(const cnif_field *f)
{
    return f->key ? f->key : f->name;
}

/* "Geo.Point" for the atom 'Elixir.Geo.Point', as Elixir prints it. */
static const char *cnif__elixir_name(const char *module)
{
    return strncmp(module, "Elixir.", 7) == 0 ? module + 7 : module;
}

/* Where the encoder puts each field's term (cnif_struct.slots): in a
** record after its tag, in a tuple in field order, and in the map forms
** at its key's place in term order, so that erts's insertion sort of a
** small map's keys has nothing to do. Each key's place is its rank, found
** by counting the keys before it (the keys are distinct), so every slot is
** written once with its final value: a reload of the library runs this
** again on the same static descriptor while the old code may be encoding
** with it, and must show it nothing else. The n * n compares run once, at
** load, like the duplicate check's. */
static void cnif__struct_slots(cnif_struct *d)
{
    size_t n = d->count + (d->as == CNIF_AS_STRUCT);

    if (d->as != CNIF_AS_MAP && d->as != CNIF_AS_STRUCT) {
        for (size_t i = 0; i < d->count; i++)
            d->slots[i] = i + (d->as == CNIF_AS_RECORD);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        size_t rank = 0;
        for (size_t j = 0; j < n; j++)
            rank += enif_compare(d->atoms[j], d->atoms[i]) < 0;
        d->sorted_keys[rank] = d->atoms[i];
        d->slots[i] = rank;
    }
}

/* Keys are compared as the atoms they make, which is what a map compares. */
void cnif_struct_init(cnif_env *env, cnif_struct *d)
{
    ERL_NIF_TERM struct_key = cnif_encode_cnif_atom(env, "__struct__");

    if ((unsigned)d->as > CNIF_AS_TUPLE)
        cnif_panic(env, "struct %s: .as = %d is not a cnif_struct_as", d->name,
                   (int)d->as);
    d->any_optional = false;
    for (size_t i = 0; i < d->count; i++) {
        const char *key = cnif__field_key(&d->fields[i]);
        d->atoms[i] = cnif_encode_cnif_atom(env, key);
        for (size_t j = 0; j < i; j++)
            if (d->atoms[i] == d->atoms[j])
                cnif_panic(env, "struct %s: two fields use the key %s",
                           d->name, key);
        /* An Elixir struct keeps its module there: the field could be
        ** neither decoded nor encoded. */
        if (d->as == CNIF_AS_STRUCT && d->atoms[i] == struct_key)
            cnif_panic(env,
                       "struct %s: field %s uses the key __struct__, which "
                       "holds the module of an Elixir struct",
                       d->name, d->fields[i].name);
        d->any_optional |= d->fields[i].optional;
    }
    d->atoms[d->count] = struct_key;
    if (d->as == CNIF_AS_STRUCT) {
        if (!d->module)
            cnif_panic(env, "struct %s: CNIF_AS_STRUCT needs .module", d->name);
        d->form_atom = cnif_encode_cnif_atom(env, d->module);
    } else if (d->as == CNIF_AS_RECORD) {
        if (!d->tag)
            cnif_panic(env, "struct %s: CNIF_AS_RECORD needs .tag", d->name);
        d->form_atom = cnif_encode_cnif_atom(env, d->tag);
    }
    cnif__struct_slots(d);
}

/* What a term of this struct looks like, for "expected ..." messages. */
static const char *cnif__struct_expected(cnif_env *env, const cnif_struct *d,
                                         const char *detail)
{
    char *text = cnif_alloc(env, 512);
    switch (d->as) {
    case CNIF_AS_MAP:
        snprintf(text, 512, "a map");
        break;
    case CNIF_AS_STRUCT:
        snprintf(text, 512, "a %%%s{} struct", cnif__elixir_name(d->module));
        break;
    case CNIF_AS_RECORD:
        snprintf(text, 512, "a #%s{} record%s", d->tag, detail);
        break;
    case CNIF_AS_TUPLE:
        snprintf(text, 512, "a tuple of %zu elements", d->count);
        break;
    }
    return text;
}

/* A map key that names no field, for .reject_unknown. */
static bool cnif__unknown_key(cnif_env *env, const cnif_struct *d,
                              ERL_NIF_TERM map)
{
    cnif_map_iter it = cnif_map_iter_start(env, (cnif_map){map});
    ERL_NIF_TERM key, value;
    char shown[128];

    while (cnif_map_iter_next(env, it, &key, &value)) {
        size_t i = 0;
        while (i <= d->count && key != d->atoms[i])
            i++;
        if (i == d->count && d->as != CNIF_AS_STRUCT)
            i++; /* __struct__ is only a field of Elixir structs */
        if (i > d->count) {
            enif_snprintf(shown, sizeof shown, "%T", key);
            return cnif_decode_fail_reason(env, "unknown key %s in %s", shown,
                                           cnif__struct_expected(env, d, ""));
        }
    }
    return true;
}

/* The field terms of a map or Elixir struct; 0 for a missing optional. */
static bool cnif__struct_from_map(cnif_env *env, const cnif_struct *d,
                                  ERL_NIF_TERM term, ERL_NIF_TERM *values)
{
    ErlNifEnv *nif = env->head.nif;
    size_t matched = 0, size;
    ERL_NIF_TERM value;

    if (!enif_is_map(nif, term))
        return cnif_decode_fail(env, term, cnif__struct_expected(env, d, ""));
    if (d->as == CNIF_AS_STRUCT) {
        if (!enif_get_map_value(nif, term, d->atoms[d->count], &value))
            return cnif_decode_fail(env, term,
                                    cnif__struct_expected(env, d, ""));
        if (value != d->form_atom) {
            cnif_atom other;
            char *got;
            if (!cnif_decode_cnif_atom(env, value, &other))
                return cnif_decode_fail(env, term,
                                        cnif__struct_expected(env, d, ""));
            got = cnif_alloc(env, strlen(other) + sizeof "a %{} struct");
            sprintf(got, "a %%%s{} struct", cnif__elixir_name(other));
            return cnif__decode_fail_got(
                env, term, cnif__struct_expected(env, d, ""), got);
        }
        matched = 1;
    }
    for (size_t i = 0; i < d->count; i++) {
        const cnif_field *f = &d->fields[i];
        if (enif_get_map_value(nif, term, d->atoms[i], &values[i])) {
            matched++;
        } else if (f->optional) {
            values[i] = 0;
        } else {
            char *expected = cnif_alloc(env, 300);
            snprintf(expected, 300, "%s with key %s",
                     cnif__struct_expected(env, d, ""), cnif__field_key(f));
            return cnif_decode_fail(env, term, expected);
        }
    }
    if (d->reject_unknown && enif_get_map_size(nif, term, &size)
        && size > matched)
        return cnif__unknown_key(env, d, term);
    return true;
}

/* The field terms of a record or plain tuple: its own elements. */
static const ERL_NIF_TERM *cnif__struct_from_tuple(cnif_env *env,
                                                   const cnif_struct *d,
                                                   ERL_NIF_TERM term)
{
    bool record = d->as == CNIF_AS_RECORD;
    const ERL_NIF_TERM *items;
    int arity;
    char detail[64];

    /* The tag first: a tuple with another tag is another record, whatever
    ** its size. */
    if (!enif_get_tuple(env->head.nif, term, &arity, &items)
        || (record && (arity == 0 || items[0] != d->form_atom))) {
        cnif_decode_fail(env, term, cnif__struct_expected(env, d, ""));
        return NULL;
    }
    if ((size_t)arity != d->count + record) {
        snprintf(detail, sizeof detail, " (a tuple of %zu elements)",
                 d->count + record);
        cnif_decode_fail(env, term, cnif__struct_expected(env, d, detail));
        return NULL;
    }
    return items + record;
}

const ERL_NIF_TERM *cnif_struct_read(cnif_env *env, const cnif_struct *d,
                                     ERL_NIF_TERM term, ERL_NIF_TERM *buffer,
                                     void *out)
{
    const ERL_NIF_TERM *values;

    /* Only optional fields can be left unwritten by a successful decode. */
    if (d->any_optional) {
        if (d->defaults)
            memcpy(out, d->defaults, d->size);
        else
            memset(out, 0, d->size);
    }
    if (!cnif_depth_enter(env))
        return NULL;
    if (d->as == CNIF_AS_MAP || d->as == CNIF_AS_STRUCT)
        values = cnif__struct_from_map(env, d, term, buffer) ? buffer : NULL;
    else
        values = cnif__struct_from_tuple(env, d, term);
    if (!values)
        cnif_depth_leave(env);
    return values;
}

bool cnif_struct_field_failed(cnif_env *env, const cnif_struct *d, size_t i)
{
    cnif_depth_leave(env);
    return cnif_path_key(env, cnif__field_key(&d->fields[i]));
}

/* The n keys go to erts in term order, the values already at their keys'
** places (cnif__struct_slots). cnif_struct_init refuses repeated keys; a
** descriptor broken after it gets a panic rather than a half-built term. */
static ERL_NIF_TERM cnif__struct_map(cnif_env *env, const cnif_struct *d,
                                     ERL_NIF_TERM *values, size_t n)
{
    ERL_NIF_TERM out;

    if (!cnif__map_make(env->head.nif, d->sorted_keys, values, n, &out))
        cnif_panic(env, "struct %s: two fields use the same key", d->name);
    return out;
}

ERL_NIF_TERM cnif_struct_build(cnif_env *env, const cnif_struct *d,
                               ERL_NIF_TERM *values)
{
    ErlNifEnv *nif = env->head.nif;

    switch (d->as) {
    case CNIF_AS_STRUCT:
        values[d->slots[d->count]] = d->form_atom;
        return cnif__struct_map(env, d, values, d->count + 1);
    case CNIF_AS_MAP:
        return cnif__struct_map(env, d, values, d->count);
    case CNIF_AS_RECORD:
        values[0] = d->form_atom;
        return enif_make_tuple_from_array(nif, values, (unsigned)d->count + 1);
    case CNIF_AS_TUPLE:
        break;
    }
    return enif_make_tuple_from_array(nif, values, (unsigned)d->count);
}
