/* bench_spin.c -- the CPU job of the responsiveness benchmark
** (bench_latency.erl): the same loop exported the four ways cnif offers to
** run long work. spin*(Seed, N) runs N steps of xorshift64 from Seed and
** returns the final state, so the work cannot be skipped and every mode
** must return the same number.
**
**   spin/2              a plain NIF on the normal scheduler (the naive way)
**   spin_dirty/2        CNIF_EXPORT_FLAGS with CNIF_DIRTY_CPU
**   spin_yield/2        CNIF_EXPORT_YIELDING, slices ended by cnif_yield_due
**   spin_yield_1ms/2    the same with 1 ms slices counted by hand with
**                       cnif_timeslice_consume, as erl_nif's docs suggest
**   spin_thread/2       CNIF_EXPORT_THREADED: returns Ref, then {Ref, Result}
**
** fetch_all/1 is the job of the fetch_all mode: a database cursor's
** fetch_all, yielding, its rows carried across slices as terms.
**
** step_max_take/0 gives fetch_all's longest step since it was last
** called; and run_delay/0, for the ping: how long the calling thread has
** waited for a CPU while runnable, from Linux's /proc/thread-self/schedstat.
*/
#include <cnif.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t spin_steps(uint64_t x, uint64_t n)
{
    while (n--) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    return x;
}

/* The longest step of fetch_all since step_max_take/0 last read it: the
** CPU time, in ns, its thread spent from the step's entry to its return.
** The latency benchmark sets it beside the ping's gaps: what the NIF's own
** slices held a scheduler for, apart from what else did (a caller's
** garbage collection, or the OS running another thread). Only fetch_all
** is timed: reading a thread's CPU clock is a system call of some
** microseconds here, which spin_yield's short calls (yield_short in
** bench.erl) would pay twice. */
static _Atomic uint64_t step_max_ns;

static uint64_t thread_cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static bool step_timed(uint64_t start, bool done)
{
    uint64_t ns = thread_cpu_ns() - start;
    uint64_t seen = atomic_load_explicit(&step_max_ns, memory_order_relaxed);
    while (ns > seen && !atomic_compare_exchange_weak(&step_max_ns, &seen, ns))
        ;
    return done;
}

static uint64_t step_max_take(cnif_env *env)
{
    (void)env;
    return atomic_exchange(&step_max_ns, 0);
}
CNIF_EXPORT(step_max_take, uint64_t)

static uint64_t spin(cnif_env *env, uint64_t seed, uint64_t n)
{
    (void)env;
    return spin_steps(seed, n);
}
CNIF_EXPORT(spin, uint64_t, uint64_t, uint64_t)

static uint64_t spin_dirty(cnif_env *env, uint64_t seed, uint64_t n)
{
    (void)env;
    return spin_steps(seed, n);
}
CNIF_EXPORT_FLAGS(spin_dirty, CNIF_DIRTY_CPU, uint64_t, uint64_t, uint64_t)

static uint64_t spin_thread(cnif_env *env, uint64_t seed, uint64_t n)
{
    (void)env;
    return spin_steps(seed, n);
}
CNIF_EXPORT_THREADED(spin_thread, uint64_t, uint64_t, uint64_t)

/* The yielding versions do the work in chunks of SPIN_CHUNK steps (some
** tens of microseconds). spin_yield asks cnif_yield_due after each chunk;
** spin_yield_1ms reports the time each chunk took as a share of a 1 ms
** timeslice, as erl_nif's documentation suggests, to show what cnif's
** shorter default slice buys. */
#define SPIN_CHUNK 16384

typedef struct spin_state {
    uint64_t x, left;
    ErlNifTime percent_ns; /* 1% of the slice */
    ErlNifTime carry_ns;   /* time not yet reported: less than 1% */
} spin_state;

static void spin_start(spin_state *s, uint64_t seed, uint64_t n, int slice_us)
{
    s->x = seed;
    s->left = n;
    s->percent_ns = (ErlNifTime)slice_us * 10;
}

static bool spin_slice(cnif_env *env, spin_state *s, uint64_t *result)
{
    ErlNifTime start = enif_monotonic_time(ERL_NIF_NSEC);
    while (s->left) {
        uint64_t n = s->left < SPIN_CHUNK ? s->left : SPIN_CHUNK;
        ErlNifTime now;
        int percent;

        s->x = spin_steps(s->x, n);
        s->left -= n;
        now = enif_monotonic_time(ERL_NIF_NSEC);
        s->carry_ns += now - start;
        start = now;
        percent = (int)(s->carry_ns / s->percent_ns);
        if (percent > 0) {
            s->carry_ns -= (ErlNifTime)percent * s->percent_ns;
            if (cnif_timeslice_consume(env, percent > 100 ? 100 : percent)
                && s->left)
                return false;
        }
    }
    *result = s->x;
    return true;
}

static void spin_yield_1ms_init(cnif_env *env, spin_state *s, uint64_t seed,
                                uint64_t n)
{
    (void)env;
    spin_start(s, seed, n, 1000);
}

static bool spin_yield_1ms_step(cnif_env *env, spin_state *s, uint64_t *result)
{
    return spin_slice(env, s, result);
}
CNIF_EXPORT_YIELDING(spin_yield_1ms, uint64_t, spin_state, uint64_t, uint64_t)

static void spin_yield_init(cnif_env *env, spin_state *s, uint64_t seed,
                            uint64_t n)
{
    (void)env;
    spin_start(s, seed, n, 0);
}

static bool spin_yield_step(cnif_env *env, spin_state *s, uint64_t *result)
{
    while (s->left) {
        uint64_t n = s->left < SPIN_CHUNK ? s->left : SPIN_CHUNK;
        s->x = spin_steps(s->x, n);
        s->left -= n;
        if (s->left && cnif_yield_due(env))
            return false;
    }
    *result = s->x;
    return true;
}
CNIF_EXPORT_YIELDING(spin_yield, uint64_t, spin_state, uint64_t, uint64_t)

/* fetch_all(N) -> [{I, <<"name">>, I * 2} || I <- 1..N], built as a
** database cursor's fetch_all builds its rows: one at a time, consed onto
** a list carried from slice to slice (slot 0), which ends reversed; the
** reversal into the list returned (slot 1) runs in slices too. The
** process's heap holds both: no slice copies the rows. */
#define FETCH_CHUNK 256 /* rows or cells between two cnif_yield_due */

typedef struct fetch_state {
    uint64_t next, last;
} fetch_state;

static void fetch_all_init(cnif_env *env, fetch_state *s, uint64_t n)
{
    ERL_NIF_TERM nil = enif_make_list(cnif_nif_env(env), 0);

    s->next = 1;
    s->last = n;
    cnif_yield_carry(env, 0, nil);
    cnif_yield_carry(env, 1, nil);
}

static ERL_NIF_TERM fetch_row(ErlNifEnv *nif, uint64_t i)
{
    ERL_NIF_TERM name;
    memcpy(enif_make_new_binary(nif, 4, &name), "name", 4);
    return enif_make_tuple3(nif, enif_make_uint64(nif, i), name,
                            enif_make_uint64(nif, i * 2));
}

static bool fetch_rows(cnif_env *env, fetch_state *s, cnif_term *result)
{
    ErlNifEnv *nif = cnif_nif_env(env);
    ERL_NIF_TERM reversed = cnif_yield_carried(env, 0);
    ERL_NIF_TERM rows = cnif_yield_carried(env, 1), row;

    while (s->next <= s->last) {
        for (int k = 0; k < FETCH_CHUNK && s->next <= s->last; k++, s->next++)
            reversed = enif_make_list_cell(nif, fetch_row(nif, s->next), reversed);
        if (cnif_yield_due(env))
            goto yield;
    }
    for (;;) {
        for (int k = 0; k < FETCH_CHUNK
                        && enif_get_list_cell(nif, reversed, &row, &reversed);
             k++)
            rows = enif_make_list_cell(nif, row, rows);
        if (enif_is_empty_list(nif, reversed)) {
            *result = rows;
            return true;
        }
        if (cnif_yield_due(env))
            goto yield;
    }
yield:
    cnif_yield_carry(env, 0, reversed);
    cnif_yield_carry(env, 1, rows);
    return false;
}

static bool fetch_all_step(cnif_env *env, fetch_state *s, cnif_term *result)
{
    uint64_t start = thread_cpu_ns();
    return step_timed(start, fetch_rows(env, s, result));
}
CNIF_EXPORT_YIELDING(fetch_all, cnif_term, fetch_state, uint64_t)

/* run_delay() -> the nanoseconds the calling thread has spent runnable
** but not running (the second field of schedstat), or 0 where the kernel
** does not say. The file stays open per thread: schedulers live on. */
static uint64_t run_delay(cnif_env *env)
{
    static __thread int fd = -1;
    char buf[96];
    unsigned long long cpu_ns, delay_ns;
    ssize_t len;

    (void)env;
    if (fd < 0)
        fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || (len = pread(fd, buf, sizeof buf - 1, 0)) <= 0)
        return 0;
    buf[len] = 0;
    if (sscanf(buf, "%llu %llu", &cpu_ns, &delay_ns) != 2)
        return 0;
    return delay_ns;
}
CNIF_EXPORT(run_delay, uint64_t)

CNIF_MODULE(bench_spin, NULL, NULL, NULL)
