/* demo.c -- the example NIF library of `make demo`: typed NIFs, and six
** ways user code can go wrong, none of which takes the VM down. */
#include <cnif.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A plain typed NIF: arity, decoding and encoding come from the types. */
static int64_t add(cnif_env *env, int64_t a, int64_t b)
{
    (void)env;
    return a + b;
}
CNIF_EXPORT(add, int64_t, int64_t, int64_t)

/* Text in, text out; the reply is written straight into a new binary. */
static cnif_bin greet(cnif_env *env, cnif_str name)
{
    unsigned char *out;
    cnif_bin bin = cnif_bin_new(env, name.size + 8, &out);
    memcpy(out, "Hello, ", 7);
    memcpy(out + 7, name.data, name.size);
    out[name.size + 7] = '!';
    return bin;
}
CNIF_EXPORT(greet, cnif_bin, cnif_str)

/* A list of floats in; a panic with a message if it is empty. */
static double mean(cnif_env *env, cnif_array_double xs)
{
    double sum = 0;
    if (xs.len == 0)
        cnif_panic(env, "mean of an empty list");
    for (size_t i = 0; i < xs.len; i++)
        sum += xs.items[i];
    return sum / (double)xs.len;
}
CNIF_EXPORT(mean, double, cnif_array_double)

/* A user type with its own codecs, following the built-in convention.
** Its decoder has a bug: it panics on a zero denominator instead of
** rejecting the term. */
typedef struct {
    int64_t num, den;
} ratio;

static bool cnif_decode_ratio(cnif_env *env, ERL_NIF_TERM term, ratio *out)
{
    cnif_tuple t;
    if (!cnif_decode_cnif_tuple(env, term, &t) || t.arity != 2)
        return cnif_decode_fail(env, term, "a {Num, Den} tuple");
    if (!CNIF_TUPLE_GET(env, t, 0, int64_t, &out->num)
        || !CNIF_TUPLE_GET(env, t, 1, int64_t, &out->den))
        return false;
    CNIF_ASSERT(env, out->den != 0);
    return true;
}

/* Its encoder has a bug too: it refuses negative numerators. */
static ERL_NIF_TERM cnif_encode_ratio(cnif_env *env, ratio r)
{
    if (r.num < 0)
        cnif_panic(env, "cannot encode negative ratio %lld/%lld",
                   (long long)r.num, (long long)r.den);
    return enif_make_tuple2(cnif_nif_env(env), cnif_encode_int64_t(env, r.num),
                            cnif_encode_int64_t(env, r.den));
}

static ratio ratio_negate(cnif_env *env, ratio r)
{
    (void)env;
    r.num = -r.num;
    return r;
}
CNIF_EXPORT(ratio_negate, ratio, ratio)

/* A bug in the body, several calls down. */
static void check_positive(cnif_env *env, int64_t n)
{
    if (n <= 0)
        cnif_panic(env, "expected a positive number, got %lld", (long long)n);
}

static int64_t factorial(cnif_env *env, int64_t n)
{
    int64_t r = 1;
    check_positive(env, n);
    for (int64_t i = 2; i <= n; i++)
        if (__builtin_mul_overflow(r, i, &r))
            cnif_raise_badarg(env, 1, "%lld! does not fit in 64 bits",
                              (long long)n);
    return r;
}
CNIF_EXPORT(factorial, int64_t, int64_t)

/* How many entries a PATH-like variable lists. A bug no panic can
** catch: getenv returns NULL for a variable that is not set, and the loop
** reads through it. The library arms the fault barrier (below), so the
** read raises nif_crashed in the caller and quarantines the library,
** instead of killing the VM. */
static int64_t path_entries(cnif_env *env, cnif_cstr name)
{
    const char *value = getenv(name);
    int64_t entries = 1;
    (void)env;
    for (size_t i = 0; value[i] != '\0'; i++)
        entries += value[i] == ':';
    return entries;
}
CNIF_EXPORT(path_entries, int64_t, cnif_cstr)

/* A counter behind a lock. The bug: counter_add calls counter_get, which
** takes the lock counter_add already holds, and waits for it for ever.
** No signal, no panic: in process, it would block a scheduler until the
** node is restarted. Run isolated, its call's timeout ends it. */
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t counter;

static int64_t counter_get(cnif_env *env)
{
    int64_t value;
    (void)env;
    pthread_mutex_lock(&counter_lock);
    value = counter;
    pthread_mutex_unlock(&counter_lock);
    return value;
}
CNIF_EXPORT(counter_get, int64_t)

static int64_t counter_add(cnif_env *env, int64_t n)
{
    int64_t value;
    pthread_mutex_lock(&counter_lock);
    counter += n;
    value = counter_get(env);
    pthread_mutex_unlock(&counter_lock);
    return value;
}
CNIF_EXPORT(counter_add, int64_t, int64_t)

CNIF_MODULE_WITH(demo, NULL, NULL, NULL, CNIF_FAULT_BARRIER)
