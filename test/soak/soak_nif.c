/* soak_nif.c -- the NIFs the soak test (soak.erl, `make soak`) hammers for
** minutes: calls that end in every way, threaded jobs and yielding calls
** whose callers are killed, resources with destroy callbacks, message
** floods from schedulers and job threads. Built twice from this file, as
** VERSION 1 and 2 (soak.mk), so the soak can load one over the other every
** few seconds while all of this runs.
**
** What happened is counted in one block of counters that every version
** shares: the load hook makes it, each upgrade hook takes it over from the
** old version's private data, and the last unload frees it. The soak reads
** it to check that every resource was destroyed and every job and
** yielding call ran its cleanup exactly once.
**
** The counters are reached through a static pointer each version sets in
** its hooks, not through cnif_priv: on a job's thread that crashes the VM
** (enif_priv_data of the job's own env; a known defect).
**
** Every deliberate panic sits on a line marked "site:NAME"; soak.erl looks
** the marker up to know the exact location it must see. */
#include <cnif.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#ifndef VERSION
#error "build with -DVERSION=1 or -DVERSION=2"
#endif

/* --- Counters shared by every loaded version ------------------------------ */

typedef struct counters {
    atomic_long holders; /* library instances whose private data this is */
    atomic_long res_live, res_created, res_destroyed;
    atomic_long job_started, job_cleaned, job_cancel_seen;
    atomic_long yield_started, yield_cleaned;
    atomic_long upgrades;
} counters;

/* This version's pointer to the block, set by its load or upgrade hook. */
static counters *the_counters;

static counters *shared(cnif_env *env)
{
    CNIF_ASSERT(env, the_counters != NULL);
    return the_counters;
}

static int load(cnif_env *env, void **priv, ERL_NIF_TERM info)
{
    counters *c = enif_alloc(sizeof *c);
    (void)info;
    CNIF_ASSERT(env, c != NULL);
    memset(c, 0, sizeof *c);
    atomic_store(&c->holders, 1);
    *priv = the_counters = c;
    return 0;
}

static int upgrade(cnif_env *env, void **priv, void **old_priv,
                   ERL_NIF_TERM info)
{
    counters *c = *old_priv;
    (void)env, (void)info;
    atomic_fetch_add(&c->holders, 1);
    atomic_fetch_add(&c->upgrades, 1);
    *priv = the_counters = c;
    return 0;
}

static void unload(cnif_env *env, void *priv)
{
    counters *c = priv;
    (void)env;
    if (atomic_fetch_sub(&c->holders, 1) == 1)
        enif_free(c);
}

static int64_t version(cnif_env *env)
{
    (void)env;
    return VERSION;
}
CNIF_EXPORT(version, int64_t)

/* #{Name => Count} of the shared counters. */
static cnif_term stats(cnif_env *env)
{
    counters *c = shared(env);
    const struct {
        const char *name;
        atomic_long *value;
    } fields[] = {
        {"res_live", &c->res_live},           {"res_created", &c->res_created},
        {"res_destroyed", &c->res_destroyed}, {"job_started", &c->job_started},
        {"job_cleaned", &c->job_cleaned},     {"job_cancel_seen", &c->job_cancel_seen},
        {"yield_started", &c->yield_started}, {"yield_cleaned", &c->yield_cleaned},
        {"upgrades", &c->upgrades},
    };
    cnif_map map = cnif_map_new(env);
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        map = cnif_map_put(env, map, cnif_encode_cnif_atom(env, fields[i].name),
                           cnif_encode_int64_t(env, atomic_load(fields[i].value)));
    return map.term;
}
CNIF_EXPORT(stats, cnif_term)

/* --- Calls that end in every way -------------------------------------------- */

/* An int64_t whose decoder panics on 1001 and whose encoder panics on
** 1003: failures inside user codecs, in the decode and encode phases. */
typedef int64_t val;

static bool cnif_decode_val(cnif_env *env, ERL_NIF_TERM term, val *out)
{
    if (!cnif_decode_int64_t(env, term, out))
        return false;
    if (*out == 1001)
        cnif_panic(env, "decoder refused %lld", (long long)*out); /* site:decode */
    return true;
}

static ERL_NIF_TERM cnif_encode_val(cnif_env *env, val v)
{
    if (v == 1003)
        cnif_panic(env, "encoder refused %lld", (long long)v); /* site:encode */
    return cnif_encode_int64_t(env, v);
}

typedef enum how { HOW_OK, HOW_PANIC, HOW_RAISE, HOW_BADARG, HOW_CLEANUP } how;
static const cnif_enum_entry how_atoms[] = {
    {HOW_OK, "ok"},         {HOW_PANIC, "panic"},     {HOW_RAISE, "raise"},
    {HOW_BADARG, "badarg"}, {HOW_CLEANUP, "cleanup"}, {0, NULL}};
CNIF_DEFINE_ENUM(how, how_atoms)

static void panicking_cleanup(void *arg)
{
    cnif_panic(NULL, "cleanup of %lld panicked", (long long)*(val *)arg); /* site:cleanup */
}

/* Memory of the call's own, so that a leak on any path shows. */
static void spend(cnif_env *env, size_t size)
{
    memset(cnif_alloc(env, size), 0x5A, size);
}

/* End as told: return x, panic, raise {raised, X}, refuse argument 2, or
** return after registering a cleanup that panics. */
static val end_as(cnif_env *env, val x, how h)
{
    val *arg;

    spend(env, 256);
    switch (h) {
    case HOW_PANIC:
        cnif_panic(env, "body gave up on %lld", (long long)x); /* site:body */
    case HOW_RAISE:
        cnif_raise(env, enif_make_tuple2(cnif_nif_env(env),
                                         enif_make_atom(cnif_nif_env(env), "raised"),
                                         cnif_encode_int64_t(env, x)));
    case HOW_BADARG:
        cnif_raise_badarg(env, 2, "%lld refused", (long long)x);
    case HOW_CLEANUP:
        arg = cnif_alloc(env, sizeof *arg);
        *arg = x;
        cnif_defer(env, panicking_cleanup, arg);
        return x;
    default:
        return x;
    }
}

static val probe(cnif_env *env, val x, how h)
{
    return end_as(env, x, h);
}
CNIF_EXPORT(probe, val, val, how)

/* --- Threaded jobs ----------------------------------------------------------- */

typedef struct job_note {
    cnif_env *env;
    counters *c;
} job_note;

static void job_finished(void *arg)
{
    job_note *n = arg;
    if (cnif_job_cancelled(n->env))
        atomic_fetch_add(&n->c->job_cancel_seen, 1);
    atomic_fetch_add(&n->c->job_cleaned, 1);
}

/* Send {Tag, Seed} to pid from the job's thread. */
static void tell(cnif_env *env, cnif_pid pid, const char *tag, int64_t seed)
{
    ErlNifEnv *msg = enif_alloc_env();
    CNIF_ASSERT(env, msg != NULL);
    cnif_send(env, &pid, msg,
              enif_make_tuple2(msg, enif_make_atom(msg, tag),
                               enif_make_int64(msg, seed)));
    enif_free_env(msg);
}

CNIF_DEFINE_OPTIONAL(maybe_pid, cnif_pid, CNIF_UNDEFINED)

/* Tell notify {job_started, Seed}, work for up to ms milliseconds or until
** the caller died, then end as told. */
static val job(cnif_env *env, val seed, int64_t ms, how h, maybe_pid notify)
{
    job_note *n = cnif_alloc(env, sizeof *n);

    n->env = env;
    n->c = shared(env);
    atomic_fetch_add(&n->c->job_started, 1);
    cnif_defer(env, job_finished, n);
    if (notify.present)
        tell(env, notify.value, "job_started", seed);
    for (int64_t i = 0; i < ms * 5 && !cnif_job_cancelled(env); i++)
        usleep(200);
    return end_as(env, seed, h);
}

static val job_pool(cnif_env *env, val seed, int64_t ms, how h, maybe_pid notify)
{
    return job(env, seed, ms, h, notify);
}
CNIF_EXPORT_THREADED(job_pool, val, val, int64_t, how, maybe_pid)

static val job_thread(cnif_env *env, val seed, int64_t ms, how h, maybe_pid notify)
{
    return job(env, seed, ms, h, notify);
}
CNIF_EXPORT_THREAD(job_thread, val, val, int64_t, how, maybe_pid)

/* --- Message floods ------------------------------------------------------------ */

/* n messages {flood, Tag, I} to pid: built in the call's env and sent as
** they are (direct) or built in an env of the sender's own (owned). */
static int64_t send_n(cnif_env *env, cnif_pid to, int64_t tag, int64_t n,
                      bool owned)
{
    ErlNifEnv *msg = owned ? enif_alloc_env() : NULL;
    ErlNifEnv *build = owned ? msg : cnif_nif_env(env);
    int64_t sent = 0;

    CNIF_ASSERT(env, !owned || msg != NULL);
    for (int64_t i = 0; i < n; i++)
        sent += cnif_send(env, &to, msg,
                          enif_make_tuple3(build, enif_make_atom(build, "flood"),
                                           enif_make_int64(build, tag),
                                           enif_make_int64(build, i)));
    if (msg)
        enif_free_env(msg);
    return sent;
}

static int64_t flood(cnif_env *env, cnif_pid to, int64_t tag, int64_t n, bool owned)
{
    return send_n(env, to, tag, n, owned);
}
CNIF_EXPORT(flood, int64_t, cnif_pid, int64_t, int64_t, bool)

/* A job's thread has no process env: it always sends from an owned env. */
static int64_t flood_job(cnif_env *env, cnif_pid to, int64_t tag, int64_t n)
{
    return send_n(env, to, tag, n, true);
}
CNIF_EXPORT_THREADED(flood_job, int64_t, cnif_pid, int64_t, int64_t)

/* --- Yielding calls ------------------------------------------------------------ */

typedef struct ystate {
    counters *c;
    int64_t id, n, i, acc, slices;
    maybe_pid notify;
} ystate;

static void yield_finished(void *arg)
{
    atomic_fetch_add(&((counters *)arg)->yield_cleaned, 1);
}

/* sum(id + i) for i in [0, n), 1000 iterations a slice; tells notify
** {mid_way, Id} when slice 2 begins. */
static void ysum_init(cnif_env *env, ystate *s, int64_t id, int64_t n,
                      maybe_pid notify)
{
    s->c = shared(env);
    s->id = id;
    s->n = n;
    s->notify = notify;
    spend(env, 4096);
    atomic_fetch_add(&s->c->yield_started, 1);
    cnif_defer(env, yield_finished, s->c);
}

static bool ysum_step(cnif_env *env, ystate *s, int64_t *out)
{
    s->slices++;
    if (s->slices == 2 && s->notify.present)
        cnif_send(env, &s->notify.value, NULL,
                  enif_make_tuple2(cnif_nif_env(env),
                                   enif_make_atom(cnif_nif_env(env), "mid_way"),
                                   cnif_encode_int64_t(env, s->id)));
    while (s->i < s->n) {
        int64_t end = s->n - s->i > 1000 ? s->i + 1000 : s->n;
        for (; s->i < end; s->i++) {
            s->acc += s->id + s->i;
            __asm__ volatile("" : "+r"(s->acc));
        }
        if (s->i < s->n && cnif_timeslice_consume(env, 100))
            return false;
    }
    *out = s->acc;
    return true;
}
CNIF_EXPORT_YIELDING(ysum, int64_t, ystate, int64_t, int64_t, maybe_pid)

/* --- Resources -------------------------------------------------------------------- */

/* 256 bytes each, so that resources that are never destroyed show in
** memory too. The destructor counts itself, then panics if told to. */
typedef struct soak_res {
    counters *c;
    int64_t id;
    bool panic_on_destroy;
    unsigned char payload[232];
} soak_res;

static void soak_res_destroy(cnif_env *env, soak_res *r)
{
    atomic_fetch_sub(&r->c->res_live, 1);
    atomic_fetch_add(&r->c->res_destroyed, 1);
    if (r->panic_on_destroy)
        cnif_panic(env, "soak resource %lld refuses to go", (long long)r->id); /* site:destroy */
}
CNIF_DEFINE_RESOURCE(soak_res, .destroy = soak_res_destroy)

/* n resources with ids from, from + 1, ...; the one whose id is a multiple
** of panic_every (if > 0) panics when destroyed. */
static cnif_term res_new(cnif_env *env, int64_t from, int64_t n, int64_t panic_every)
{
    ErlNifEnv *nif = cnif_nif_env(env);
    counters *c = shared(env);
    ERL_NIF_TERM list = enif_make_list(nif, 0);

    for (int64_t id = from + n - 1; id >= from; id--) {
        soak_res *r = cnif_resource_new(env, soak_res);
        r->c = c;
        r->id = id;
        r->panic_on_destroy = panic_every > 0 && id % panic_every == 0;
        memset(r->payload, (int)(id & 0xFF), sizeof r->payload);
        atomic_fetch_add(&c->res_live, 1);
        atomic_fetch_add(&c->res_created, 1);
        list = enif_make_list_cell(nif, cnif_encode_cnif_res_soak_res(env, r), list);
    }
    return list;
}
CNIF_EXPORT(res_new, cnif_term, int64_t, int64_t, int64_t)

/* The id of a resource: decoding checks its type, through every version. */
static int64_t res_id(cnif_env *env, cnif_res_soak_res r)
{
    (void)env;
    return r->id;
}
CNIF_EXPORT(res_id, int64_t, cnif_res_soak_res)

CNIF_MODULE(soak_nif, load, upgrade, unload)
