/* @NAME@_nif.c -- the NIF library of the Erlang module @NAME@
** (src/@NAME@.erl). Each NIF is a plain C function; CNIF_EXPORT derives
** its arity, argument decoding and result encoding from the declared
** types. Everything that can go wrong ends as an Erlang exception, never
** as a crash of the VM. The API is documented in cnif.h. */
#include <cnif.h>

/* add(A, B): the sum of two integers. An argument that is not a 64-bit
** integer is a bad argument, reported by its number and value. */
static int64_t add(cnif_env *env, int64_t a, int64_t b)
{
    int64_t sum;
    if (__builtin_add_overflow(a, b, &sum))
        cnif_raise_badarg(env, 2, "%lld + %lld does not fit in 64 bits",
                          (long long)a, (long long)b);
    return sum;
}
CNIF_EXPORT(add, int64_t, int64_t, int64_t)

/* mean(Numbers): the mean of a non-empty list of numbers. A rejected
** element is reported by its place in the list; an empty list by a check
** the types cannot express. */
static double mean(cnif_env *env, cnif_array_double xs)
{
    double sum = 0;
    if (xs.len == 0)
        cnif_raise_badarg(env, 1, "the mean of an empty list is undefined");
    for (size_t i = 0; i < xs.len; i++)
        sum += xs.items[i];
    return sum / (double)xs.len;
}
CNIF_EXPORT(mean, double, cnif_array_double)

CNIF_MODULE(@NAME@, NULL, NULL, NULL)
