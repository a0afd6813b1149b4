/* reload_answer.c -- built by reload_tests with -DANSWER=N, as a user's
** edit would change it: answer/0 says which build runs, and loads/0 how
** the library came in (a fresh load, or an upgrade of the one before). */
#include <cnif.h>

static const char *how = "none";

static int load(cnif_env *env, void **priv_data, ERL_NIF_TERM load_info)
{
    (void)env, (void)priv_data, (void)load_info;
    how = "load";
    return 0;
}

static int upgrade(cnif_env *env, void **priv_data, void **old_priv_data,
                   ERL_NIF_TERM load_info)
{
    (void)env, (void)priv_data, (void)old_priv_data, (void)load_info;
    how = "upgrade";
    return 0;
}

static int64_t answer(cnif_env *env)
{
    (void)env;
    return ANSWER;
}
CNIF_EXPORT(answer, int64_t)

static cnif_atom loads(cnif_env *env)
{
    (void)env;
    return how;
}
CNIF_EXPORT(loads, cnif_atom)

CNIF_MODULE(reload_answer, load, upgrade, NULL)
