/* vdemo.c -- the NIF library of vendored_tests: built from the vendored
** cnif.h alone, for the module vdemo (with -DVBARE, for a module that
** loads it with no wrapper; with -DVDEMO_ELIXIR, for VDemo). A typed NIF, a panic, and a
** resource whose destructor panics, which only the reporter can tell. */
#define CNIF_IMPLEMENTATION
#include "cnif.h"

#ifdef VBARE
#define VDEMO_MODULE "vbare"
#elif defined(VDEMO_ELIXIR)
#define VDEMO_MODULE "Elixir.VDemo"
#else
#define VDEMO_MODULE "vdemo"
#endif

static int64_t add(cnif_env *env, int64_t a, int64_t b)
{
    (void)env;
    return a + b;
}
CNIF_EXPORT(add, int64_t, int64_t, int64_t)

static void fail(cnif_env *env, int64_t code)
{
    cnif_panic(env, "failed with %lld", (long long)code);
}
CNIF_EXPORT(fail, void, int64_t)

typedef struct {
    int64_t id;
} doomed;

static void doomed_destroy(cnif_env *env, doomed *d)
{
    cnif_panic(env, "cannot destroy %lld", (long long)d->id);
}
CNIF_DEFINE_RESOURCE(doomed, .destroy = doomed_destroy)

static cnif_res_doomed doomed_new(cnif_env *env, int64_t id)
{
    doomed *d = cnif_resource_new(env, doomed);
    d->id = id;
    return d;
}
CNIF_EXPORT(doomed_new, cnif_res_doomed, int64_t)

CNIF_MODULE_NAMED(VDEMO_MODULE, NULL, NULL, NULL)
