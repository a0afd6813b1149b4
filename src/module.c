/* module.c -- the erl_nif entry of a cnif module: atoms made once at load,
** and the load/upgrade/unload hooks run inside the boundary. */
#include "internal.h"
#include <stdio.h>

cnif_atoms cnif__atoms;

/* One module per shared object: CNIF_MODULE hands it over in nif_init. */
static const cnif_module *cnif__module;

void cnif__atoms_init(ErlNifEnv *nif)
{
    static const char *const phase_names[] = {
        [CNIF_PHASE_DECODE] = "decode",   [CNIF_PHASE_CALL] = "call",
        [CNIF_PHASE_ENCODE] = "encode",   [CNIF_PHASE_CLEANUP] = "cleanup",
        [CNIF_PHASE_LOAD] = "load",       [CNIF_PHASE_UPGRADE] = "upgrade",
        [CNIF_PHASE_UNLOAD] = "unload",
    };
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
    a->expected = enif_make_atom(nif, "expected");
    for (int i = 0; i <= CNIF_PHASE_UNLOAD; i++)
        a->phases[i] = enif_make_atom(nif, phase_names[i]);
}

/* A load or upgrade hook under a guard. A panic makes the load fail, with
** the message on stderr (erts only reports the return code). */
static int cnif__hook_load(ErlNifEnv *nif, void **priv, void **old_priv,
                           ERL_NIF_TERM info, cnif_phase phase)
{
    cnif_env env;
    int volatile rc = 0;

    cnif__atoms_init(nif);
    cnif__guard_begin(&env, nif, phase);
    if (CNIF__SETJMP(env.jump) == 0) {
        for (const cnif__type_init *init = cnif__module->types;
             init < cnif__module->types_end; init++)
            (*init)(&env);
        if (phase == CNIF_PHASE_LOAD && cnif__module->load)
            rc = cnif__module->load(&env, priv, info);
        else if (phase == CNIF_PHASE_UPGRADE && cnif__module->upgrade)
            rc = cnif__module->upgrade(&env, priv, old_priv, info);
    }
    if (cnif__guard_finish(&env) != CNIF__RETURNED) {
        cnif__report_orphan(&env, phase == CNIF_PHASE_LOAD ? "load hook"
                                                           : "upgrade hook");
        rc = -1;
    }
    cnif__guard_release(&env);
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

static void cnif__unload(ErlNifEnv *nif, void *priv)
{
    cnif_env env;

    if (!cnif__module->unload)
        return;
    cnif__guard_begin(&env, nif, CNIF_PHASE_UNLOAD);
    if (CNIF__SETJMP(env.jump) == 0)
        cnif__module->unload(&env, priv);
    if (cnif__guard_finish(&env) != CNIF__RETURNED)
        cnif__report_orphan(&env, "unload hook");
    cnif__guard_release(&env);
}

ErlNifEntry *cnif_module_entry(const cnif_module *module)
{
    static ErlNifEntry entry = {
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
    cnif__module = module;
    entry.name = module->name;
    entry.num_of_funcs = (int)(module->nifs_end - module->nifs);
    entry.funcs = module->nifs;
    return &entry;
}
