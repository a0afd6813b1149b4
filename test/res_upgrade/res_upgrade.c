/* res_upgrade.c -- the module res_upgrade, built twice from this one file:
** with -DVERSION=1 into res_upgrade_v1.so and with -DVERSION=2 into
** res_upgrade_v2.so (res_upgrade.mk), each next to a res_upgrade.beam whose
** -cnif_lib names it. resource_tests loads them in turn over one another.
**
** Every hook and every destructor reports itself to res_observer with the
** VERSION of the code that ran it, so a test sees which library did what:
** after an upgrade, the items the old version made are destroyed by the
** new one. A hook panics while a process with its res_upgrade_panic_* name
** is registered, and the load and upgrade hooks refuse (return 7) while
** res_upgrade_refuse is. Each deliberate panic starts on a line marked
** "site:NAME". */
#include "../nifs/res_observer.h"

#ifndef VERSION
#error "build with -DVERSION=1 or -DVERSION=2"
#endif

/* The same layout in both versions: the new code takes over the old
** code's items as they are. */
typedef struct item {
    int64_t id;
    int64_t created_by; /* the VERSION that made it */
    bool panic_on_destroy;
} item;

static void item_destroy(cnif_env *env, item *it)
{
    RES_OBSERVE(env, "destroyed", VERSION, it->id, it->created_by);
    if (it->panic_on_destroy)
        cnif_panic(env, "version %d cannot destroy item %lld", /* site:destroy */
                   VERSION, (long long)it->id);
}
CNIF_DEFINE_RESOURCE(item, .destroy = item_destroy)

/* The private data: which version made it, and how many loads and
** upgrades the module has been through. */
typedef struct state {
    int64_t version, generation;
} state;

static state *state_new(int64_t generation)
{
    state *s = enif_alloc(sizeof *s);
    s->version = VERSION;
    s->generation = generation;
    return s;
}

static int load(cnif_env *env, void **priv_data, ERL_NIF_TERM load_info)
{
    (void)load_info;
    if (res_armed(env, "res_upgrade_panic_load"))
        cnif_panic(env, "version %d refuses to load", VERSION); /* site:load */
    if (res_armed(env, "res_upgrade_refuse"))
        return 7;
    *priv_data = state_new(1);
    RES_OBSERVE(env, "load", VERSION, 1);
    return 0;
}

static int upgrade(cnif_env *env, void **priv_data, void **old_priv_data,
                   ERL_NIF_TERM load_info)
{
    const state *old = *old_priv_data;
    (void)load_info;
    if (res_armed(env, "res_upgrade_panic_upgrade"))
        cnif_panic(env, "version %d refuses to replace version %lld", /* site:upgrade */
                   VERSION, (long long)old->version);
    if (res_armed(env, "res_upgrade_refuse"))
        return 7;
    *priv_data = state_new(old->generation + 1);
    RES_OBSERVE(env, "upgrade", VERSION, old->version, old->generation + 1);
    return 0;
}

/* Frees the private data before it may panic: a panic skips the rest. */
static void unload(cnif_env *env, void *priv_data)
{
    state *s = priv_data;
    int64_t generation = s->generation;
    enif_free(s);
    RES_OBSERVE(env, "unload", VERSION, generation);
    if (res_armed(env, "res_upgrade_panic_unload"))
        cnif_panic(env, "version %d fails to unload generation %lld", /* site:unload */
                   VERSION, (long long)generation);
}

static int version(cnif_env *env)
{
    (void)env;
    return VERSION;
}
CNIF_EXPORT(version, int)

/* {Version, Generation} of the private data this code sees. */
static cnif_term priv(cnif_env *env)
{
    const state *s = cnif_priv(env);
    return enif_make_tuple2(cnif_nif_env(env), enif_make_int64(cnif_nif_env(env), s->version),
                            enif_make_int64(cnif_nif_env(env), s->generation));
}
CNIF_EXPORT(priv, cnif_term)

static cnif_res_item new(cnif_env *env, int64_t id, bool panic_on_destroy)
{
    item *it = cnif_resource_new(env, item);
    it->id = id;
    it->created_by = VERSION;
    it->panic_on_destroy = panic_on_destroy;
    return it;
}
CNIF_EXPORT(new, cnif_res_item, int64_t, bool)

/* {Id, CreatedBy, RunBy}: an item of any version, read by this code. */
static cnif_term info(cnif_env *env, cnif_res_item it)
{
    ErlNifEnv *nif = cnif_nif_env(env);
    return enif_make_tuple3(nif, enif_make_int64(nif, it->id),
                            enif_make_int64(nif, it->created_by),
                            enif_make_int64(nif, VERSION));
}
CNIF_EXPORT(info, cnif_term, cnif_res_item)

CNIF_MODULE(res_upgrade, load, upgrade, unload)
