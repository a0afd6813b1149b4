/* bench_raw.c -- the baseline of `make bench`: the same functions as
** bench_cnif.c, and bench_spin.c's yielding jobs, written by hand against
** erl_nif, the way a careful person would (every argument checked, no leak
** on the error paths, no thread left running at unload). */
#include <erl_nif.h>
#include <stdint.h>
#include <string.h>

/* add(A, B) -> A + B for 64-bit integers; badarg on overflow. */
static ERL_NIF_TERM add(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[])
{
    ErlNifSInt64 a, b, sum;
    (void)argc;
    if (!enif_get_int64(env, argv[0], &a) || !enif_get_int64(env, argv[1], &b)
        || __builtin_add_overflow(a, b, &sum))
        return enif_make_badarg(env);
    return enif_make_int64(env, sum);
}

/* bin_size(Binary) -> its size in bytes. */
static ERL_NIF_TERM bin_size(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[])
{
    ErlNifBinary bin;
    (void)argc;
    if (!enif_inspect_binary(env, argv[0], &bin))
        return enif_make_badarg(env);
    return enif_make_uint64(env, bin.size);
}

/* sum(List) -> the sum of a list of 64-bit integers, decoded into a C
** array first. */
static ERL_NIF_TERM sum(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[])
{
    ERL_NIF_TERM list = argv[0], head;
    unsigned len;
    ErlNifSInt64 *items, total = 0;
    (void)argc;

    if (!enif_get_list_length(env, list, &len))
        return enif_make_badarg(env);
    items = enif_alloc((len ? len : 1) * sizeof *items);
    if (!items)
        return enif_raise_exception(env, enif_make_atom(env, "enomem"));
    for (unsigned i = 0; i < len; i++) {
        enif_get_list_cell(env, list, &head, &list);
        if (!enif_get_int64(env, head, &items[i])) {
            enif_free(items);
            return enif_make_badarg(env);
        }
    }
    for (unsigned i = 0; i < len; i++)
        total += items[i];
    enif_free(items);
    return enif_make_int64(env, total);
}

/* seq(N) -> [0, 1, ..., N-1], built from a C array of N int64s. */
static ERL_NIF_TERM seq(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[])
{
    ErlNifSInt64 n, *items;
    ERL_NIF_TERM list;
    (void)argc;

    if (!enif_get_int64(env, argv[0], &n) || n < 0
        || (uint64_t)n > SIZE_MAX / sizeof *items)
        return enif_make_badarg(env);
    items = enif_alloc(n ? (size_t)n * sizeof *items : 1);
    if (!items)
        return enif_raise_exception(env, enif_make_atom(env, "enomem"));
    for (ErlNifSInt64 i = 0; i < n; i++)
        items[i] = i;
    list = enif_make_list(env, 0);
    for (ErlNifSInt64 i = n; i > 0; i--)
        list = enif_make_list_cell(env, enif_make_int64(env, items[i - 1]), list);
    enif_free(items);
    return list;
}

/* The latency benchmark's two yielding jobs (bench_spin.c) by hand. Each
** carries its state in enif_schedule_nif's arguments and ends a slice at
** the first chunk of work past 200 us, cnif's slice budget, telling erts
** the time used: 1% of the scheduler's 1 ms timeslice is 10 us. */
#define SLICE_NS 200000

static void slice_used(ErlNifEnv *env, ErlNifTime used_ns)
{
    enif_consume_timeslice(env, used_ns >= 1000000 ? 100 : (int)(used_ns / 10000) + 1);
}

/* spin_yield(Seed, N) -> Seed after N steps of xorshift64, in chunks of
** 16,384 steps; the arguments of a slice are {X, steps left}. */
#define SPIN_CHUNK 16384

static ERL_NIF_TERM spin_yield(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[])
{
    ErlNifUInt64 x, left;
    ErlNifTime start = enif_monotonic_time(ERL_NIF_NSEC), used;
    ERL_NIF_TERM args[2];
    (void)argc;

    if (!enif_get_uint64(env, argv[0], &x) || !enif_get_uint64(env, argv[1], &left))
        return enif_make_badarg(env);
    do {
        for (ErlNifUInt64 n = left < SPIN_CHUNK ? left : SPIN_CHUNK; n; n--, left--) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        if (!left)
            return enif_make_uint64(env, x);
        used = enif_monotonic_time(ERL_NIF_NSEC) - start;
    } while (used < SLICE_NS);
    slice_used(env, used);
    args[0] = enif_make_uint64(env, x);
    args[1] = enif_make_uint64(env, left);
    return enif_schedule_nif(env, "spin_yield", 0, spin_yield, 2, args);
}

/* fetch_all(N) -> [{I, <<"name">>, I * 2} || I <- 1..N]: each row consed
** onto a list, which is then turned around, in chunks of 256 rows or
** cells; the arguments of a slice are {N, next row, the reversed rows, the
** rows turned around so far}. */
#define FETCH_CHUNK 256

static ERL_NIF_TERM fetch_row(ErlNifEnv *env, ErlNifUInt64 i)
{
    ERL_NIF_TERM name;
    memcpy(enif_make_new_binary(env, 4, &name), "name", 4);
    return enif_make_tuple3(env, enif_make_uint64(env, i), name,
                            enif_make_uint64(env, i * 2));
}

static ERL_NIF_TERM fetch_all_step(ErlNifEnv *env, int argc,
                                   const ERL_NIF_TERM argv[])
{
    ErlNifUInt64 last, next;
    ERL_NIF_TERM reversed = argv[2], rows = argv[3], row, args[4];
    ErlNifTime start = enif_monotonic_time(ERL_NIF_NSEC), used;
    (void)argc;

    if (!enif_get_uint64(env, argv[0], &last) || !enif_get_uint64(env, argv[1], &next))
        return enif_make_badarg(env);
    do {
        if (next <= last) {
            for (int k = 0; k < FETCH_CHUNK && next <= last; k++, next++)
                reversed = enif_make_list_cell(env, fetch_row(env, next), reversed);
        } else {
            for (int k = 0; k < FETCH_CHUNK
                            && enif_get_list_cell(env, reversed, &row, &reversed);
                 k++)
                rows = enif_make_list_cell(env, row, rows);
            if (enif_is_empty_list(env, reversed))
                return rows;
        }
        used = enif_monotonic_time(ERL_NIF_NSEC) - start;
    } while (used < SLICE_NS);
    slice_used(env, used);
    args[0] = argv[0];
    args[1] = enif_make_uint64(env, next);
    args[2] = reversed;
    args[3] = rows;
    return enif_schedule_nif(env, "fetch_all", 0, fetch_all_step, 4, args);
}

static ERL_NIF_TERM fetch_all(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[])
{
    ERL_NIF_TERM nil = enif_make_list(env, 0);
    ERL_NIF_TERM args[4] = {argv[0], enif_make_uint64(env, 1), nil, nil};
    (void)argc;

    return fetch_all_step(env, 4, args);
}

/* flood(Pid, N) -> ok: a thread of its own sends Pid the messages 1..N,
** each built in one message env that is cleared after every send. One
** flood at a time: a call joins the previous call's thread (done sending
** by then: its caller got the last message), unload joins the last. */
typedef struct flood_job {
    ErlNifPid to;
    ErlNifUInt64 n;
} flood_job;

static ErlNifMutex *flood_lock;
static ErlNifTid flood_tid;
static int flood_running;

static void *flood_thread(void *arg)
{
    flood_job *job = arg;
    ErlNifEnv *msg = enif_alloc_env();

    if (msg) {
        for (ErlNifUInt64 i = 1; i <= job->n; i++) {
            if (!enif_send(NULL, &job->to, msg, enif_make_uint64(msg, i)))
                break;
            enif_clear_env(msg);
        }
        enif_free_env(msg);
    }
    enif_free(job);
    return NULL;
}

static void flood_join(void)
{
    if (flood_running) {
        enif_thread_join(flood_tid, NULL);
        flood_running = 0;
    }
}

static ERL_NIF_TERM flood(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[])
{
    ErlNifPid to;
    ErlNifUInt64 n;
    flood_job *job;
    (void)argc;

    if (!enif_get_local_pid(env, argv[0], &to) || !enif_get_uint64(env, argv[1], &n))
        return enif_make_badarg(env);
    job = enif_alloc(sizeof *job);
    if (!job)
        return enif_raise_exception(env, enif_make_atom(env, "enomem"));
    job->to = to;
    job->n = n;
    enif_mutex_lock(flood_lock);
    flood_join();
    if (enif_thread_create("bench_flood", &flood_tid, flood_thread, job, NULL) != 0) {
        enif_mutex_unlock(flood_lock);
        enif_free(job);
        return enif_raise_exception(env, enif_make_atom(env, "no_thread"));
    }
    flood_running = 1;
    enif_mutex_unlock(flood_lock);
    return enif_make_atom(env, "ok");
}

static int load(ErlNifEnv *env, void **priv, ERL_NIF_TERM info)
{
    (void)env, (void)priv, (void)info;
    flood_lock = enif_mutex_create("bench_flood");
    return flood_lock ? 0 : 1;
}

static void unload(ErlNifEnv *env, void *priv)
{
    (void)env, (void)priv;
    flood_join();
    enif_mutex_destroy(flood_lock);
}

static ErlNifFunc funcs[] = {
    {"add", 2, add, 0},
    {"bin_size", 1, bin_size, 0},
    {"sum", 1, sum, 0},
    {"seq", 1, seq, 0},
    {"flood", 2, flood, 0},
    {"spin_yield", 2, spin_yield, 0},
    {"fetch_all", 1, fetch_all, 0},
};

ERL_NIF_INIT(bench_raw, funcs, load, NULL, NULL, unload)
