/* scope.c -- locks and resource keeps held for the rest of a call: each is
** given back by a cleanup registered as it is taken, so a panic, a raise
** or a bad argument under it cannot leave it held; an early release takes
** that cleanup back, so nothing is released twice. */
#include "internal.h"

/* The cleanups, one per way of releasing: an early release must match the
** way the thing was taken (a read lock is not write-unlocked). */
static void cnif__mutex_release(void *lock)
{
    enif_mutex_unlock(lock);
}

static void cnif__read_release(void *lock)
{
    enif_rwlock_runlock(lock);
}

static void cnif__write_release(void *lock)
{
    enif_rwlock_rwunlock(lock);
}

static void cnif__keep_release(void *obj)
{
    enif_release_resource(obj);
}

/* Whether one of this thread's guards, from env outwards, holds lock in
** any mode: erl_nif's locks are not recursive, so taking it again would
** wait for ever. */
static bool cnif__lock_held(cnif_env *env, const void *lock)
{
    for (cnif_env *g = env; g; g = g->outer)
        if (cnif__defer_pending(g, cnif__mutex_release, lock)
            || cnif__defer_pending(g, cnif__read_release, lock)
            || cnif__defer_pending(g, cnif__write_release, lock))
            return true;
    return false;
}

static void cnif__lock_take(cnif_env *env, const char *what, void *lock,
                            void (*take)(void *), void (*release)(void *))
{
    if (!lock)
        cnif_panic(env, "%s: NULL lock", what);
    if (cnif__lock_held(env, lock))
        cnif_panic(env, "%s: this call already holds the lock: taking it "
                        "again would deadlock", what);
    take(lock);
    /* With no memory to record the release, cnif_defer releases the lock
    ** at once and panics: the lock is never left held. */
    cnif_defer(env, release, lock);
    env->arena.locks++;
}

/* Take back the newest cleanup that runs release(obj) from this thread's
** guards, from env outwards, and run it now. */
static void cnif__scope_end(cnif_env *env, const char *what, void *obj,
                            void (*release)(void *), bool lock)
{
    for (cnif_env *g = env; g; g = g->outer)
        if (cnif__defer_cancel(g, release, obj)) {
            if (lock)
                g->arena.locks--;
            release(obj);
            return;
        }
    cnif_panic(env, "%s: the call holds no such %s", what,
               lock ? "lock (taken in this mode, and not yet released)"
                    : "resource (kept with cnif_resource_hold, and not yet "
                      "released)");
}

static void cnif__mutex_take(void *lock)
{
    enif_mutex_lock(lock);
}

static void cnif__read_take(void *lock)
{
    enif_rwlock_rlock(lock);
}

static void cnif__write_take(void *lock)
{
    enif_rwlock_rwlock(lock);
}

void cnif_mutex_lock(cnif_env *env, ErlNifMutex *mutex)
{
    cnif__lock_take(env, "cnif_mutex_lock", mutex, cnif__mutex_take,
                    cnif__mutex_release);
}

void cnif_mutex_unlock(cnif_env *env, ErlNifMutex *mutex)
{
    cnif__scope_end(env, "cnif_mutex_unlock", mutex, cnif__mutex_release, true);
}

void cnif_rwlock_read_lock(cnif_env *env, ErlNifRWLock *lock)
{
    cnif__lock_take(env, "cnif_rwlock_read_lock", lock, cnif__read_take,
                    cnif__read_release);
}

void cnif_rwlock_read_unlock(cnif_env *env, ErlNifRWLock *lock)
{
    cnif__scope_end(env, "cnif_rwlock_read_unlock", lock, cnif__read_release,
                    true);
}

void cnif_rwlock_write_lock(cnif_env *env, ErlNifRWLock *lock)
{
    cnif__lock_take(env, "cnif_rwlock_write_lock", lock, cnif__write_take,
                    cnif__write_release);
}

void cnif_rwlock_write_unlock(cnif_env *env, ErlNifRWLock *lock)
{
    cnif__scope_end(env, "cnif_rwlock_write_unlock", lock,
                    cnif__write_release, true);
}

void cnif_resource_hold(cnif_env *env, void *obj)
{
    if (!obj)
        cnif_panic(env, "cnif_resource_hold: NULL resource");
    enif_keep_resource(obj);
    /* cnif's own cleanup: the keep is given back even after a fault. */
    cnif__defer_own(env, cnif__keep_release, obj);
}

void cnif_resource_unhold(cnif_env *env, void *obj)
{
    cnif__scope_end(env, "cnif_resource_unhold", obj, cnif__keep_release,
                    false);
}

void cnif__locks_check_handoff(cnif_env *env, const char *next)
{
    if (env->arena.locks)
        cnif_panic(env, "%s while the call holds %u lock%s: release %s "
                        "first (the cleanup would run on another thread)",
                   next, env->arena.locks, env->arena.locks == 1 ? "" : "s",
                   env->arena.locks == 1 ? "it" : "them");
}
