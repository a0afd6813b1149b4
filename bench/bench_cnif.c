/* bench_cnif.c -- the cnif side of `make bench`: the functions of
** bench_raw.c as typed NIFs. Built four times: as module bench_cnif
** against the default library; with -DBENCH_MODULE=bench_cnif_libc against
** a library built with CNIF_USE_LIBC_SETJMP; with
** -DBENCH_MODULE=bench_cnif_barrier -DBENCH_OPTIONS=CNIF_FAULT_BARRIER, the
** fault barrier armed by the library itself, as a user would in C; and
** with -DBENCH_MODULE=bench_cnif_isolated, the module bench_isolated.erl
** runs in isolated mode. */
#include <cnif.h>

#ifndef BENCH_MODULE
#define BENCH_MODULE bench_cnif
#endif
#ifndef BENCH_OPTIONS
#define BENCH_OPTIONS 0
#endif

/* add(A, B) -> A + B for 64-bit integers; badarg on overflow. */
static int64_t add(cnif_env *env, int64_t a, int64_t b)
{
    int64_t sum;
    if (__builtin_add_overflow(a, b, &sum))
        cnif_raise_badarg(env, 2, "%lld + %lld overflows", (long long)a,
                          (long long)b);
    return sum;
}
CNIF_EXPORT(add, int64_t, int64_t, int64_t)

/* bin_size(Binary) -> its size in bytes. */
static uint64_t bin_size(cnif_env *env, cnif_bin bin)
{
    (void)env;
    return bin.size;
}
CNIF_EXPORT(bin_size, uint64_t, cnif_bin)

/* sum(List) -> the sum of a list of 64-bit integers, decoded into a C
** array first (by the generated code). */
static int64_t sum(cnif_env *env, cnif_array_int64_t xs)
{
    int64_t total = 0;
    (void)env;
    for (size_t i = 0; i < xs.len; i++)
        total += xs.items[i];
    return total;
}
CNIF_EXPORT(sum, int64_t, cnif_array_int64_t)

/* seq(N) -> [0, 1, ..., N-1], encoded from a C array of N int64s. */
static cnif_array_int64_t seq(cnif_env *env, int64_t n)
{
    cnif_array_int64_t out;
    if (n < 0 || (uint64_t)n > SIZE_MAX / sizeof *out.items)
        cnif_raise_badarg(env, 1, "expected a length, got: %lld", (long long)n);
    out.len = (size_t)n;
    out.items = cnif_alloc(env, out.len * sizeof *out.items);
    for (size_t i = 0; i < out.len; i++)
        out.items[i] = (int64_t)i;
    return out;
}
CNIF_EXPORT(seq, cnif_array_int64_t, int64_t)

/* flood(Pid, N) -> Ref: a thread of its own sends Pid the messages 1..N,
** each built in one message env of the job's (cnif_send leaves it ready
** for the next), then {Ref, Sent}. */
static void free_msg_env(void *msg)
{
    enif_free_env(msg);
}

static uint64_t flood(cnif_env *env, cnif_pid to, uint64_t n)
{
    ErlNifEnv *msg = enif_alloc_env();
    uint64_t sent = 0;

    if (!msg)
        cnif_panic(env, "out of memory: no message env");
    cnif_defer(env, free_msg_env, msg);
    while (sent < n && cnif_send(env, &to, msg, enif_make_uint64(msg, sent + 1)))
        sent++;
    return sent;
}
CNIF_EXPORT_THREAD(flood, uint64_t, cnif_pid, uint64_t)

/* CNIF_MODULE_WITH stringifies its argument: expand BENCH_MODULE first. */
#define BENCH_DECLARE_MODULE(name)                                            \
    CNIF_MODULE_WITH(name, NULL, NULL, NULL, BENCH_OPTIONS)
BENCH_DECLARE_MODULE(BENCH_MODULE)
