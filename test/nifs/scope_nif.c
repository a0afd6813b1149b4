/* scope_nif.c -- the NIFs behind scope_tests.erl: scoped locks and
** resource holds released however a call ends, CNIF_RESOURCE_TYPE, and
** cnif_value trees built at run time.
**
** Every deliberate panic sits on a line marked "site:NAME"; the tests find
** the marker and expect that line as the panic's location. */
#include <cnif.h>
#include <string.h>

static ErlNifMutex *mutex;
static ErlNifRWLock *rwlock;

static int load(cnif_env *env, void **priv, ERL_NIF_TERM info)
{
    (void)priv, (void)info;
    mutex = enif_mutex_create("scope_nif");
    rwlock = enif_rwlock_create("scope_nif");
    CNIF_ASSERT(env, mutex && rwlock);
    return 0;
}

static void unload(cnif_env *env, void *priv)
{
    (void)env, (void)priv;
    enif_mutex_destroy(mutex);
    enif_rwlock_destroy(rwlock);
}

static bool is(cnif_atom a, const char *name)
{
    return strcmp(a, name) == 0;
}

/* --- Scoped locks --------------------------------------------------------
** Which lock: mutex, read or write (the rwlock in that mode). */
static void lock(cnif_env *env, cnif_atom which)
{
    if (is(which, "mutex"))
        cnif_mutex_lock(env, mutex);
    else if (is(which, "read"))
        cnif_rwlock_read_lock(env, rwlock);
    else
        cnif_rwlock_write_lock(env, rwlock);
}

static void unlock(cnif_env *env, cnif_atom which)
{
    if (is(which, "mutex"))
        cnif_mutex_unlock(env, mutex);
    else if (is(which, "read"))
        cnif_rwlock_read_unlock(env, rwlock);
    else
        cnif_rwlock_write_unlock(env, rwlock);
}

/* Whether Which is free: another taker would get it at once. A write
** try-lock fails while any reader or writer holds the rwlock. */
static bool lock_free(cnif_env *env, cnif_atom which)
{
    (void)env;
    if (is(which, "mutex")) {
        if (enif_mutex_trylock(mutex) != 0)
            return false;
        enif_mutex_unlock(mutex);
        return true;
    }
    if (enif_rwlock_tryrwlock(rwlock) != 0)
        return false;
    enif_rwlock_rwunlock(rwlock);
    return true;
}
CNIF_EXPORT(lock_free, bool, cnif_atom)

static void lock_in_cleanup(cnif_env *now, void *which)
{
    lock(now, which);
}

static ERL_NIF_TERM unlock_inner(cnif_env *inner, void *which)
{
    unlock(inner, which);
    return enif_make_atom(cnif_nif_env(inner), "ok");
}

static ERL_NIF_TERM lock_inner_panic(cnif_env *inner, void *which)
{
    lock(inner, which);
    cnif_panic(inner, "panicked in a nested guard"); /* site:inner_panic */
}

/* Take Which, then end as How says. */
static cnif_term lock_then(cnif_env *env, cnif_atom which, cnif_atom how)
{
    ErlNifEnv *nif = cnif_nif_env(env);
    ERL_NIF_TERM out;

    if (is(how, "cleanup")) { /* locked by a cleanup, released after it */
        cnif_defer_env(env, lock_in_cleanup, (void *)which);
        return enif_make_atom(nif, "ok");
    }
    lock(env, which);
    if (is(how, "return"))
        return enif_make_atom(nif, "ok");
    if (is(how, "panic"))
        cnif_panic(env, "panicked under the lock"); /* site:lock_panic */
    if (is(how, "raise"))
        cnif_raise(env, enif_make_atom(nif, "raised_under_lock"));
    if (is(how, "badarg"))
        cnif_raise_badarg(env, 2, "bad under the lock");
    if (is(how, "unlock_raise")) {
        unlock(env, which);
        cnif_raise(env, enif_make_atom(nif, "raised_after_unlock"));
    }
    if (is(how, "unlock_twice")) {
        unlock(env, which);
        unlock(env, which);
    }
    if (is(how, "relock"))
        lock(env, which);
    if (is(how, "wrong_mode")) /* a read lock write-unlocked, and back */
        unlock(env, is(which, "read") ? "write" : "read");
    if (is(how, "try_unlock")) { /* released inside a nested guard */
        cnif_try(env, unlock_inner, (void *)which, &out);
        return enif_make_tuple2(nif, out,
                                enif_make_atom(nif, lock_free(env, which)
                                                        ? "true" : "false"));
    }
    if (is(how, "try_panic")) { /* the outer one is released first */
        unlock(env, which);
        bool returned = cnif_try(env, lock_inner_panic, (void *)which, &out);
        return enif_make_tuple3(
            nif, enif_make_atom(nif, returned ? "true" : "false"), out,
            enif_make_atom(nif, lock_free(env, which) ? "true" : "false"));
    }
    return enif_make_atom(nif, "ok");
}
CNIF_EXPORT(lock_then, cnif_term, cnif_atom, cnif_atom) /* site:lock_then */

static void null_lock(cnif_env *env, cnif_atom which)
{
    if (is(which, "mutex"))
        cnif_mutex_lock(env, NULL);
    else
        cnif_rwlock_read_lock(env, NULL);
}
CNIF_EXPORT(null_lock, void, cnif_atom) /* site:null_lock */

/* A lock the call never took with cnif_mutex_lock. */
static void unlock_unheld(cnif_env *env)
{
    cnif_mutex_unlock(env, mutex);
}
CNIF_EXPORT(unlock_unheld, void) /* site:unlock_unheld */

/* locked: an integer whose codecs take the mutex, so a bad argument or a
** panicking encoder ends a call that holds it. */
typedef int64_t locked;

static bool cnif_decode_locked(cnif_env *env, ERL_NIF_TERM term, locked *out)
{
    cnif_mutex_lock(env, mutex);
    return cnif_decode_int64_t(env, term, out);
}

static ERL_NIF_TERM cnif_encode_locked(cnif_env *env, locked value)
{
    cnif_mutex_lock(env, mutex);
    if (value < 0)
        cnif_panic(env, "negative under the lock"); /* site:encode_panic */
    return cnif_encode_int64_t(env, value);
}
CNIF_CODEC(locked)

static int64_t decode_locked(cnif_env *env, locked value)
{
    (void)env;
    return value;
}
CNIF_EXPORT(decode_locked, int64_t, locked)

static locked encode_locked(cnif_env *env, int64_t value)
{
    (void)env;
    return value;
}
CNIF_EXPORT(encode_locked, locked, int64_t)

/* Held by its decoder when the job would start on the pool's thread. */
static int64_t job_locked(cnif_env *env, locked value)
{
    (void)env;
    return value;
}
CNIF_EXPORT_THREADED(job_locked, int64_t, locked) /* site:job_locked */

/* Yields once, holding the mutex unless How is unlock. */
typedef struct {
    bool unlock, yielded;
} yield_state;

static void yield_locked_init(cnif_env *env, yield_state *s, cnif_atom how)
{
    cnif_mutex_lock(env, mutex);
    s->unlock = is(how, "unlock");
}

static bool yield_locked_step(cnif_env *env, yield_state *s, bool *result)
{
    if (s->unlock)
        cnif_mutex_unlock(env, mutex);
    s->unlock = false;
    *result = lock_free(env, "mutex");
    if (s->yielded)
        return true;
    s->yielded = true;
    return false;
}
CNIF_EXPORT_YIELDING(yield_locked, bool, yield_state, cnif_atom) /* site:yield_locked */

/* --- Resource holds ------------------------------------------------------
** A tracked resource tells the process registered as scope_observer when
** it is destroyed: {tracked_destroyed, Id}. */
typedef struct {
    int64_t id;
} tracked;

static void tracked_destroy(cnif_env *env, tracked *t)
{
    ErlNifEnv *msg = enif_alloc_env();
    ErlNifPid observer;

    if (enif_whereis_pid(cnif_nif_env(env),
                         enif_make_atom(msg, "scope_observer"), &observer))
        cnif_send(env, &observer, msg,
                  enif_make_tuple2(msg, enif_make_atom(msg, "tracked_destroyed"),
                                   enif_make_int64(msg, t->id)));
    enif_free_env(msg);
}
CNIF_DEFINE_RESOURCE(tracked, .destroy = tracked_destroy)

/* Through CNIF_RESOURCE_TYPE, as cnif_resource_new does it. */
static cnif_term tracked_new(cnif_env *env, int64_t id)
{
    tracked *t = cnif_resource_alloc(env, CNIF_RESOURCE_TYPE(tracked),
                                     sizeof *t);
    t->id = id;
    return cnif_resource_encode(env, t);
}
CNIF_EXPORT(tracked_new, cnif_term, int64_t)

static int64_t tracked_id(cnif_env *env, cnif_term term)
{
    void *t;
    if (!cnif_resource_decode(env, CNIF_RESOURCE_TYPE(tracked), term, &t))
        cnif_raise_badarg(env, 1, "expected a tracked resource");
    return ((tracked *)t)->id;
}
CNIF_EXPORT(tracked_id, int64_t, cnif_term)

/* Hold t for the call, then end as How says. */
static void hold_then(cnif_env *env, cnif_res_tracked t, cnif_atom how)
{
    cnif_resource_hold(env, t);
    if (is(how, "panic"))
        cnif_panic(env, "panicked holding %lld", (long long)t->id); /* site:hold_panic */
    if (is(how, "raise"))
        cnif_raise(env, enif_make_atom(cnif_nif_env(env), "raised_holding"));
    if (is(how, "unhold_raise")) {
        cnif_resource_unhold(env, t);
        cnif_raise(env, enif_make_atom(cnif_nif_env(env), "raised_after_unhold"));
    }
    if (is(how, "twice")) { /* holds nest: one unhold, one cleanup */
        cnif_resource_hold(env, t);
        cnif_resource_unhold(env, t);
    }
    if (is(how, "unhold_twice")) {
        cnif_resource_unhold(env, t);
        cnif_resource_unhold(env, t);
    }
}
CNIF_EXPORT(hold_then, void, cnif_res_tracked, cnif_atom) /* site:hold_then */

/* A fresh resource, held, with no Erlang reference: its destructor runs
** when the call ends unless the hold leaked. */
static void hold_fresh(cnif_env *env, int64_t id)
{
    tracked *t = cnif_resource_new(env, tracked);
    t->id = id;
    cnif_resource_hold(env, t);
    cnif_panic(env, "panicked holding a fresh one"); /* site:hold_fresh */
}
CNIF_EXPORT(hold_fresh, void, int64_t)

static void hold_null(cnif_env *env)
{
    cnif_resource_hold(env, NULL);
}
CNIF_EXPORT(hold_null, void) /* site:hold_null */

/* --- Building values -----------------------------------------------------
** {row, N, <<"text">>, [1, 2.5, ok | tail], #{count => N, <<"k">> => {}},
**  Item1, ..., ItemN} where Item i is i, i / 2 or an atom by i mod 3: a
** tuple whose size and item types are known at run time only. */
static cnif_value row(cnif_env *env, int64_t n)
{
    cnif_value t = cnif_value_tuple(env, 5 + (size_t)n);
    cnif_value list = cnif_value_list(env, 3);
    cnif_value map = cnif_value_map(env, 2);

    cnif_value_item_set(env, &list, 0, cnif_value_int(1));
    cnif_value_item_set(env, &list, 1, cnif_value_float(2.5));
    cnif_value_item_set(env, &list, 2, cnif_value_atom("ok"));
    list.list.tail = cnif_alloc(env, sizeof *list.list.tail);
    *list.list.tail = cnif_value_atom("tail");
    cnif_value_pair_set(env, &map, 0, cnif_value_atom("count"),
                        cnif_value_int(n));
    cnif_value_pair_set(env, &map, 1, cnif_value_text(env, "k"),
                        cnif_value_tuple(env, 0));
    cnif_value_item_set(env, &t, 0, cnif_value_atom("row"));
    cnif_value_item_set(env, &t, 1, cnif_value_int(n));
    cnif_value_item_set(env, &t, 2, cnif_value_binary(env, "text\0!", 6));
    cnif_value_item_set(env, &t, 3, list);
    cnif_value_item_set(env, &t, 4, map);
    for (int64_t i = 1; i <= n; i++)
        cnif_value_item_set(env, &t, 4 + (size_t)i,
                            i % 3 == 0   ? cnif_value_int(i)
                            : i % 3 == 1 ? cnif_value_float((double)i / 2)
                                         : cnif_value_atom("two"));
    return t;
}

static cnif_value value_row(cnif_env *env, int64_t n)
{
    if (n < 0)
        cnif_raise_badarg(env, 1, "expected a count of at least 0");
    return row(env, n);
}
CNIF_EXPORT(value_row, cnif_value, int64_t)

/* The same row sent to To from a message env: {row_sent, Row}. */
static bool value_send(cnif_env *env, cnif_pid to, int64_t n)
{
    ErlNifEnv *msg = enif_alloc_env();
    ERL_NIF_TERM sent = cnif_value_encode(env, msg, row(env, n));
    bool ok = cnif_send(env, &to, msg,
                        enif_make_tuple2(msg, enif_make_atom(msg, "row_sent"),
                                         sent));
    enif_free_env(msg);
    return ok;
}
CNIF_EXPORT(value_send, bool, cnif_pid, int64_t)

/* cnif_value_encode into the call's own env returns the same term. */
static cnif_term value_here(cnif_env *env, cnif_value v)
{
    return cnif_value_encode(env, cnif_nif_env(env), v);
}
CNIF_EXPORT(value_here, cnif_term, cnif_value)

/* A tree that cannot be a term, or a constructor misused, by Which. */
static cnif_term value_bad(cnif_env *env, cnif_atom which)
{
    cnif_value t = cnif_value_tuple(env, 2);
    cnif_value m = cnif_value_map(env, 2);
    cnif_value other, *v = &t;
    ErlNifEnv *to = cnif_nif_env(env);

    cnif_value_item_set(env, &t, 0, cnif_value_int(1));
    cnif_value_pair_set(env, &m, 0, cnif_value_atom("a"), cnif_value_int(1));
    if (is(which, "unset_key")) {
        cnif_value_pair_set(env, &m, 1, cnif_value_atom("b"), cnif_value_int(2));
        m.map.keys[1] = cnif_value_map(env, 1).map.keys[0];
        v = &m;
    } else if (is(which, "null_items")) {
        t.tuple.items = NULL;
    } else if (is(which, "null_list")) {
        other = cnif_value_list(env, 2);
        other.list.items = NULL;
        v = &other;
    } else if (is(which, "null_values")) {
        m.map.values = NULL;
        v = &m;
    } else if (is(which, "null_bigint")) {
        other = (cnif_value){.kind = CNIF_VALUE_BIGINT,
                             .bigint = {false, NULL, 9}};
        v = &other;
    } else if (is(which, "wide_tuple")) {
        t.tuple.len = 16777216;
    } else if (is(which, "dup_keys")) {
        cnif_value_pair_set(env, &m, 1, cnif_value_atom("a"), cnif_value_int(2));
        v = &m;
    } else if (is(which, "nan")) {
        cnif_value_item_set(env, &t, 1, cnif_value_float(__builtin_nan("")));
    } else if (is(which, "null_atom")) {
        cnif_value_item_set(env, &t, 1, cnif_value_atom(NULL));
    } else if (is(which, "item_index")) {
        cnif_value_item_set(env, &t, 2, cnif_value_int(3));
    } else if (is(which, "item_kind")) {
        cnif_value_item_set(env, &m, 0, cnif_value_int(3));
    } else if (is(which, "item_null")) {
        cnif_value_item_set(env, NULL, 0, cnif_value_int(3));
    } else if (is(which, "item_null_items")) {
        t.tuple.items = NULL;
        cnif_value_item_set(env, &t, 0, cnif_value_int(3));
    } else if (is(which, "pair_index")) {
        cnif_value_pair_set(env, &m, 5, cnif_value_int(1), cnif_value_int(1));
    } else if (is(which, "pair_kind")) {
        cnif_value_pair_set(env, &t, 0, cnif_value_int(1), cnif_value_int(1));
    } else if (is(which, "null_binary")) {
        cnif_value_binary(env, NULL, 4);
    } else if (is(which, "null_text")) {
        cnif_value_text(env, NULL);
    } else if (is(which, "huge_tuple")) {
        cnif_value_tuple(env, SIZE_MAX / 2);
    } else if (is(which, "null_env")) {
        to = NULL;
    }
    /* Unless a case above changed it, t's second item is still unset. */
    return cnif_value_encode(env, to, *v);
}
CNIF_EXPORT(value_bad, cnif_term, cnif_atom) /* site:value_bad_export */

/* An unset item found while the return value is encoded. */
static cnif_value value_unset(cnif_env *env)
{
    return cnif_value_list(env, 1);
}
CNIF_EXPORT(value_unset, cnif_value) /* site:value_unset */

CNIF_MODULE(scope_nif, load, NULL, unload)
