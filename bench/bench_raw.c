/* bench_raw.c -- the baseline of `make bench`: the same three functions as
** bench_cnif.c written by hand against erl_nif, the way a careful person
** would (every argument checked, no leak on the error paths). */
#include <erl_nif.h>
#include <stdint.h>

/* add(A, B) -> A + B for 64-bit integers; badarg on overflow. */
static ERL_NIF_TERM add(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[])
{
    ErlNifSInt64 a, b, sum;
    (void)argc;
    if (!enif_get_int64(env, argv[0], &a) || !enif_get_int64(env, argv[1], &b)
        || __builtin_add_overflow(a, b, &sum))
        return enif_make_badarg(env);
    return enif_make_int64(env, sum);
}

/* sum(List) -> the sum of a list of 64-bit integers, decoded into a C
** array first. */
static ERL_NIF_TERM sum(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[])
{
    ERL_NIF_TERM list = argv[0], head;
    unsigned len;
    ErlNifSInt64 *items, total = 0;
    (void)argc;

    if (!enif_get_list_length(env, list, &len))
        return enif_make_badarg(env);
    items = enif_alloc((len ? len : 1) * sizeof *items);
    if (!items)
        return enif_raise_exception(env, enif_make_atom(env, "enomem"));
    for (unsigned i = 0; i < len; i++) {
        enif_get_list_cell(env, list, &head, &list);
        if (!enif_get_int64(env, head, &items[i])) {
            enif_free(items);
            return enif_make_badarg(env);
        }
    }
    for (unsigned i = 0; i < len; i++)
        total += items[i];
    enif_free(items);
    return enif_make_int64(env, total);
}

/* seq(N) -> [0, 1, ..., N-1], built from a C array of N int64s. */
static ERL_NIF_TERM seq(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[])
{
    ErlNifSInt64 n, *items;
    ERL_NIF_TERM list;
    (void)argc;

    if (!enif_get_int64(env, argv[0], &n) || n < 0
        || (uint64_t)n > SIZE_MAX / sizeof *items)
        return enif_make_badarg(env);
    items = enif_alloc(n ? (size_t)n * sizeof *items : 1);
    if (!items)
        return enif_raise_exception(env, enif_make_atom(env, "enomem"));
    for (ErlNifSInt64 i = 0; i < n; i++)
        items[i] = i;
    list = enif_make_list(env, 0);
    for (ErlNifSInt64 i = n; i > 0; i--)
        list = enif_make_list_cell(env, enif_make_int64(env, items[i - 1]), list);
    enif_free(items);
    return list;
}

static ErlNifFunc funcs[] = {
    {"add", 2, add, 0},
    {"sum", 1, sum, 0},
    {"seq", 1, seq, 0},
};

ERL_NIF_INIT(bench_raw, funcs, NULL, NULL, NULL, NULL)
