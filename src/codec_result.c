/* codec_result.c -- the shared shape check of result and status decoders:
** {ok, V} | {error, E}, or ok | {error, E}. */
#include "internal.h"

bool cnif__result_split(cnif_env *env, ERL_NIF_TERM term, bool bare_ok,
                        bool *ok, ERL_NIF_TERM *payload)
{
    const ERL_NIF_TERM *items;
    int arity;

    if (bare_ok && term == cnif__atoms.ok) {
        *ok = true;
        return true;
    }
    if (enif_get_tuple(env->head.nif, term, &arity, &items) && arity == 2
        && ((items[0] == cnif__atoms.ok && !bare_ok)
            || items[0] == cnif__atoms.error)) {
        *ok = items[0] == cnif__atoms.ok;
        *payload = items[1];
        return true;
    }
    return cnif_decode_fail(env, term, bare_ok
                                           ? "ok or {error, Reason}"
                                           : "{ok, Value} or {error, Reason}");
}
