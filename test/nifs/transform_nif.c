/* transform_nif.c -- the library of test/transform_nif.erl, for
** transform_tests: a NIF whose Erlang name is no C identifier, and a load
** hook that reads the file its load data names (first_line.h). */
#include "first_line.h"

static bool is_valid(cnif_env *env, int64_t x)
{
    (void)env;
    return x > 0;
}
CNIF_EXPORT_NAMED("valid?", is_valid, bool, int64_t)

static int64_t answer(cnif_env *env)
{
    (void)env;
    return 42;
}
CNIF_EXPORT(answer, int64_t)

/* A test loads the module again over its loaded self. */
static int upgrade(cnif_env *env, void **priv, void **old_priv, ERL_NIF_TERM info)
{
    (void)old_priv;
    return load(env, priv, info);
}

CNIF_MODULE(transform_nif, load, upgrade, NULL)
