/* module.c -- the erl_nif entry of a cnif module: atoms made once at load,
** defined types opened, and the load/upgrade/unload hooks run inside the
** boundary. */
#include "internal.h"
#include <stdio.h>
#include <stdlib.h>

cnif_atoms cnif__atoms;

/* One module per shared object: CNIF_MODULE hands it over in nif_init. */
static const cnif_module *cnif__this_module;
static ErlNifEntry cnif__entry; /* what erts is given, defined below */

const char *cnif__module_name(void)
{
    return cnif__this_module ? cnif__this_module->name : "?";
}

static const char *const cnif__phase_names[CNIF_PHASE_COUNT] = {
    [CNIF_PHASE_DECODE] = "decode",   [CNIF_PHASE_CALL] = "call",
    [CNIF_PHASE_ENCODE] = "encode",   [CNIF_PHASE_CLEANUP] = "cleanup",
    [CNIF_PHASE_LOAD] = "load",       [CNIF_PHASE_UPGRADE] = "upgrade",
    [CNIF_PHASE_UNLOAD] = "unload",   [CNIF_PHASE_DESTROY] = "destroy",
    [CNIF_PHASE_DOWN] = "down",       [CNIF_PHASE_STOP] = "stop",
    [CNIF_PHASE_DYNCALL] = "dyncall",
};

const char *cnif__phase_name(cnif_phase phase)
{
    return cnif__phase_names[phase];
}

void cnif__atoms_init(ErlNifEnv *nif)
{
    cnif_atoms *a = &cnif__atoms;

    a->ok = enif_make_atom(nif, "ok");
    a->error = enif_make_atom(nif, "error");
    a->true_ = enif_make_atom(nif, "true");
    a->false_ = enif_make_atom(nif, "false");
    a->undefined = enif_make_atom(nif, "undefined");
    a->nil = enif_make_atom(nif, "nil");
    a->badarg = enif_make_atom(nif, "badarg");
    a->nif_panicked = enif_make_atom(nif, "nif_panicked");
    a->message = enif_make_atom(nif, "message");
    a->phase = enif_make_atom(nif, "phase");
    a->location = enif_make_atom(nif, "location");
    a->cnif_badarg = enif_make_atom(nif, "$cnif_badarg");
    a->cnif_load = enif_make_atom(nif, "$cnif_load");
    a->expected = enif_make_atom(nif, "expected");
    for (int i = 0; i < CNIF_PHASE_COUNT; i++)
        a->phases[i] = enif_make_atom(nif, cnif__phase_names[i]);
    cnif__badarg_atoms_init(nif);
    cnif__fault_atoms_init(nif);
}

void *cnif_priv(cnif_env *env)
{
    return env->job ? cnif__job_priv(env->job) : enif_priv_data(env->head.nif);
}

typedef struct cnif__hook_args {
    void **priv, **old_priv;
    ERL_NIF_TERM info;
    int rc;
    bool jobs_open; /* this load counts in the job pool's instances */
} cnif__hook_args;

/* Defined types first (their atoms and resource types), then the user's
** hook, all under the one guard. */
static void cnif__load_body(cnif_env *env, void *arg)
{
    cnif__hook_args *a = arg;
    const cnif_module *m = cnif__this_module;

    cnif__yield_open(env);
    cnif__job_open(env);
    a->jobs_open = true;
    cnif__registry_types_init(m, env);
    env->head.site = NULL; /* the hooks are no type's: cnif's own lines */
    if (env->head.phase == CNIF_PHASE_LOAD && m->load)
        a->rc = m->load(env, a->priv, a->info);
    else if (env->head.phase == CNIF_PHASE_UPGRADE && m->upgrade)
        a->rc = m->upgrade(env, a->priv, a->old_priv, a->info);
}

/* The load info cnif:load_info/4 makes, {'$cnif_load', Secret, UserInfo,
** Options, Declared}, or cnif:load_info/3's, without Declared (or, from
** before the options, without Options): the wrapper's secret is kept,
** *options and *declared set (0 if none) and UserInfo returned for the
** hook. Any other term is the hook's as it is. */
static ERL_NIF_TERM cnif__load_info_take(ErlNifEnv *nif, ERL_NIF_TERM info,
                                         ERL_NIF_TERM *options,
                                         ERL_NIF_TERM *declared)
{
    const ERL_NIF_TERM *items;
    int arity;
    ErlNifUInt64 secret;

    *options = 0;
    *declared = 0;
    if (!enif_get_tuple(nif, info, &arity, &items) || arity < 3 || arity > 5
        || items[0] != cnif__atoms.cnif_load
        || !enif_get_uint64(nif, items[1], &secret))
        return info;
    cnif__badarg_secret_set(secret);
    if (arity >= 4)
        *options = items[3];
    if (arity == 5)
        *declared = items[4];
    return items[2];
}

/* The load options (see cnif:load_info/3) over the module's defaults
** (CNIF_MODULE_WITH): NULL, or why they are refused. The Erlang side
** checks them too; a loader of one's own may not. */
static const char *cnif__load_options(ErlNifEnv *nif, ERL_NIF_TERM options,
                                      bool *barrier, bool *quarantine)
{
    ErlNifMapIterator it;
    ERL_NIF_TERM key, value;
    const char *failure = NULL;

    *barrier = cnif__this_module->options & CNIF_FAULT_BARRIER;
    *quarantine = !(cnif__this_module->options & CNIF_NO_QUARANTINE);
    if (!options)
        return NULL;
    if (!enif_map_iterator_create(nif, options, &it,
                                  ERL_NIF_MAP_ITERATOR_FIRST))
        return "the load options are not a map";
    for (; !failure && enif_map_iterator_get_pair(nif, &it, &key, &value);
         enif_map_iterator_next(nif, &it)) {
        bool on = value == cnif__atoms.true_;
        if (!on && value != cnif__atoms.false_)
            failure = "a load option is not a boolean";
        else if (enif_is_identical(key, enif_make_atom(nif, "fault_barrier")))
            *barrier = on;
        else if (enif_is_identical(key, enif_make_atom(nif, "quarantine")))
            *quarantine = on;
        else
            failure = "unknown load option: the options are fault_barrier "
                      "and quarantine";
    }
    enif_map_iterator_destroy(nif, &it);
    return failure;
}

static int cnif__hook_load(ErlNifEnv *nif, void **priv, void **old_priv,
                           ERL_NIF_TERM info, cnif_phase phase)
{
    cnif__hook_args args = {priv, old_priv, info, 0, false};
    const char *what = phase == CNIF_PHASE_LOAD ? "load hook" : "upgrade hook";
    const char *refused;
    ERL_NIF_TERM options, declared;
    bool barrier, quarantine;
    int rc = -1;
    char missing[768];

    cnif__atoms_init(nif);
    args.info = cnif__load_info_take(nif, info, &options, &declared);
    refused = cnif__registry_complete()
                  ? cnif__load_options(nif, options, &barrier, &quarantine)
                  : "out of memory: cannot make the table of the library's NIFs";
    if (!refused && declared)
        refused = cnif__registry_missing(nif, declared, cnif__entry.funcs,
                                         cnif__entry.num_of_funcs, missing,
                                         sizeof missing);
    if (!refused)
        refused = cnif__barrier_open(barrier, quarantine);
    if (refused) {
        char text[1024];
        snprintf(text, sizeof text, "cnif: %s", refused);
        cnif__report_load_text(nif, text);
        return -1;
    }
    cnif__spare_open();
    if (cnif__run_guarded(nif, phase, what, cnif__load_body, &args,
                          cnif__report_load_failure)) {
        rc = args.rc;
        if (rc != 0)
            cnif__report_load_rc(nif, what, rc);
    }
    /* erts never unloads a library that failed to load: give back its share
    ** of the job pool, or the pool would outlive the last real unload with
    ** its threads (the same shared object, loaded again, shares it). */
    if (rc != 0 && args.jobs_open)
        cnif__job_close();
    if (rc != 0)
        cnif__spare_close();
    cnif__barrier_commit(rc == 0);
    return rc;
}

static int cnif__load(ErlNifEnv *nif, void **priv, ERL_NIF_TERM info)
{
    return cnif__hook_load(nif, priv, NULL, info, CNIF_PHASE_LOAD);
}

static int cnif__upgrade(ErlNifEnv *nif, void **priv, void **old_priv,
                         ERL_NIF_TERM info)
{
    return cnif__hook_load(nif, priv, old_priv, info, CNIF_PHASE_UPGRADE);
}

static void cnif__unload_body(cnif_env *env, void *priv)
{
    cnif__this_module->unload(env, priv);
}

static void cnif__unload(ErlNifEnv *nif, void *priv)
{
    if (cnif__this_module->unload)
        cnif__callback(nif, NULL, CNIF_PHASE_UNLOAD, cnif__unload_body, priv);
    cnif__job_close();
    cnif__spare_close();
    cnif__barrier_close();
}

void *cnif__library_open(void)
{
    Dl_info self;
    if (!dladdr((void *)cnif__library_open, &self) || !self.dli_fname)
        return NULL;
    return dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD);
}

/* The load hook checks its NIFs against the ones the Erlang side
** declares. */
static ErlNifEntry cnif__entry = {
    .major = ERL_NIF_MAJOR_VERSION,
    .minor = ERL_NIF_MINOR_VERSION,
    .load = cnif__load,
    .upgrade = cnif__upgrade,
    .unload = cnif__unload,
    .vm_variant = ERL_NIF_VM_VARIANT,
    .options = 1,
    .sizeof_ErlNifResourceTypeInit = sizeof(ErlNifResourceTypeInit),
    .min_erts = ERL_NIF_MIN_ERTS_VERSION,
};

ErlNifEntry *cnif_module_entry(const cnif_module *module)
{
    ErlNifEntry *entry = &cnif__entry;
    bool worker;

    cnif__this_module = module;
    entry->name = module->name;
    /* The worker of an isolated module is started with CNIF_WORKER set
    ** (erlang/cnif_pool_worker.erl); elsewhere a module of one's own,
    ** which does not declare the extra NIF, must still load. A worker
    ** without memory for its table loads without it, and sees no
    ** resources; a library whose NIFs are in lists fails its load. */
    worker = getenv("CNIF_WORKER") != NULL;
    if (worker)
        cnif__worker_die_with_parent();
    if (!cnif__registry_nifs(module, worker, &entry->funcs, &entry->num_of_funcs)) {
        entry->funcs = module->nifs;
        entry->num_of_funcs = (int)(module->nifs_end - module->nifs);
    }
    return entry;
}
