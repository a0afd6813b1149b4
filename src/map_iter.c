/* map_iter.c -- walking a map's entries: a cursor the caller steps
** forward, and a visit in either direction that can stop early. Either
** way the erl_nif iterator is released when the call ends, panic or not:
** a hash map's iterator holds memory of its own. */
#include "internal.h"

struct cnif_map_iter_state {
    ErlNifMapIterator it;
    ErlNifEnv *nif;
    bool live; /* created and not yet destroyed */
};

static void cnif__map_iter_release(void *arg)
{
    struct cnif_map_iter_state *s = arg;
    if (s->live)
        enif_map_iterator_destroy(s->nif, &s->it);
    s->live = false;
}

/* An iterator on map's first or last entry, released at the end of the
** call; who names the function used on a term that is not a map. */
static struct cnif_map_iter_state *
cnif__map_iter_open(cnif_env *env, cnif_map map, ErlNifMapIteratorEntry entry,
                    const char *who)
{
    struct cnif_map_iter_state *s = cnif_alloc(env, sizeof *s);
    s->nif = env->head.nif;
    s->live = enif_map_iterator_create(env->head.nif, map.term, &s->it, entry);
    if (!s->live)
        cnif_panic(env, "%s on a term that is not a map", who);
    cnif__defer_own(env, cnif__map_iter_release, s);
    return s;
}

cnif_map_iter cnif_map_iter_start(cnif_env *env, cnif_map map)
{
    return cnif__map_iter_open(env, map, ERL_NIF_MAP_ITERATOR_FIRST,
                               "cnif_map_iter_start");
}

bool cnif_map_iter_next(cnif_env *env, cnif_map_iter s, ERL_NIF_TERM *key,
                        ERL_NIF_TERM *value)
{
    (void)env;
    if (!s->live)
        return false;
    if (!enif_map_iterator_get_pair(s->nif, &s->it, key, value)) {
        cnif__map_iter_release(s);
        return false;
    }
    enif_map_iterator_next(s->nif, &s->it);
    return true;
}

bool cnif_map_each(cnif_env *env, cnif_map map, cnif_map_direction direction,
                   bool (*visit)(cnif_env *env, ERL_NIF_TERM key,
                                 ERL_NIF_TERM value, void *arg),
                   void *arg)
{
    struct cnif_map_iter_state *s;
    ERL_NIF_TERM key, value;
    bool forward = direction == CNIF_MAP_FORWARD, all = true;

    if (!forward && direction != CNIF_MAP_BACKWARD)
        cnif_panic(env, "cnif_map_each: %d is no cnif_map_direction",
                   (int)direction);
    s = cnif__map_iter_open(env, map,
                            forward ? ERL_NIF_MAP_ITERATOR_FIRST
                                    : ERL_NIF_MAP_ITERATOR_LAST,
                            "cnif_map_each");
    /* Past either end, erts's iterator has no pair to give. */
    while (enif_map_iterator_get_pair(s->nif, &s->it, &key, &value)) {
        if (!visit(env, key, value, arg)) {
            all = false;
            break;
        }
        if (forward)
            enif_map_iterator_next(s->nif, &s->it);
        else
            enif_map_iterator_prev(s->nif, &s->it);
    }
    cnif__map_iter_release(s);
    return all;
}
