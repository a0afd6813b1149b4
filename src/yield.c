/* yield.c -- yielding NIFs: a long loop cut into slices on the normal
** scheduler. The state lives in the call's own memory, so it never moves;
** a call that ends in its first slice needs nothing more. One that yields
** hands that memory and its cleanups to a resource that only the
** rescheduled call refers to, so they are released when the call
** completes, panics, or its process dies mid-way (the resource is then
** collected with the process). */
#include "internal.h"
#include <string.h>
#include <time.h>

typedef struct cnif__yield {
    cnif__arena arena; /* empty while a slice runs: the slice's guard owns it */
    void *state;       /* in the arena's memory */
} cnif__yield;

/* env->yield in a call's first slice, before it has a resource: what
** cnif_yield_due tests. Never written; compared by address only. */
static cnif__yield cnif__yield_first;

static ErlNifResourceType *cnif__yield_type;

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

void *cnif__yield_begin(cnif_env *env, size_t size)
{
    void *state = memset(cnif_alloc(env, size), 0, size);
    env->yield = &cnif__yield_first;
    return state;
}

void *cnif__yield_resume(cnif_env *env, ERL_NIF_TERM term)
{
    void *obj;
    if (!enif_get_resource(env->head.nif, term, cnif__yield_type, &obj))
        cnif_panic(env, "a yielding call resumed without its state");
    env->yield = obj;
    env->arena = cnif__arena_take(&env->yield->arena);
    return env->yield->state;
}

/* The resource that carries the call to its next slice, made the first
** time it yields. Its term is then the only owner: the rescheduled call
** keeps it alive, and the process's death collects it. */
static ERL_NIF_TERM cnif__yield_keep(cnif_env *env, void *state)
{
    cnif__yield *y = enif_alloc_resource(cnif__yield_type, sizeof *y);
    ERL_NIF_TERM term;

    if (!y)
        cnif_panic(env, "out of memory: cannot start a yielding call");
    y->arena = (cnif__arena){0};
    y->state = state;
    term = enif_make_resource(env->head.nif, y);
    enif_release_resource(y);
    env->yield = y;
    return term;
}

/* The slice clock, in ns. The OS's monotonic clock, not erts's: a slice
** is an interval, which needs none of erts's time correction, and
** enif_monotonic_time takes a lock for it that would cost a short call
** more than its state does. */
static ErlNifTime cnif__yield_clock(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (ErlNifTime)now.tv_sec * 1000000000 + now.tv_nsec;
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
    env->slice_start = 0; /* see cnif_yield_due */
    result = step(env, state, &done);
    if (done)
        return result; /* the guard releases the arena as for any call */
    cnif__locks_check_handoff(env, "a yielding NIF yields");
    if (env->yield == &cnif__yield_first)
        term = cnif__yield_keep(env, state);
    env->yield->arena = cnif__arena_take(&env->arena);
    /* erts charges the rescheduled call nothing: a step that yields at
    ** once, never asking cnif_yield_due, would hold the scheduler forever,
    ** its process never switched out (nor killed). */
    cnif_timeslice_consume(env, 1);
    return enif_schedule_nif(env->head.nif, name, 0, cont, 1, &term);
}

/* A slice's clock starts at its first question, not with the slice: a
** call that ends without asking, as a short one does, never reads the
** clock (on a VM's clock, a tenth of a short call's time). A slice thus
** runs its budget plus the one chunk before its first question. The start
** is set in the guards of enclosing cnif_try calls too: they share the
** slice, and a question asked inside one must start the outer clock. */
bool cnif_yield_due(cnif_env *env)
{
    ErlNifTime now, used;

    if (!env->yield)
        return false;
    now = cnif__yield_clock();
    if (!env->slice_start) {
        for (cnif_env *e = env; e && e->yield == env->yield; e = e->outer)
            e->slice_start = now;
        return false;
    }
    used = now - env->slice_start;
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
