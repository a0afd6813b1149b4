/* yield.c -- yielding NIFs: a long loop cut into slices on the normal
** scheduler. Between slices the state, its call-scoped memory and its
** cleanups live in a resource that only the rescheduled call refers to, so
** they are released when the call completes, panics, or its process dies
** mid-way (the resource is then collected with the process). */
#include "internal.h"
#include <stdalign.h>
#include <string.h>

/* A resource is only 8-byte aligned, so the state is placed at the first
** max_align_t boundary after the header, by hand. */
typedef struct cnif__yield {
    cnif__arena arena; /* empty while a slice runs: the slice's guard owns it */
} cnif__yield;

static ErlNifResourceType *cnif__yield_type;

static void *cnif__yield_state(cnif__yield *y)
{
    uintptr_t p = (uintptr_t)(y + 1);
    return (void *)((p + alignof(max_align_t) - 1)
                    & ~(uintptr_t)(alignof(max_align_t) - 1));
}

/* Adopting the arena into the guard is all it takes: the guard runs the
** cleanups and frees the memory as for any call. */
static void cnif__yield_abandon(cnif_env *env, void *obj)
{
    env->arena = cnif__arena_take(&((cnif__yield *)obj)->arena);
}

/* The caller died between slices (a completed or panicked call left the
** arena empty). This is cnif's own callback: even in a quarantined
** library it gives the memory back (the user's cleanups are skipped). */
static void cnif__yield_dtor(ErlNifEnv *nif, void *obj)
{
    cnif__yield *y = obj;
    if (y->arena.chunks || y->arena.defers)
        cnif__run_guarded(nif, CNIF_PHASE_CLEANUP, "cancelled yielding call",
                          cnif__yield_abandon, y,
                          cnif__report_callback_failure);
}

void cnif__yield_open(cnif_env *env)
{
    ErlNifResourceTypeInit init = {.dtor = cnif__yield_dtor, .members = 4};
    ErlNifResourceFlags tried;

    cnif__yield_type = enif_init_resource_type(
        env->head.nif, "cnif_yield", &init,
        ERL_NIF_RT_CREATE | ERL_NIF_RT_TAKEOVER, &tried);
    if (!cnif__yield_type)
        cnif_panic(env, "cannot open the resource type of yielding calls");
}

void *cnif__yield_begin(cnif_env *env, size_t size, ERL_NIF_TERM *term)
{
    cnif__yield *y = enif_alloc_resource(
        cnif__yield_type, sizeof *y + alignof(max_align_t) + size);

    if (!y)
        cnif_panic(env, "out of memory: cannot start a yielding call");
    y->arena = (cnif__arena){0};
    memset(cnif__yield_state(y), 0, size);
    /* From here on the term is the only owner: nothing leaks if this slice
    ** panics, and the rescheduled call keeps the state alive. */
    *term = enif_make_resource(env->head.nif, y);
    enif_release_resource(y);
    env->yield = y;
    return cnif__yield_state(y);
}

void *cnif__yield_resume(cnif_env *env, ERL_NIF_TERM term)
{
    void *obj;
    if (!enif_get_resource(env->head.nif, term, cnif__yield_type, &obj))
        cnif_panic(env, "a yielding call resumed without its state");
    env->yield = obj;
    env->arena = cnif__arena_take(&env->yield->arena);
    return cnif__yield_state(env->yield);
}

ERL_NIF_TERM cnif__yield_step(cnif_env *env, ERL_NIF_TERM term, void *state,
                              const char *name,
                              ERL_NIF_TERM (*cont)(ErlNifEnv *, int,
                                                   const ERL_NIF_TERM[]),
                              ERL_NIF_TERM (*step)(cnif_env *, void *, bool *))
{
    bool done = false;
    ERL_NIF_TERM result;

    cnif_phase_set(env, CNIF_PHASE_CALL);
    env->slice_start = enif_monotonic_time(ERL_NIF_NSEC);
    result = step(env, state, &done);
    if (done)
        return result; /* the guard releases the arena as for any call */
    cnif__locks_check_handoff(env, "a yielding NIF yields");
    env->yield->arena = cnif__arena_take(&env->arena);
    return enif_schedule_nif(env->head.nif, name, 0, cont, 1, &term);
}

bool cnif_yield_due(cnif_env *env)
{
    ErlNifTime used;

    if (!env->yield)
        return false;
    used = enif_monotonic_time(ERL_NIF_NSEC) - env->slice_start;
    if (used < (ErlNifTime)CNIF_YIELD_SLICE_US * 1000)
        return false;
    /* Charged in the scheduler's unit: 1% of its 1 ms timeslice is 10 us. */
    cnif_timeslice_consume(env, (int)(used / 10000));
    return true;
}

bool cnif_timeslice_consume(cnif_env *env, int percent)
{
    ErlNifPid self;

    /* A job's thread and a callback run for no process: there is no
    ** timeslice to charge, and erts dereferences the missing process. */
    if (env->job || !enif_self(env->head.nif, &self))
        return false;
    return enif_consume_timeslice(env->head.nif, percent < 1     ? 1
                                                 : percent > 100 ? 100
                                                                 : percent);
}
