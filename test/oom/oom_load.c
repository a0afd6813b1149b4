/* oom_load.c -- a library whose whole life runs under allocation-failure
** injection (oom_tests.erl, load_lifecycle): it is loaded with the arming
** in its environment (see oom_wrap.c), so the load hook's allocations come
** first (cnif's own resource types, the thread pool's lock, the defined
** types, the user hook's private data); then its first pooled and
** own-thread jobs start the pool; then it is unloaded and reports what
** is still live. */
#include <cnif.h>
#include <string.h>

typedef struct settings {
    int64_t jobs;
    cnif_atom mode;
} settings;
#define SETTINGS_FIELDS(F) F(int64_t, jobs) F(cnif_atom, mode)
CNIF_DEFINE_STRUCT(settings, SETTINGS_FIELDS, .as = CNIF_AS_MAP)

typedef struct token {
    int64_t n;
} token;
CNIF_DEFINE_RESOURCE(token)

static int64_t triangle(int64_t n)
{
    int64_t acc = 0;
    for (int64_t i = 0; i < n; i++)
        acc += i;
    return acc;
}

static int64_t pool_sum(cnif_env *env, int64_t n)
{
    memset(cnif_alloc(env, 5000), 0, 5000);
    return triangle(n);
}
CNIF_EXPORT_THREADED(pool_sum, int64_t, int64_t)

static int64_t thread_sum(cnif_env *env, int64_t n)
{
    memset(cnif_alloc(env, 5000), 0, 5000);
    return triangle(n);
}
CNIF_EXPORT_THREAD(thread_sum, int64_t, int64_t)

/* Private data made by the load hook, freed by the unload hook. The call
** memory is small: its chunk is kept as a spare (src/spare.c), which the
** last unload must free. */
static int load(cnif_env *env, void **priv, ERL_NIF_TERM info)
{
    (void)info;
    memset(cnif_alloc(env, 500), 0, 500);
    *priv = enif_alloc(64);
    if (!*priv)
        cnif_panic(env, "out of memory: cannot allocate private data");
    return 0;
}

static void unload(cnif_env *env, void *priv)
{
    (void)env;
    enif_free(priv);
}

CNIF_MODULE(oom_load, load, NULL, unload)
