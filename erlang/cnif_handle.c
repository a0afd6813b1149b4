/* cnif_handle.c -- the NIFs of cnif_handle.erl: a resource of the
** caller's node that stands for a resource living in a worker of an
** isolated module, and tells the pool when it is garbage collected, so
** that the worker lets the resource go. Built with cnif itself. */
#include <cnif.h>

/* info is {Pool, Worker, Key, Slot, Ref}, in an env of the handle's own. */
typedef struct handle {
    ErlNifEnv *env;
    ERL_NIF_TERM info;
} handle;

static void handle_destroy(cnif_env *env, handle *h)
{
    const ERL_NIF_TERM *info;
    cnif_pid pool;
    int arity;

    if (!h->env)
        return;
    if (enif_get_tuple(h->env, h->info, &arity, &info) && arity >= 3 &&
        enif_get_local_pid(h->env, info[0], &pool))
        cnif_send(env, &pool, h->env,
                  enif_make_tuple3(h->env, enif_make_atom(h->env, "$cnif_release"),
                                   info[1], info[2]));
    enif_free_env(h->env);
}
CNIF_DEFINE_RESOURCE(handle, .destroy = handle_destroy)

static cnif_res_handle new(cnif_env *env, cnif_term info)
{
    handle *h = cnif_resource_new(env, handle);

    h->env = enif_alloc_env();
    if (!h->env)
        cnif_panic(env, "out of memory: cannot make a resource handle");
    h->info = enif_make_copy(h->env, info);
    return h;
}
CNIF_EXPORT(new, cnif_res_handle, cnif_term)

static cnif_term info(cnif_env *env, cnif_res_handle h)
{
    return enif_make_copy(cnif_nif_env(env), h->info);
}
CNIF_EXPORT(info, cnif_term, cnif_res_handle)

CNIF_MODULE(cnif_handle, NULL, NULL, NULL)
