/* res_guide.c -- the example module of docs/resources.md. Every C block of
** the guide is a verbatim excerpt of this file (resource_tests checks it),
** and resource_tests runs what the guide says the code does. */
#include <cnif.h>
#include <stdatomic.h>
#include <string.h>

/* A named setting. Its name lives in memory the resource owns. */
typedef struct config {
    char *name; /* enif_alloc'd; freed by config_destroy */
    size_t name_size;
    int64_t retries;
} config;

/* How many configs exist: for tests and metrics. */
static atomic_long configs_alive;

/* Runs once no term, binary or keep refers to the config any more, on
** whatever thread dropped the last one, inside a guard of its own. */
static void config_destroy(cnif_env *env, config *c)
{
    (void)env;
    if (c->name) /* NULL if config_new panicked before setting it */
        enif_free(c->name);
    atomic_fetch_sub(&configs_alive, 1);
}
CNIF_DEFINE_RESOURCE(config, .destroy = config_destroy)

static cnif_res_config config_new(cnif_env *env, cnif_str name, int64_t retries)
{
    config *c = cnif_resource_new(env, config); /* zeroed */
    atomic_fetch_add(&configs_alive, 1);
    c->name = enif_alloc(name.size + 1);
    if (!c->name)
        cnif_panic(env, "out of memory"); /* the call drops c: nothing leaks */
    memcpy(c->name, name.data, name.size); /* name.data dies with the call */
    c->name_size = name.size;
    c->retries = retries;
    return c; /* the caller gets the resource term */
}
CNIF_EXPORT(config_new, cnif_res_config, cnif_str, int64_t)

static long config_alive(cnif_env *env)
{
    (void)env;
    return atomic_load(&configs_alive);
}
CNIF_EXPORT(config_alive, long)

static int64_t config_retries(cnif_env *env, cnif_res_config c)
{
    (void)env;
    return c->retries; /* c is valid until this call returns */
}
CNIF_EXPORT(config_retries, int64_t, cnif_res_config)

/* The name as a binary that points into the config: no copy. The config
** lives as long as the binary does, and the bytes never change. */
static cnif_bin config_name(cnif_env *env, cnif_res_config c)
{
    return cnif_resource_binary(env, c, c->name, c->name_size);
}
CNIF_EXPORT(config_name, cnif_bin, cnif_res_config)

/* What the module holds between calls: a default config, kept from C. */
typedef struct guide_state {
    ErlNifMutex *lock;
    config *fallback; /* kept, or NULL */
} guide_state;

static int load(cnif_env *env, void **priv_data, ERL_NIF_TERM load_info)
{
    guide_state *s = enif_alloc(sizeof *s);
    (void)env;
    (void)load_info;
    if (!s)
        return 1; /* the load fails: "cnif: load hook returned 1" */
    s->lock = enif_mutex_create("res_guide");
    if (!s->lock) {
        enif_free(s);
        return 1;
    }
    s->fallback = NULL;
    *priv_data = s;
    return 0;
}

/* A new version takes the state over as it is (so guide_state keeps its
** layout across versions); the old version's unload then gets NULL. */
static int upgrade(cnif_env *env, void **priv_data, void **old_priv_data,
                   ERL_NIF_TERM load_info)
{
    (void)env;
    (void)load_info;
    *priv_data = *old_priv_data;
    *old_priv_data = NULL;
    return 0;
}

/* Runs once the module's code is purged and no config is left: erts keeps
** the library for them, the kept fallback included. */
static void unload(cnif_env *env, void *priv_data)
{
    guide_state *s = priv_data;
    (void)env;
    if (!s)
        return; /* handed over to a newer version */
    enif_mutex_destroy(s->lock);
    enif_free(s);
}
CNIF_MODULE(res_guide, load, upgrade, unload)

/* Make c (kept by the caller, or NULL) the default, and release the one it
** replaces after the lock is dropped: a release may run the destructor. */
static void default_swap(cnif_env *env, config *c)
{
    guide_state *s = cnif_priv(env);
    config *old;

    enif_mutex_lock(s->lock);
    old = s->fallback;
    s->fallback = c;
    enif_mutex_unlock(s->lock);
    if (old)
        cnif_resource_release(old);
}

static void config_set_default(cnif_env *env, cnif_res_config c)
{
    cnif_resource_keep(c); /* held from C now: it outlives every term */
    default_swap(env, c);
}
CNIF_EXPORT(config_set_default, void, cnif_res_config)

static void config_clear_default(cnif_env *env)
{
    default_swap(env, NULL);
}
CNIF_EXPORT(config_clear_default, void)

static void release_held(void *slot)
{
    config **held = slot;
    if (*held)
        cnif_resource_release(*held);
}

/* The default config, or raise no_default. It is kept until the call ends,
** after its term is made: another call may replace it meanwhile. */
static cnif_res_config config_default(cnif_env *env)
{
    guide_state *s = cnif_priv(env);
    config **held = cnif_alloc(env, sizeof *held);

    *held = NULL;
    cnif_defer(env, release_held, held); /* before the lock: both may panic */
    enif_mutex_lock(s->lock);
    *held = s->fallback;
    if (*held)
        cnif_resource_keep(*held);
    enif_mutex_unlock(s->lock);
    if (!*held)
        cnif_raise(env, enif_make_atom(cnif_nif_env(env), "no_default"));
    return *held; /* encoded before the cleanup releases it */
}
CNIF_EXPORT(config_default, cnif_res_config)

/* A lease one process holds at a time, given back when that process dies.
** .down runs on whichever thread noticed the death, while NIFs may run on
** others: the flag is atomic. */
typedef struct lease {
    atomic_bool held;
} lease;

static void lease_down(cnif_env *env, lease *l, cnif_pid pid, ErlNifMonitor mon)
{
    (void)env;
    (void)pid;
    (void)mon;
    atomic_store(&l->held, false);
}
CNIF_DEFINE_RESOURCE(lease, .down = lease_down)

static cnif_res_lease lease_new(cnif_env *env)
{
    return cnif_resource_new(env, lease); /* zeroed: not held */
}
CNIF_EXPORT(lease_new, cnif_res_lease)

/* true if the caller now holds the lease, false if a live process does. */
static bool lease_take(cnif_env *env, cnif_res_lease l)
{
    bool was_held = false;
    cnif_pid self;
    ErlNifMonitor mon;

    if (!atomic_compare_exchange_strong(&l->held, &was_held, true))
        return false;
    enif_self(cnif_nif_env(env), &self);
    cnif_resource_monitor(env, l, &self, &mon); /* 0: the caller is alive */
    return true;
}
CNIF_EXPORT(lease_take, bool, cnif_res_lease)
