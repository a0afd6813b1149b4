/* resource.c -- typed resources: opening their types at load (taking them
** over at upgrade), creating, checking, keeping, and the services built on
** them: resource binaries, monitors, select and dynamic calls. */
#include "internal.h"
#include <stdio.h>
#include <string.h>

/* The types the library opened, newest first: a worker of an isolated
** module looks for their instances in what a call returns (worker.c). */
static cnif_resource_type *cnif__open_types;

void cnif_resource_type_open(cnif_env *env, cnif_resource_type *rt)
{
    ErlNifResourceFlags tried;

    /* TAKEOVER makes a new library version the owner of the existing
    ** instances, so their callbacks never run code that is about to be
    ** unloaded. Instances left when their module is purged are not taken
    ** over by a later load: erts keeps their library (and its unload hook)
    ** until the last of them is destroyed. */
    rt->type = enif_init_resource_type(env->head.nif, rt->name, &rt->init,
                                       ERL_NIF_RT_CREATE | ERL_NIF_RT_TAKEOVER,
                                       &tried);
    if (!rt->type)
        cnif_panic(env, "cannot open resource type %s", rt->name);
    for (cnif_resource_type *open = cnif__open_types; open; open = open->next_open)
        if (open == rt)
            return;
    rt->next_open = cnif__open_types;
    cnif__open_types = rt;
}

bool cnif__resource_is_open(ErlNifEnv *nif, ERL_NIF_TERM term)
{
    void *obj;

    for (cnif_resource_type *rt = cnif__open_types; rt; rt = rt->next_open)
        if (rt->type && enif_get_resource(nif, term, rt->type, &obj))
            return true;
    return false;
}

static void cnif__release_slot(void *arg)
{
    void **slot = arg;
    if (*slot)
        enif_release_resource(*slot);
}

/* erts aborts the VM when it cannot allocate a resource. A large one is
** first tried with an allocator that reports failure: if that cannot get
** the memory, neither could erts. Small ones are not worth the probe. */
#define CNIF__RESOURCE_PROBE_MIN (1 << 16)
static void *cnif__resource_alloc_checked(ErlNifResourceType *type,
                                          size_t size)
{
    void *probe;

    if (size > CNIF__SIZE_MAX)
        return NULL;
    if (size >= CNIF__RESOURCE_PROBE_MIN) {
        if (!(probe = enif_alloc(size)))
            return NULL;
        enif_free(probe);
    }
    return enif_alloc_resource(type, size);
}

void *cnif_resource_alloc(cnif_env *env, cnif_resource_type *rt, size_t size)
{
    /* The call's reference is released through a slot registered before
    ** the resource exists, so no panic can leave it unowned. */
    void **slot = cnif_alloc(env, sizeof *slot);

    *slot = NULL;
    cnif__defer_own(env, cnif__release_slot, slot);
    if (!rt->type)
        cnif_panic(env, "resource type %s is not open: the library was not "
                        "loaded through CNIF_MODULE", rt->name);
    *slot = cnif__resource_alloc_checked(rt->type, size);
    if (!*slot)
        cnif_panic(env, "out of memory: cannot allocate a %s resource of "
                        "%zu bytes", rt->name, size);
    memset(*slot, 0, size);
    return *slot;
}

bool cnif_resource_decode(cnif_env *env, cnif_resource_type *rt,
                          ERL_NIF_TERM term, void **out)
{
    char *expected;

    if (rt->type && enif_get_resource(env->head.nif, term, rt->type, out))
        return true;
    expected = cnif_alloc(env, strlen(rt->name) + sizeof "an  resource");
    sprintf(expected, "%s %s resource",
            strchr("aeiouAEIOU", rt->name[0]) ? "an" : "a", rt->name);
    return cnif_decode_fail(env, term, expected);
}

ERL_NIF_TERM cnif_resource_encode(cnif_env *env, void *obj)
{
    if (!obj)
        cnif_panic(env, "cannot encode a NULL resource");
    return enif_make_resource(env->head.nif, obj);
}

void cnif_resource_keep(void *obj)
{
    enif_keep_resource(obj);
}

void cnif_resource_release(void *obj)
{
    enif_release_resource(obj);
}

cnif_bin cnif_resource_binary(cnif_env *env, void *obj, const void *data,
                              size_t size)
{
    cnif_bin bin = {data, size, 0};
    bin.term = enif_make_resource_binary(env->head.nif, obj, data, size);
    return bin;
}

int cnif_resource_monitor(cnif_env *env, void *obj, const cnif_pid *pid,
                          ErlNifMonitor *mon)
{
    int rc = enif_monitor_process(env->head.nif, obj, pid, mon);
    if (rc < 0)
        cnif_panic(env, "cnif_resource_monitor: the resource type has no "
                        ".down callback");
    return rc;
}

bool cnif_resource_demonitor(cnif_env *env, void *obj,
                             const ErlNifMonitor *mon)
{
    return enif_demonitor_process(env->head.nif, obj, mon) == 0;
}

int cnif_select(cnif_env *env, ErlNifEvent fd, int mode, void *obj,
                ERL_NIF_TERM ref)
{
    int rc;

    /* erts would notify the calling process, and a job's thread has none:
    ** the selection would succeed and never tell anyone. */
    if (env->job)
        cnif_panic(env, "cnif_select in a threaded NIF: no process is "
                        "calling to notify; select in a NIF call");
    rc = enif_select(env->head.nif, fd, (enum ErlNifSelectFlags)mode, obj,
                         NULL, ref);
    if (rc < 0)
        cnif_panic(env, "cnif_select on fd %d failed:%s%s%s", (int)fd,
                   rc & ERL_NIF_SELECT_INVALID_EVENT ? " invalid event" : "",
                   rc & ERL_NIF_SELECT_FAILED ? " the poller refused it" : "",
                   rc & ERL_NIF_SELECT_NOTSUP ? " not supported" : "");
    return rc;
}

bool cnif_resource_call(cnif_env *env, const char *module,
                        const char *type_name, ERL_NIF_TERM resource,
                        void *call_data)
{
    ErlNifEnv *nif = env->head.nif;
    ERL_NIF_TERM mod, name;

    /* Atoms that do not exist name no loaded resource type. */
    return enif_make_existing_atom(nif, module, &mod, ERL_NIF_LATIN1)
           && enif_make_existing_atom(nif, type_name, &name, ERL_NIF_LATIN1)
           && enif_dynamic_resource_call(nif, mod, name, resource, call_data)
                  == 0;
}
