/* codec_number.c -- the slow paths of the integer codecs, and floats. */
#include "internal.h"
#include <float.h>
#include <math.h>

bool cnif__int_fail(cnif_env *env, ERL_NIF_TERM term, const char *range)
{
    bool is_integer =
        enif_term_type(env->head.nif, term) == ERL_NIF_TERM_TYPE_INTEGER;
    return cnif_decode_fail(env, term, is_integer ? range : "an integer");
}

/* The integers a double argument also accepts; floats took the inline
** path in cnif_decode_double. */
bool cnif__double_slow(cnif_env *env, ERL_NIF_TERM term, double *out)
{
    ErlNifEnv *nif = env->head.nif;
    ErlNifSInt64 i;
    ErlNifUInt64 u;

    if (enif_get_int64(nif, term, &i)) {
        *out = (double)i;
        return true;
    }
    if (enif_get_uint64(nif, term, &u)) {
        *out = (double)u;
        return true;
    }
    return cnif_decode_fail(env, term, "a float");
}

void cnif__double_not_finite(cnif_env *env, double value)
{
    cnif_panic(env, "cannot encode %g as an Erlang float: it is not finite",
               value);
}

bool cnif_decode_float(cnif_env *env, ERL_NIF_TERM term, float *out)
{
    double d;
    if (!cnif_decode_double(env, term, &d))
        return false;
    if (fabs(d) > FLT_MAX)
        return cnif_decode_fail(env, term, "a float in single-precision range");
    *out = (float)d;
    return true;
}

ERL_NIF_TERM cnif_encode_float(cnif_env *env, float value)
{
    return cnif_encode_double(env, (double)value);
}
