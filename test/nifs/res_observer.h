/* res_observer.h -- how the resource test NIFs tell the test what their
** callbacks did. A callback has no caller to return to, so it sends a
** message to the process registered as res_observer (nothing if none is).
** Shared by res_nif.c and res_upgrade/res_upgrade.c. */
#ifndef RES_OBSERVER_H
#define RES_OBSERVER_H
#include <cnif.h>

/* Send term, made in msg, to res_observer; frees msg either way. */
static inline void res_send(cnif_env *env, ErlNifEnv *msg, ERL_NIF_TERM term)
{
    ErlNifEnv *nif = cnif_nif_env(env);
    ErlNifPid observer;

    if (enif_whereis_pid(nif, enif_make_atom(msg, "res_observer"), &observer))
        cnif_send(env, &observer, msg, term);
    enif_free_env(msg);
}

/* Send {Tag, N1, ..., Nn} (0 <= n <= 4 integers) to res_observer. */
static inline void res_observe(cnif_env *env, const char *tag, int n,
                        const int64_t *values)
{
    ErlNifEnv *msg = enif_alloc_env();
    ERL_NIF_TERM items[5];

    items[0] = enif_make_atom(msg, tag);
    for (int i = 0; i < n; i++)
        items[i + 1] = enif_make_int64(msg, values[i]);
    res_send(env, msg, enif_make_tuple_from_array(msg, items, (unsigned)n + 1));
}

/* Whether the process registered as Name exists: how a test arms a
** callback to panic when the callback has no argument to say so. */
static inline bool res_armed(cnif_env *env, const char *name)
{
    ErlNifPid pid;
    ErlNifEnv *nif = cnif_nif_env(env);
    return enif_whereis_pid(nif, enif_make_atom(nif, name), &pid);
}

#define RES_OBSERVE(env, tag, ...)                                            \
    res_observe((env), (tag),                                                 \
                (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)),    \
                (int64_t[]){__VA_ARGS__})
#endif
