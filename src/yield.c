/* yield.c -- yielding NIFs: a long loop cut into slices on the normal
** scheduler. The state lives in the call's own memory, so it never moves;
** a call that ends in its first slice needs nothing more. One that yields
** hands that memory and its cleanups to a resource that only the
** rescheduled call refers to, so they are released when the call
** completes, panics, or its process dies mid-way (the resource is then
** collected with the process). Terms carried to the next slice travel in
** enif_schedule_nif's argv, next to the resource: the process holds them
** as it holds any argument, and its garbage collector moves them. */
#include "internal.h"
#include <stdalign.h>
#include <string.h>
#include <time.h>

/* What a yielding call keeps between slices: its arena, empty while a
** slice runs (the slice's guard owns it then). Made the first time the
** call yields. */
typedef struct cnif__yield_kept {
    cnif__arena arena;
    struct cnif__yield *call;
} cnif__yield_kept;

/* env->yield: the call's own record, in its call memory, at one address
** for the whole call, with State after it. The carried terms here are
** this slice's: a resumed slice reloads them from its argv, since the
** process's garbage collector may have moved them in between. */
typedef struct cnif__yield {
    cnif__yield_kept *kept; /* NULL until the call first yields */
    unsigned held;          /* bit i: slot i holds a term */
    ERL_NIF_TERM carried[CNIF_YIELD_CARRY_SLOTS];
    alignas(max_align_t) char state[];
} cnif__yield;

static ErlNifResourceType *cnif__yield_type;

/* Adopting the arena into the guard is all it takes: the guard runs the
** cleanups and frees the memory as for any call. */
static void cnif__yield_abandon(cnif_env *env, void *obj)
{
    env->arena = cnif__arena_take(&((cnif__yield_kept *)obj)->arena);
}

/* The caller died between slices (a completed or panicked call left the
** arena empty). This is cnif's own callback: even in a quarantined
** library it gives the memory back (the user's cleanups are skipped). */
static void cnif__yield_dtor(ErlNifEnv *nif, void *obj)
{
    cnif__yield_kept *y = obj;
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
    cnif__yield *y = cnif_alloc(env, sizeof *y + size);
    y->kept = NULL;
    y->held = 0;
    env->yield = y;
    return memset(y->state, 0, size);
}

void *cnif__yield_resume(cnif_env *env, int argc, const ERL_NIF_TERM argv[])
{
    cnif__yield_kept *kept;
    cnif__yield *y;

    if (argc < 1
        || !enif_get_resource(env->head.nif, argv[0], cnif__yield_type,
                              (void **)&kept))
        cnif_panic(env, "a yielding call resumed without its state");
    y = kept->call;
    env->yield = y;
    env->arena = cnif__arena_take(&kept->arena);
    for (int i = 1; i < argc && i <= CNIF_YIELD_CARRY_SLOTS; i++)
        y->carried[i - 1] = argv[i];
    return y->state;
}

/* The resource that carries the call to its next slice, made the first
** time it yields. Its term is then the only owner: the rescheduled call
** keeps it alive, and the process's death collects it. */
static ERL_NIF_TERM cnif__yield_keep(cnif_env *env)
{
    cnif__yield_kept *kept =
        enif_alloc_resource(cnif__yield_type, sizeof *kept);
    ERL_NIF_TERM term;

    if (!kept)
        cnif_panic(env, "out of memory: cannot start a yielding call");
    kept->arena = (cnif__arena){0};
    kept->call = env->yield;
    term = enif_make_resource(env->head.nif, kept);
    enif_release_resource(kept);
    env->yield->kept = kept;
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
    ERL_NIF_TERM result, argv[1 + CNIF_YIELD_CARRY_SLOTS];
    cnif__yield *y;
    int argc = 1;

    cnif_phase_set(env, CNIF_PHASE_CALL);
    env->slice_start = 0; /* see cnif_yield_due */
    result = step(env, state, &done);
    if (done)
        return result; /* the guard releases the arena as for any call */
    cnif__locks_check_handoff(env, "a yielding NIF yields");
    y = env->yield;
    argv[0] = y->kept ? term : cnif__yield_keep(env);
    /* Slots up to the last one held; a free slot below it carries the
    ** resource's term, which is never read as a slot's. */
    for (int i = 0; i < CNIF_YIELD_CARRY_SLOTS; i++)
        if (y->held >> i)
            argv[argc++] = y->held & (1u << i) ? y->carried[i] : argv[0];
    y->kept->arena = cnif__arena_take(&env->arena);
    /* erts charges the rescheduled call nothing: a step that yields at
    ** once, never asking cnif_yield_due, would hold the scheduler forever,
    ** its process never switched out (nor killed). */
    cnif_timeslice_consume(env, 1);
    return enif_schedule_nif(env->head.nif, name, 0, cont, argc, argv);
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

/* The call's record for the slot, or a panic naming fn. */
static cnif__yield *cnif__yield_slot(cnif_env *env, const char *fn, int slot)
{
    if (!env->yield)
        cnif_panic(env, "%s: not in a yielding NIF's init or step", fn);
    if (slot < 0 || slot >= CNIF_YIELD_CARRY_SLOTS)
        cnif_panic(env, "%s: slot %d is not in 0..%d", fn, slot,
                   CNIF_YIELD_CARRY_SLOTS - 1);
    return env->yield;
}

void cnif_yield_carry(cnif_env *env, int slot, ERL_NIF_TERM term)
{
    cnif__yield *y = cnif__yield_slot(env, "cnif_yield_carry", slot);
    y->carried[slot] = term;
    y->held |= 1u << slot;
}

ERL_NIF_TERM cnif_yield_carried(cnif_env *env, int slot)
{
    cnif__yield *y = cnif__yield_slot(env, "cnif_yield_carried", slot);
    if (!(y->held & (1u << slot)))
        cnif_panic(env, "cnif_yield_carried: slot %d holds no term: carry one "
                        "with cnif_yield_carry first", slot);
    return y->carried[slot];
}
