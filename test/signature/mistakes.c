/* mistakes.c -- one library, right as it stands, and with each MISTAKE_*
** defined wrong in one way: a function whose type is not the one its
** export, codec, resource or module declares, or a type with no codecs.
** signature_tests compiles it with each compiler, once as it is (which
** must compile with no warning) and once per mistake (which must fail,
** with the message the test expects). */
#include <cnif.h>
#include <string.h>

typedef struct counter {
    int64_t n;
} counter;

/* A type with hand-written codecs, made usable as a field by CNIF_CODEC. */
typedef struct celsius {
    double degrees;
} celsius;

static bool cnif_decode_celsius(cnif_env *env, ERL_NIF_TERM term, celsius *out)
{
    return cnif_decode_double(env, term, &out->degrees);
}

#ifdef MISTAKE_ENCODER
static ERL_NIF_TERM cnif_encode_celsius(cnif_env *env, const celsius *value)
{
    return cnif_encode_double(env, value->degrees);
}
#else
static ERL_NIF_TERM cnif_encode_celsius(cnif_env *env, celsius value)
{
    return cnif_encode_double(env, value.degrees);
}
#endif
CNIF_CODEC(celsius)

#ifdef MISTAKE_NARROW_ARGUMENT
static int64_t add(cnif_env *env, uint8_t a, int64_t b)
#else
static int64_t add(cnif_env *env, int64_t a, int64_t b)
#endif
{
    (void)env;
    return a + b;
}
CNIF_EXPORT(add, int64_t, int64_t, int64_t)

#ifdef MISTAKE_DOUBLE_AS_INTEGER
static double half(cnif_env *env, double x)
#else
static double half(cnif_env *env, int64_t x)
#endif
{
    (void)env;
    return x / 2.0;
}
CNIF_EXPORT(half, double, int64_t)

#ifdef MISTAKE_RETURN_TYPE
static int32_t twice(cnif_env *env, celsius c)
#else
static celsius twice(cnif_env *env, celsius c)
#endif
{
    (void)env;
    c.degrees *= 2;
    return c;
}
CNIF_EXPORT_AS(double_it, twice, celsius, celsius)

#ifdef MISTAKE_NO_CODEC
static int64_t count(cnif_env *env, counter c)
{
    (void)env;
    return c.n;
}
CNIF_EXPORT(count, int64_t, counter)
#endif

#ifdef MISTAKE_RAW
static ERL_NIF_TERM raw(cnif_env *env, int argc, ERL_NIF_TERM *argv)
#else
static ERL_NIF_TERM raw(cnif_env *env, int argc, const ERL_NIF_TERM argv[])
#endif
{
    (void)env;
    (void)argc;
    return argv[0];
}
CNIF_EXPORT_RAW(raw, 1)

typedef struct sum_state {
    int64_t total, next, last;
} sum_state;

#ifdef MISTAKE_YIELDING_INIT
static void sum_init(cnif_env *env, sum_state *state, int32_t last)
#else
static void sum_init(cnif_env *env, sum_state *state, int64_t last)
#endif
{
    (void)env;
    state->last = last;
}

#ifdef MISTAKE_YIELDING_STEP
static bool sum_step(cnif_env *env, sum_state *state, int32_t *result)
#else
static bool sum_step(cnif_env *env, sum_state *state, int64_t *result)
#endif
{
    (void)env;
    while (state->next <= state->last)
        state->total += state->next++;
    *result = state->total;
    return true;
}
CNIF_EXPORT_YIELDING(sum, int64_t, sum_state, int64_t)

#ifdef MISTAKE_THREADED
static int64_t negate(cnif_env *env, uint32_t n)
#else
static int64_t negate(cnif_env *env, int64_t n)
#endif
{
    return cnif_job_cancelled(env) ? 0 : -n;
}
CNIF_EXPORT_THREADED(negate, int64_t, int64_t)

#ifdef MISTAKE_RESOURCE_CALLBACK
static void counter_destroy(cnif_env *env, int64_t *c)
#else
static void counter_destroy(cnif_env *env, counter *c)
#endif
{
    (void)env;
    memset(c, 0, sizeof *c);
}
CNIF_DEFINE_RESOURCE(counter, .destroy = counter_destroy)

/* The private data: how many times the library was loaded. */
#ifdef MISTAKE_LOAD_HOOK
static int load(cnif_env *env, void **priv_data)
{
#else
static int load(cnif_env *env, void **priv_data, ERL_NIF_TERM load_info)
{
    (void)load_info;
#endif
    static int loads;
    (void)env;
    loads++;
    *priv_data = &loads;
    return 0;
}

#ifdef MISTAKE_UNLOAD_HOOK
static int unload(cnif_env *env, void *priv_data)
{
    (void)env;
    return *(int *)priv_data;
}
#else
static void unload(cnif_env *env, void *priv_data)
{
    (void)env;
    --*(int *)priv_data;
}
#endif

CNIF_MODULE(mistakes, load, NULL, unload)
