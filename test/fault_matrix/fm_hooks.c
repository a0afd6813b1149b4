/* fm_hooks.c -- the load, upgrade and unload rows of the fault matrix: the
** module fm_hooks, built twice from this file (VERSION 1 and 2, see
** fault_matrix.mk) so that one can be loaded over the other. A hook fails
** as the environment variable FM_HOOK_FAULT says, "Hook:Kind" (e.g.
** "upgrade:panic"): a hook has no argument the test could pass. */
#include "fm_fault.h"
#include <string.h>

#ifndef VERSION
#error "build with -DVERSION=1 or -DVERSION=2"
#endif

/* The kind FM_HOOK_FAULT names for hook, or FM_NONE. */
static fm_kind armed(const char *hook)
{
    char value[64];
    size_t size = sizeof value, len = strlen(hook);

    if (enif_getenv("FM_HOOK_FAULT", value, &size) != 0
        || strncmp(value, hook, len) != 0 || value[len] != ':')
        return FM_NONE;
    for (const cnif_enum_entry *e = fm_kind_atoms; e->name; e++)
        if (strcmp(value + len + 1, e->name) == 0)
            return (fm_kind)e->value;
    return FM_NONE;
}

static int load(cnif_env *env, void **priv, ERL_NIF_TERM info)
{
    (void)priv, (void)info;
    fm_fault(env, armed("load"), "load");
    return 0;
}

static int upgrade(cnif_env *env, void **priv, void **old_priv, ERL_NIF_TERM info)
{
    (void)priv, (void)old_priv, (void)info;
    fm_fault(env, armed("upgrade"), "upgrade");
    return 0;
}

static void unload(cnif_env *env, void *priv)
{
    (void)priv;
    fm_fault(env, armed("unload"), "unload");
}

static int64_t version(cnif_env *env)
{
    (void)env;
    return VERSION;
}
CNIF_EXPORT(version, int64_t)

CNIF_MODULE(fm_hooks, load, upgrade, unload)
