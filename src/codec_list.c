/* codec_list.c -- the shared start of every array decoder: a proper list,
** one nesting level deeper, and room for its elements. */
#include "internal.h"

bool cnif__list_begin(cnif_env *env, ERL_NIF_TERM term, size_t elem_size,
                      void **items, size_t *len)
{
    unsigned n;

    if (!enif_get_list_length(env->head.nif, term, &n))
        return cnif_decode_fail(env, term,
                                enif_is_list(env->head.nif, term)
                                    ? "a proper list"
                                    : "a list");
    if (!cnif_depth_enter(env))
        return false;
    if (n && elem_size > SIZE_MAX / n)
        cnif_panic(env, "out of memory: a list of %u elements", n);
    *items = cnif_alloc(env, (size_t)n * elem_size);
    *len = n;
    return true;
}
