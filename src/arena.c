/* arena.c -- call-scoped memory and deferred cleanups, released when the
** guarded call ends however it ends. */
#include "internal.h"
#include <stdalign.h>
#include <string.h>

/* Chunks grow geometrically so a call making many small allocations costs
** O(log n) enif_alloc calls, and are never smaller than this. */
#define CNIF__CHUNK_MIN 4096

/* enif_alloc only aligns to 8 bytes, so a chunk starts at the first
** max_align_t boundary inside its allocation, which `raw` keeps. A chunk
** of the smallest size is the one a call's first allocation makes: it
** comes from, and goes back to, the library's spares (spare.c). */
typedef struct cnif__chunk {
    struct cnif__chunk *next;
    void *raw;
    bool spare_sized;
    alignas(max_align_t) char data[];
} cnif__chunk;

/* One of fn and fn_env is set. */
typedef struct cnif__defer {
    struct cnif__defer *next;
    void (*fn)(void *arg);
    void (*fn_env)(cnif_env *now, void *arg);
    void *arg;
    bool own; /* cnif's, giving back what it took from the VM */
} cnif__defer;

static size_t cnif__round_up(size_t size)
{
    const size_t align = alignof(max_align_t);
    return (size + align - 1) & ~(align - 1);
}

static void *cnif__alloc_chunk(cnif_env *env, size_t size)
{
    size_t capacity = CNIF__CHUNK_MIN;
    cnif__chunk *chunk;
    void *raw;

    if (env->arena.chunks) {
        size_t last = (size_t)(env->arena.bump_end - env->arena.chunks->data);
        capacity = last <= CNIF__SIZE_MAX / 2 ? last * 2 : CNIF__SIZE_MAX;
    }
    if (capacity < size)
        capacity = size;
    raw = capacity == CNIF__CHUNK_MIN ? cnif__spare_take() : NULL;
    if (!raw)
        raw = enif_alloc(sizeof *chunk + capacity + alignof(cnif__chunk) - 1);
    if (!raw)
        return NULL;
    chunk = (cnif__chunk *)(uintptr_t)cnif__round_up((uintptr_t)raw);
    chunk->raw = raw;
    chunk->spare_sized = capacity == CNIF__CHUNK_MIN;
    chunk->next = env->arena.chunks;
    env->arena.chunks = chunk;
    env->arena.bump = chunk->data + size;
    env->arena.bump_end = chunk->data + capacity;
    return chunk->data;
}

void *cnif__alloc_or_null(cnif_env *env, size_t size)
{
    void *p;

    if (size > CNIF__SIZE_MAX)
        return NULL;
    size = cnif__round_up(size ? size : 1);
    if (size > (size_t)(env->arena.bump_end - env->arena.bump))
        return cnif__alloc_chunk(env, size);
    p = env->arena.bump;
    env->arena.bump += size;
    return p;
}

void *cnif_alloc(cnif_env *env, size_t size)
{
    void *p = cnif__alloc_or_null(env, size);
    if (!p)
        cnif_panic(env, "out of memory: cannot allocate %zu bytes", size);
    return p;
}

/* A cleanup that cannot be recorded runs at once, then the call panics:
** what it releases was acquired just before, and would leak otherwise. */
static void cnif__defer_push(cnif_env *env, void (*fn)(void *),
                             void (*fn_env)(cnif_env *, void *), void *arg,
                             bool own)
{
    cnif__defer *d = cnif__alloc_or_null(env, sizeof *d);
    if (!d) {
        if (fn_env)
            fn_env(env, arg);
        else
            fn(arg);
        cnif_panic(env, "out of memory: cannot allocate %zu bytes", sizeof *d);
    }
    d->fn = fn;
    d->fn_env = fn_env;
    d->arg = arg;
    d->own = own;
    d->next = env->arena.defers;
    env->arena.defers = d;
}

void cnif_defer(cnif_env *env, void (*fn)(void *arg), void *arg)
{
    cnif__defer_push(env, fn, NULL, arg, false);
}

void cnif_defer_env(cnif_env *env, void (*fn)(cnif_env *now, void *arg),
                    void *arg)
{
    cnif__defer_push(env, NULL, fn, arg, false);
}

void cnif__defer_own(cnif_env *env, void (*fn)(void *arg), void *arg)
{
    cnif__defer_push(env, fn, NULL, arg, true);
}

/* The newest cleanup of env's own that runs fn(arg), unlinked from the
** list if cancel; NULL if env has none. An unlinked entry never runs: the
** caller has done, or is about to do, what it would have done. */
static cnif__defer *cnif__defer_find(cnif_env *env, void (*fn)(void *),
                                     const void *arg, bool cancel)
{
    for (cnif__defer **p = &env->arena.defers; *p; p = &(*p)->next) {
        cnif__defer *d = *p;
        if (d->fn == fn && d->arg == arg) {
            if (cancel)
                *p = d->next;
            return d;
        }
    }
    return NULL;
}

bool cnif__defer_pending(cnif_env *env, void (*fn)(void *), const void *arg)
{
    return cnif__defer_find(env, fn, arg, false) != NULL;
}

bool cnif__defer_cancel(cnif_env *env, void (*fn)(void *), const void *arg)
{
    return cnif__defer_find(env, fn, arg, true) != NULL;
}

/* Each cleanup runs under the call's own guard re-armed here, so a panic in
** one lands back in this loop and the rest still run. After a fault that
** quarantines the library only cnif's own run: the user's would run on
** state the fault may have left half-updated (see cnif__fault_abandons).
** The entry is unlinked before it runs: a cleanup never runs twice. */
void cnif__arena_cleanup(cnif_env *env)
{
    env->head.phase = CNIF_PHASE_CLEANUP;
    while (env->arena.defers) {
        cnif__defer *volatile d = env->arena.defers;
        env->arena.defers = d->next;
        if (!d->own && cnif__fault_abandons(env))
            continue;
        if (CNIF__ARM(env)) {
            if (d->fn_env)
                d->fn_env(env, d->arg);
            else
                d->fn(d->arg);
        }
    }
}

void cnif__arena_free(cnif_env *env)
{
    cnif__chunk *chunk = env->arena.chunks;
    while (chunk) {
        cnif__chunk *next = chunk->next;
        if (!chunk->spare_sized || !cnif__spare_give(chunk->raw))
            enif_free(chunk->raw);
        chunk = next;
    }
    env->arena = (cnif__arena){0};
}

cnif__arena cnif__arena_take(cnif__arena *from)
{
    cnif__arena taken = *from;
    *from = (cnif__arena){0};
    return taken;
}
