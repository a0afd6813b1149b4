/* twin_a.c -- one of two cnif libraries built from this one source
** (twin_b.c includes it under another TWIN name), so the two shared
** objects define exactly the same C names: the same statics, the same
** non-static global below, and each its own copy of libcnif.a. Loaded side
** by side in one VM, each must still answer for itself: a library exports
** only nif_init, so nothing in one can bind to the other.
**
** test.mk builds twin_b.so from twin_b.c alone: after editing this file in
** an existing build directory, remove twin_b.so to rebuild it. */
#include <cnif.h>

#ifndef TWIN
#define TWIN twin_a
#endif
#define TWIN_TEXT_(name) #name
#define TWIN_TEXT(name) TWIN_TEXT_(name)

static const char twin_name[] = TWIN_TEXT(TWIN);

/* Deliberately not static and named alike in both twins: hidden
** visibility is what keeps them apart. Atomic: the tests call whoami from
** several processes at once. */
long twin_calls;

/* The VM keeps this as the library's priv data; whoami reads it back. */
static int load(cnif_env *env, void **priv_data, ERL_NIF_TERM load_info)
{
    (void)env;
    (void)load_info;
    *priv_data = (void *)twin_name;
    return 0;
}

/* {Name, PrivName, Calls}: this file's name, the name the load hook left
** as priv data, and how often this library's whoami has run. */
static cnif_term whoami(cnif_env *env)
{
    ErlNifEnv *nif = cnif_nif_env(env);
    const char *priv = enif_priv_data(nif);
    return enif_make_tuple3(nif, enif_make_atom(nif, twin_name),
                            enif_make_atom(nif, priv),
                            enif_make_long(nif, __atomic_add_fetch(
                                                    &twin_calls, 1,
                                                    __ATOMIC_RELAXED)));
}
CNIF_EXPORT(whoami, cnif_term)

static void twin_panic(cnif_env *env)
{
    cnif_panic(env, "%s panicked", twin_name); /* site:twin */
}
CNIF_EXPORT(twin_panic, void)

/* CNIF_MODULE stringifies its name argument: expand TWIN first. */
#define TWIN_MODULE(name) CNIF_MODULE(name, load, NULL, NULL)
TWIN_MODULE(TWIN)
