/* codec_term.c -- tuples, maps, pids and references (map iteration is in
** map_iter.c). */
#include "internal.h"
#include <stdio.h>
#include <string.h>

bool cnif_decode_cnif_tuple(cnif_env *env, ERL_NIF_TERM term, cnif_tuple *out)
{
    if (!enif_get_tuple(env->head.nif, term, &out->arity, &out->items))
        return cnif_decode_fail(env, term, "a tuple");
    out->term = term;
    return true;
}

ERL_NIF_TERM cnif_encode_cnif_tuple(cnif_env *env, cnif_tuple value)
{
    return value.term ? value.term
                      : cnif_tuple_make(env, value.arity, value.items);
}

bool cnif__tuple_has(cnif_env *env, cnif_tuple tuple, int index)
{
    char *expected;

    if (index >= 0 && index < tuple.arity)
        return true;
    if (index < 0)
        return cnif_decode_fail_reason(env, "tuple index %d is negative",
                                       index);
    /* A tuple assembled in C has no term yet: make one to show. */
    if (!tuple.term && tuple.arity >= 0 && (tuple.items || !tuple.arity))
        tuple.term = cnif_tuple_make(env, tuple.arity, tuple.items);
    expected = cnif_alloc(env, 64);
    snprintf(expected, 64, "a tuple of at least %d elements", index + 1);
    return cnif_decode_fail(env, tuple.term, expected);
}

ERL_NIF_TERM cnif_tuple_make(cnif_env *env, int n, const ERL_NIF_TERM *items)
{
    if (n < 0 || (n > 0 && !items))
        cnif_panic(env, "cannot make a tuple of %d elements at %p", n,
                   (const void *)items);
    return enif_make_tuple_from_array(env->head.nif, items, (unsigned)n);
}

bool cnif_decode_cnif_map(cnif_env *env, ERL_NIF_TERM term, cnif_map *out)
{
    if (!enif_is_map(env->head.nif, term))
        return cnif_decode_fail(env, term, "a map");
    out->term = term;
    return true;
}

ERL_NIF_TERM cnif_encode_cnif_map(cnif_env *env, cnif_map value)
{
    (void)env;
    return value.term;
}

size_t cnif_map_size(cnif_env *env, cnif_map map)
{
    size_t size = 0;
    enif_get_map_size(env->head.nif, map.term, &size);
    return size;
}

bool cnif_map_find(cnif_env *env, cnif_map map, ERL_NIF_TERM key,
                   ERL_NIF_TERM *value)
{
    return enif_get_map_value(env->head.nif, map.term, key, value);
}

bool cnif__map_get_key(cnif_env *env, cnif_map map, const char *key,
                       ERL_NIF_TERM *value)
{
    ERL_NIF_TERM atom;
    char *expected;

    /* An atom that does not exist cannot be a key of any map. */
    if (cnif__atom_existing(env->head.nif, key, &atom)
        && enif_get_map_value(env->head.nif, map.term, atom, value))
        return true;
    expected = cnif_alloc(env, strlen(key) + sizeof "a map with key ");
    strcpy(stpcpy(expected, "a map with key "), key);
    return cnif_decode_fail(env, map.term, expected);
}

cnif_map cnif_map_new(cnif_env *env)
{
    cnif_map map = {enif_make_new_map(env->head.nif)};
    return map;
}

cnif_map cnif_map_put(cnif_env *env, cnif_map map, ERL_NIF_TERM key,
                      ERL_NIF_TERM value)
{
    cnif_map out;
    if (!enif_make_map_put(env->head.nif, map.term, key, value, &out.term))
        cnif_panic(env, "cnif_map_put on a term that is not a map");
    return out;
}

/* A map of more than 32 keys is a hash trie, which erts builds by sorting
** the keys with erts_qsort. Past 128 elements, erts_qsort seeds its pivot
** from the scheduler's data, which is NULL on any other thread (a job's, a
** thread of the user's): the VM crashes (erlang/otp#8208, from OTP
** 23.3.4.15, 24.3.4.2 and 25.1 until the fix in 27.3). erts never sorts
** when it puts a key into a trie, so off the schedulers a larger map is
** made from its first 128 pairs and grows by puts. That costs about ten
** times the time and leaves the replaced trie nodes in nif as garbage
** until it is freed or sent, so the schedulers keep the one-step build. */
#define CNIF__MAP_SORT_MAX 128

bool cnif__map_make(ErlNifEnv *nif, const ERL_NIF_TERM *keys,
                    const ERL_NIF_TERM *values, size_t n, ERL_NIF_TERM *out)
{
    size_t first = n, size;

    if (n > CNIF__MAP_SORT_MAX && enif_thread_type() == ERL_NIF_THR_UNDEFINED)
        first = CNIF__MAP_SORT_MAX;
    if (!enif_make_map_from_arrays(nif, (ERL_NIF_TERM *)keys,
                                   (ERL_NIF_TERM *)values, first, out))
        return false;
    for (size_t i = first; i < n; i++)
        enif_make_map_put(nif, *out, keys[i], values[i], out);
    /* A put keeps the last value of a repeated key, and so does erts's
    ** one-step build of a trie (OTP 25 at least, though erl_nif says it
    ** fails): a repeated key shows as a map smaller than n. */
    return enif_get_map_size(nif, *out, &size) && size == n;
}

cnif_map cnif_map_from_arrays(cnif_env *env, const ERL_NIF_TERM *keys,
                              const ERL_NIF_TERM *values, size_t n)
{
    cnif_map out;
    if (!cnif__map_make(env->head.nif, keys, values, n, &out.term))
        cnif_panic(env, "cnif_map_from_arrays: duplicate keys");
    return out;
}

bool cnif_decode_cnif_pid(cnif_env *env, ERL_NIF_TERM term, cnif_pid *out)
{
    if (!enif_get_local_pid(env->head.nif, term, out))
        return cnif_decode_fail(env, term, "a local pid");
    return true;
}

ERL_NIF_TERM cnif_encode_cnif_pid(cnif_env *env, cnif_pid value)
{
    return enif_make_pid(env->head.nif, &value);
}

bool cnif_decode_cnif_ref(cnif_env *env, ERL_NIF_TERM term, cnif_ref *out)
{
    if (!enif_is_ref(env->head.nif, term))
        return cnif_decode_fail(env, term, "a reference");
    out->term = term;
    return true;
}

ERL_NIF_TERM cnif_encode_cnif_ref(cnif_env *env, cnif_ref value)
{
    (void)env;
    return value.term;
}
