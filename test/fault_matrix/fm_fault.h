/* fm_fault.h -- the failure kinds of the fault matrix (docs/fault-matrix.md,
** test/fault_matrix_tests.erl), shared by test/nifs/fault_matrix_nif.c and
** the hooks library fm_hooks.c, so that every row fails in the same ways.
**
** Each deliberate panic sits on a line marked "site:NAME", which the tests
** look up: every cell's location is asserted to the line. */
#ifndef FM_FAULT_H
#define FM_FAULT_H
#include <cnif.h>
#include <stdint.h>

/* The columns of the matrix. FM_NONE makes a row run without failing;
** FM_DECODE is a decoder rejecting its term, which only the rows that
** decode arguments can turn into a bad argument (fm_fault leaves it to
** them). */
typedef enum fm_kind {
    FM_NONE,
    FM_PANIC,
    FM_ASSERT,
    FM_RAISE,
    FM_DECODE,
    FM_RAISE_BADARG,
    FM_ALLOC,
    FM_NESTED_TRY
} fm_kind;
static const cnif_enum_entry fm_kind_atoms[] = {
    {FM_NONE, "none"},         {FM_PANIC, "panic"},
    {FM_ASSERT, "assert"},     {FM_RAISE, "raise"},
    {FM_DECODE, "decode"},     {FM_RAISE_BADARG, "raise_badarg"},
    {FM_ALLOC, "alloc"},       {FM_NESTED_TRY, "nested_try"},
    {0, NULL}};
CNIF_DEFINE_ENUM(fm_kind, fm_kind_atoms)

static ERL_NIF_TERM fm_try_body(cnif_env *inner, void *where)
{
    cnif_panic(inner, "panic inside cnif_try in %s", (const char *)where); /* site:nested_try */
}

/* Fail in row `where` (an atom's name) as kind says. env may be NULL
** (a cleanup that has none) for panic, assert and raise_badarg. */
static void fm_fault(cnif_env *env, fm_kind kind, const char *where)
{
    ErlNifEnv *nif;
    ERL_NIF_TERM caught;

    switch (kind) {
    case FM_PANIC:
        cnif_panic(env, "panic in %s", where); /* site:panic */
    case FM_ASSERT:
        CNIF_ASSERT(env, kind != FM_ASSERT); /* site:assert */
        break;
    case FM_RAISE:
        nif = cnif_nif_env(env);
        cnif_raise(env, enif_make_tuple2(nif, enif_make_atom(nif, "raised"),
                                         enif_make_atom(nif, where)));
    case FM_RAISE_BADARG:
        cnif_raise_badarg(env, 1, "refused in %s", where); /* site:raise_badarg */
    case FM_ALLOC:
        cnif_alloc(env, SIZE_MAX);
        cnif_panic(env, "cnif_alloc(SIZE_MAX) returned"); /* site:alloc_returned */
    case FM_NESTED_TRY:
        if (cnif_try(env, fm_try_body, (void *)where, &caught))
            cnif_panic(env, "cnif_try returned"); /* site:try_returned */
        cnif_raise(env, caught);
    default:
        break;
    }
}

#endif
