/* codec_list.c -- the shared start of every array decoder: a proper list,
** one nesting level deeper, and room for its elements; and room for the
** terms of every array encoder's list. */
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

/* One enif_make_list_from_array call allocates the list's cells in one
** piece, about 0.8 times the time of a cell at a time; the terms wait in
** call memory meanwhile. Without memory, or past the unsigned count that
** call takes, the encoder builds cell by cell, which needs none: encoding
** an array never fails for want of this room. An empty list takes no
** memory that way either. */
ERL_NIF_TERM *cnif__list_terms(cnif_env *env, size_t len)
{
    if (len == 0 || len > UINT_MAX)
        return NULL;
    return cnif__alloc_or_null(env, len * sizeof(ERL_NIF_TERM));
}
