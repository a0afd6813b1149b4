/* bad_load.c -- a library whose load hook panics. Loading it must fail
** cleanly (the module's on_load reports an error and the module is not
** loaded), with the panic on stderr, and leave the VM running. */
#include <cnif.h>

static int load(cnif_env *env, void **priv_data, ERL_NIF_TERM load_info)
{
    (void)priv_data;
    (void)load_info;
    cnif_panic(env, "refusing to load: %s", "on purpose"); /* site:load */
}

/* A NIF the module never gets to run. */
static void never(cnif_env *env)
{
    (void)env;
}
CNIF_EXPORT(never, void)

CNIF_MODULE(bad_load, load, NULL, NULL)
