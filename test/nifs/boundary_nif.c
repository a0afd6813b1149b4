/* boundary_nif.c -- the NIFs behind boundary_tests.erl and
** elixir/errors_test.exs: every way a guarded call can end (return, raise,
** bad argument, a panic in each phase), cleanups, nested guards, raw and
** dirty NIFs, and a probe for leaks.
**
** Every deliberate panic sits on a line marked with a comment "site:NAME".
** The tests look the marker up in this file and expect that line as the
** panic's location, so no line number is written down twice. */
#include <cnif.h>
#include <string.h>

/* --- Telling the test process what ran --------------------------------- */

static void notify(cnif_env *env, cnif_pid pid, ERL_NIF_TERM msg)
{
    enif_send(cnif_nif_env(env), &pid, NULL, msg);
}

/* A cleanup that sends {cleanup, Tag} to pid, so the test can see which
** cleanups ran and in what order. The note lives in call-scoped memory,
** which outlives the cleanups, and so do terms made in the call's env. */
typedef struct note {
    cnif_env *env;
    cnif_pid pid;
    ERL_NIF_TERM tag;
} note;

static void send_note(void *arg)
{
    note *n = arg;
    ErlNifEnv *nif = cnif_nif_env(n->env);
    notify(n->env, n->pid,
           enif_make_tuple2(nif, enif_make_atom(nif, "cleanup"), n->tag));
}

static void defer_note(cnif_env *env, cnif_pid pid, ERL_NIF_TERM tag)
{
    note *n = cnif_alloc(env, sizeof *n);
    n->env = env;
    n->pid = pid;
    n->tag = tag;
    cnif_defer(env, send_note, n);
}

static ERL_NIF_TERM atom(cnif_env *env, const char *name)
{
    return enif_make_atom(cnif_nif_env(env), name);
}

/* --- A user type whose codecs panic on request ------------------------- */

/* An int64_t, except that 1001 makes its decoder panic, 1002 fails an
** assertion in its decoder and 1003 makes its encoder panic. */
typedef int64_t probe;
enum { DECODE_PANIC = 1001, DECODE_ASSERT = 1002, ENCODE_PANIC = 1003 };

static bool cnif_decode_probe(cnif_env *env, ERL_NIF_TERM term, probe *out)
{
    if (!cnif_decode_int64_t(env, term, out))
        return false;
    if (*out == DECODE_PANIC)
        cnif_panic(env, "decoder refused %lld", (long long)*out); /* site:decode */
    CNIF_ASSERT(env, *out != DECODE_ASSERT); /* site:assert */
    return true;
}

static ERL_NIF_TERM cnif_encode_probe(cnif_env *env, probe value)
{
    if (value == ENCODE_PANIC)
        cnif_panic(env, "encoder refused %lld", (long long)value); /* site:encode */
    return cnif_encode_int64_t(env, value);
}

/* Decode and encode phases: a probe in, the same probe out. */
static probe echo_probe(cnif_env *env, probe p)
{
    (void)env;
    return p;
}
CNIF_EXPORT(echo_probe, probe, probe)

/* The exception itself needs encoding: CNIF_RAISE runs the encoder in the
** encode phase, so 1003 turns the raise into a panic. */
static void raise_probe(cnif_env *env, probe p)
{
    CNIF_RAISE(env, probe, p);
}
CNIF_EXPORT(raise_probe, void, probe)

/* --- Panics in the body ------------------------------------------------ */

/* Three real frames (not inlined) between the body and the panic. A
** negative x makes the bottom one give up; with orphan set it has no env at
** hand and passes NULL, which cnif_panic allows. */
#define FRAME static __attribute__((noinline)) int64_t

FRAME third(cnif_env *env, int64_t x, bool orphan)
{
    if (x >= 0)
        return x;
    if (orphan)
        cnif_panic(NULL, "no env for %lld", (long long)x); /* site:orphan */
    cnif_panic(env, "third gave up on %lld", (long long)x); /* site:deep */
}

FRAME second(cnif_env *env, int64_t x, bool orphan)
{
    return third(env, x * 2, orphan) + 1;
}

FRAME first(cnif_env *env, int64_t x, bool orphan)
{
    return second(env, x + 1, orphan) + 1;
}

static int64_t deep_panic(cnif_env *env, int64_t x, bool orphan)
{
    return first(env, x, orphan);
}
CNIF_EXPORT(deep_panic, int64_t, int64_t, bool)

/* printf formatting of panic messages. */
static void panic_format(cnif_env *env, int64_t i, cnif_cstr s, double d)
{
    unsigned long long bits = (unsigned long long)i;
    cnif_panic(env, "i=%lld s=%s d=%.3f hex=%#llx", (long long)i, s, d, bits); /* site:format */
}
CNIF_EXPORT(panic_format, void, int64_t, cnif_cstr, double)

/* A message of len bytes "abc...zabc...", to see where it is cut. */
static const char *pattern(cnif_env *env, size_t len)
{
    char *text = cnif_alloc(env, len + 1);
    for (size_t i = 0; i < len; i++)
        text[i] = (char)('a' + i % 26);
    text[len] = '\0';
    return text;
}

static void panic_long(cnif_env *env, size_t len)
{
    cnif_panic(env, "%s", pattern(env, len)); /* site:long */
}
CNIF_EXPORT(panic_long, void, size_t)

/* The same cut applies to a bad-argument reason. */
static void badarg_long(cnif_env *env, size_t len)
{
    cnif_raise_badarg(env, 1, "%s", pattern(env, len));
}
CNIF_EXPORT(badarg_long, void, size_t)

/* --- Halfway through encoding a nested structure ----------------------- */

/* A list element that is encoded as {I, I*I}, unless it was marked to
** explode, in which case its encoder panics. */
typedef struct item {
    size_t index;
    bool explode;
} item;

static bool cnif_decode_item(cnif_env *env, ERL_NIF_TERM term, item *out)
{
    out->explode = false;
    return cnif_decode_size_t(env, term, &out->index);
}

static ERL_NIF_TERM cnif_encode_item(cnif_env *env, item it)
{
    if (it.explode)
        cnif_panic(env, "item %zu cannot be encoded", it.index); /* site:item */
    return enif_make_tuple2(cnif_nif_env(env), cnif_encode_size_t(env, it.index),
                            cnif_encode_size_t(env, it.index * it.index));
}
CNIF_DEFINE_ARRAY(item)

/* Mark element explode_at (if in range) and hand the list back. */
static cnif_array_item items(cnif_env *env, cnif_array_item xs, int64_t explode_at)
{
    (void)env;
    if (explode_at >= 0 && (uint64_t)explode_at < xs.len)
        xs.items[explode_at].explode = true;
    return xs;
}
CNIF_EXPORT(items, cnif_array_item, cnif_array_item, int64_t)

/* --- Cleanups under every outcome --------------------------------------- */

/* How a call ends: return a value, encode a panicking value, raise, report
** a bad argument, panic, or fail an assertion. */
typedef enum ending {
    END_RETURN,
    END_ENCODE,
    END_RAISE,
    END_BADARG,
    END_PANIC,
    END_ASSERT
} ending;
static const cnif_enum_entry ending_atoms[] = {
    {END_RETURN, "return"}, {END_ENCODE, "encode"}, {END_RAISE, "raise"},
    {END_BADARG, "badarg"}, {END_PANIC, "panic"},   {END_ASSERT, "assert"},
    {0, NULL}};
CNIF_DEFINE_ENUM(ending, ending_atoms)

/* End the current guarded call as how says, after count cleanups were
** registered; returns the probe to encode for return and encode. */
static probe end_as(cnif_env *env, ending how, size_t count)
{
    switch (how) {
    case END_RETURN:
        return (probe)count;
    case END_ENCODE:
        return ENCODE_PANIC;
    case END_RAISE:
        cnif_raise(env, enif_make_tuple2(cnif_nif_env(env), atom(env, "raised"),
                                         cnif_encode_size_t(env, count)));
    case END_BADARG:
        cnif_raise_badarg(env, 2, "told to fail after %zu cleanups", count);
    case END_PANIC:
        cnif_panic(env, "told to panic after %zu cleanups", count); /* site:end */
    case END_ASSERT:
        break;
    }
    CNIF_ASSERT(env, how != END_ASSERT); /* site:end_assert */
    return -1;
}

/* Cleanups that misbehave: one panics, one reports a bad argument, one
** runs a decoder that rejects its input (decoders never raise, so this
** must leave the call's own report alone). */
static void panicking_cleanup(void *name)
{
    cnif_panic(NULL, "cleanup %s panicked", (const char *)name); /* site:cleanup */
}

static void badarg_cleanup(void *reason)
{
    cnif_raise_badarg(NULL, 1, "%s", (const char *)reason);
}

typedef struct failed_decode {
    cnif_env *env;
    ERL_NIF_TERM term;
} failed_decode;

static void decoding_cleanup(void *arg)
{
    failed_decode *f = arg;
    int64_t ignored;
    (void)CNIF_DECODE_AT_KEY(f->env, int64_t, f->term, "cleanup", &ignored);
}

/* {Pid, Steps}: each step is registered as a cleanup while the argument
** is decoded, so a later bad argument still has cleanups to run. A step is
**   Integer             send {cleanup, Integer} to Pid
**   {panic, Name}       panic ("cleanup Name panicked")
**   {badarg, Reason}    cnif_raise_badarg(env, 1, Reason)
**   {decode, Term}      decode Term as an integer and ignore the failure */
typedef struct plan {
    size_t count;
} plan;

static bool decode_step(cnif_env *env, cnif_pid pid, ERL_NIF_TERM term)
{
    cnif_tuple t;
    cnif_atom kind;
    cnif_cstr text;
    failed_decode *f;

    if (enif_is_number(cnif_nif_env(env), term)) {
        defer_note(env, pid, term);
        return true;
    }
    if (!cnif_decode_cnif_tuple(env, term, &t) || t.arity != 2
        || !CNIF_TUPLE_GET(env, t, 0, cnif_atom, &kind))
        return cnif_decode_fail(env, term, "a cleanup step");
    if (strcmp(kind, "decode") == 0) {
        f = cnif_alloc(env, sizeof *f);
        f->env = env;
        f->term = t.items[1];
        cnif_defer(env, decoding_cleanup, f);
        return true;
    }
    if (!CNIF_TUPLE_GET(env, t, 1, cnif_cstr, &text))
        return false;
    if (strcmp(kind, "panic") == 0)
        cnif_defer(env, panicking_cleanup, (void *)text);
    else if (strcmp(kind, "badarg") == 0)
        cnif_defer(env, badarg_cleanup, (void *)text);
    else
        return cnif_decode_fail(env, term, "a cleanup step");
    return true;
}

static bool cnif_decode_plan(cnif_env *env, ERL_NIF_TERM term, plan *out)
{
    cnif_tuple t;
    cnif_pid pid;
    cnif_array_cnif_term steps;

    if (!cnif_decode_cnif_tuple(env, term, &t) || t.arity != 2)
        return cnif_decode_fail(env, term, "a {Pid, Steps} tuple");
    if (!CNIF_TUPLE_GET(env, t, 0, cnif_pid, &pid)
        || !CNIF_TUPLE_GET(env, t, 1, cnif_array_cnif_term, &steps))
        return false;
    for (size_t i = 0; i < steps.len; i++)
        if (!decode_step(env, pid, steps.items[i]))
            return cnif_path_index(env, i) || cnif_path_index(env, 1);
    out->count = steps.len;
    return true;
}

static probe run_plan(cnif_env *env, plan p, ending how)
{
    return end_as(env, how, p.count);
}
CNIF_EXPORT(run_plan, probe, plan, ending)

/* --- Raising on purpose and typed results ------------------------------- */

static void raise_term(cnif_env *env, cnif_term term)
{
    cnif_raise(env, term);
}
CNIF_EXPORT(raise_term, void, cnif_term)

CNIF_DEFINE_RESULT(div_result, int64_t, cnif_atom)

static div_result safe_div(cnif_env *env, int64_t a, int64_t b)
{
    (void)env;
    if (b == 0)
        return CNIF_ERR(div_result, "division_by_zero");
    if (a == INT64_MIN && b == -1)
        return CNIF_ERR(div_result, "overflow");
    return CNIF_OK(div_result, a / b);
}
CNIF_EXPORT(safe_div, div_result, int64_t, int64_t)
/* The same C function under another Erlang name. */
CNIF_EXPORT_AS(checked_div, safe_div, div_result, int64_t, int64_t)

static void noop(cnif_env *env)
{
    (void)env;
}
CNIF_EXPORT(noop, void)

/* No argument to blame: the call as a whole is bad (argno 0). */
static void closed_device(cnif_env *env)
{
    cnif_raise_badarg(env, 0, "no device is open");
}
CNIF_EXPORT(closed_device, void)

/* --- Nested guards ------------------------------------------------------ */

typedef struct attempt {
    cnif_pid pid;
    ending how;
} attempt;

/* Runs under cnif_try: one cleanup of its own, then ends as told. The
** encode ending encodes here, in the encode phase, as generated code
** would. */
static ERL_NIF_TERM attempt_body(cnif_env *inner, void *arg)
{
    attempt *a = arg;
    probe p;
    defer_note(inner, a->pid, atom(inner, "inner"));
    p = end_as(inner, a->how, 1);
    cnif_phase_set(inner, CNIF_PHASE_ENCODE);
    return cnif_encode_probe(inner, p);
}

/* {returned, Value} or {caught, Exception}: the outer call goes on either
** way. The after_try message shows the inner cleanup ran before cnif_try
** returned, the outer one only when the whole call ends. */
static cnif_term guarded(cnif_env *env, cnif_pid pid,
                         ERL_NIF_TERM (*fn)(cnif_env *, void *), void *arg)
{
    ERL_NIF_TERM result;
    bool returned;

    defer_note(env, pid, atom(env, "outer"));
    returned = cnif_try(env, fn, arg, &result);
    notify(env, pid, atom(env, "after_try"));
    return enif_make_tuple2(cnif_nif_env(env),
                            atom(env, returned ? "returned" : "caught"), result);
}

static cnif_term try_once(cnif_env *env, cnif_pid pid, ending how)
{
    attempt a = {pid, how};
    return guarded(env, pid, attempt_body, &a);
}
CNIF_EXPORT(try_once, cnif_term, cnif_pid, ending)

/* Two levels: the innermost panics; the middle one catches that and
** raises {middle_saw, Exception}; the outer one catches that. */
static ERL_NIF_TERM innermost(cnif_env *env, void *pid)
{
    defer_note(env, *(cnif_pid *)pid, atom(env, "innermost"));
    cnif_panic(env, "innermost gave up"); /* site:innermost */
}

static ERL_NIF_TERM middle(cnif_env *env, void *pid)
{
    ERL_NIF_TERM seen;
    defer_note(env, *(cnif_pid *)pid, atom(env, "middle"));
    if (cnif_try(env, innermost, pid, &seen))
        cnif_panic(env, "innermost returned");
    cnif_raise(env, enif_make_tuple2(cnif_nif_env(env), atom(env, "middle_saw"),
                                     seen));
}

static cnif_term try_twice(cnif_env *env, cnif_pid pid)
{
    return guarded(env, pid, middle, &pid);
}
CNIF_EXPORT(try_twice, cnif_term, cnif_pid)

/* --- A raw-term NIF ------------------------------------------------------ */

static ERL_NIF_TERM raw_sum(cnif_env *env, int argc, const ERL_NIF_TERM argv[])
{
    int64_t a, b;
    probe c;
    (void)argc;
    CNIF_ARG(env, argv, 0, int64_t, &a);
    CNIF_ARG(env, argv, 1, int64_t, &b);
    CNIF_ARG(env, argv, 2, probe, &c);
    return cnif_encode_int64_t(env, a + b + c);
}
CNIF_EXPORT_RAW(raw_sum, 3)

/* --- Normal and dirty schedulers ---------------------------------------- */

/* Encoded as {Scheduler, Value}, Scheduler being the kind of thread that
** encoded it: proof the flags put the call where they say. */
typedef struct sched_report {
    probe value;
} sched_report;

static ERL_NIF_TERM cnif_encode_sched_report(cnif_env *env, sched_report r)
{
    static const char *const kinds[] = {
        [ERL_NIF_THR_NORMAL_SCHEDULER] = "normal",
        [ERL_NIF_THR_DIRTY_CPU_SCHEDULER] = "dirty_cpu",
        [ERL_NIF_THR_DIRTY_IO_SCHEDULER] = "dirty_io",
    };
    int kind = enif_thread_type();
    CNIF_ASSERT(env, kind > 0 && kind <= ERL_NIF_THR_DIRTY_IO_SCHEDULER);
    return enif_make_tuple2(cnif_nif_env(env), atom(env, kinds[kind]),
                            cnif_encode_probe(env, r.value));
}

static sched_report scheduled(cnif_env *env, probe p, bool panic)
{
    if (panic)
        cnif_panic(env, "panicked with %lld", (long long)p); /* site:sched */
    return (sched_report){p};
}

static sched_report on_normal(cnif_env *env, probe p, bool panic)
{
    return scheduled(env, p, panic);
}
CNIF_EXPORT(on_normal, sched_report, probe, bool)

static sched_report on_dirty_cpu(cnif_env *env, probe p, bool panic)
{
    return scheduled(env, p, panic);
}
CNIF_EXPORT_FLAGS(on_dirty_cpu, CNIF_DIRTY_CPU, sched_report, probe, bool)

static sched_report on_dirty_io(cnif_env *env, probe p, bool panic)
{
    return scheduled(env, p, panic);
}
CNIF_EXPORT_FLAGS(on_dirty_io, CNIF_DIRTY_IO, sched_report, probe, bool)

/* --- Leaks ---------------------------------------------------------------- */

/* Where the leak probe gives up: nowhere, or in one of these. */
typedef enum leak_phase {
    LEAK_NONE,
    LEAK_DECODE,
    LEAK_CALL,
    LEAK_ENCODE,
    LEAK_CLEANUP,
    LEAK_RAISE,
    LEAK_BADARG
} leak_phase;
static const cnif_enum_entry leak_phase_atoms[] = {
    {LEAK_NONE, "none"},       {LEAK_DECODE, "decode"}, {LEAK_CALL, "call"},
    {LEAK_ENCODE, "encode"},   {LEAK_CLEANUP, "cleanup"},
    {LEAK_RAISE, "raise"},     {LEAK_BADARG, "badarg"}, {0, NULL}};
CNIF_DEFINE_ENUM(leak_phase, leak_phase_atoms)

/* enif_alloc blocks handed out by the probe and not yet freed by their
** cleanup: after any number of calls, however they ended, it must be 0. */
static long blocks_outstanding;

typedef struct block {
    void *data;
} block;

static void free_block(void *arg)
{
    block *b = arg;
    if (b->data) {
        enif_free(b->data);
        __atomic_sub_fetch(&blocks_outstanding, 1, __ATOMIC_RELAXED);
    }
}

/* Memory of all three kinds a call can own: call-scoped memory, a block
** freed by a cleanup (registered before the block exists, so no panic can
** come between them) and a binary being built. All of it is written to so
** it is really committed. */
static void spend(cnif_env *env, size_t size)
{
    block *b = cnif_alloc(env, sizeof *b);
    cnif_bin_builder *bin;

    memset(cnif_alloc(env, size), 0xAB, size);
    b->data = NULL;
    cnif_defer(env, free_block, b);
    b->data = enif_alloc(size);
    CNIF_ASSERT(env, b->data != NULL);
    __atomic_add_fetch(&blocks_outstanding, 1, __ATOMIC_RELAXED);
    memset(b->data, 0xCD, size);
    bin = cnif_bin_alloc(env, size);
    memset(cnif_bin_data(bin), 0xEF, size);
}

/* {Phase, Size}: spends Size bytes of each kind in every phase it passes
** through, and gives up in Phase. */
typedef struct leak_plan {
    leak_phase phase;
    size_t size;
} leak_plan;

static bool cnif_decode_leak_plan(cnif_env *env, ERL_NIF_TERM term, leak_plan *out)
{
    cnif_tuple t;
    if (!cnif_decode_cnif_tuple(env, term, &t) || t.arity != 2)
        return cnif_decode_fail(env, term, "a {Phase, Size} tuple");
    if (!CNIF_TUPLE_GET(env, t, 0, leak_phase, &out->phase)
        || !CNIF_TUPLE_GET(env, t, 1, size_t, &out->size))
        return false;
    spend(env, out->size);
    if (out->phase == LEAK_DECODE)
        cnif_panic(env, "leak probe: decode");
    return true;
}

static ERL_NIF_TERM cnif_encode_leak_plan(cnif_env *env, leak_plan p)
{
    spend(env, p.size);
    if (p.phase == LEAK_ENCODE)
        cnif_panic(env, "leak probe: encode");
    return cnif_encode_size_t(env, p.size);
}

static leak_plan leak_probe(cnif_env *env, leak_plan p)
{
    spend(env, p.size);
    switch (p.phase) {
    case LEAK_CALL:
        cnif_panic(env, "leak probe: call");
    case LEAK_RAISE:
        cnif_raise(env, atom(env, "leak_probe"));
    case LEAK_BADARG:
        cnif_raise_badarg(env, 1, "leak probe: badarg");
    case LEAK_CLEANUP:
        cnif_defer(env, panicking_cleanup, "leak probe");
        break;
    default:
        break;
    }
    return p;
}
CNIF_EXPORT(leak_probe, leak_plan, leak_plan)

static int64_t live_blocks(cnif_env *env)
{
    (void)env;
    return __atomic_load_n(&blocks_outstanding, __ATOMIC_RELAXED);
}
CNIF_EXPORT(live_blocks, int64_t)

/* --- Call memory is the call's own ---------------------------------------
** own_memory(Tag, Rounds) fills a block of call memory, small enough to be
** in the call's first chunk (the one kept as a spare between calls), with
** Tag, reads it back Rounds times, and returns how many bytes it found
** changed: 0 unless another call running at once was handed the same
** chunk. */
#define OWN_BYTES 2048

static int64_t own_memory(cnif_env *env, int64_t tag, int64_t rounds)
{
    volatile unsigned char *block = cnif_alloc(env, OWN_BYTES);
    int64_t changed = 0;

    for (size_t i = 0; i < OWN_BYTES; i++)
        block[i] = (unsigned char)tag;
    for (int64_t r = 0; r < rounds; r++)
        for (size_t i = 0; i < OWN_BYTES; i++)
            changed += block[i] != (unsigned char)tag;
    return changed;
}
CNIF_EXPORT(own_memory, int64_t, int64_t, int64_t)
CNIF_EXPORT_AS_FLAGS(own_memory_dirty_cpu, own_memory, CNIF_DIRTY_CPU,
                     int64_t, int64_t, int64_t)
CNIF_EXPORT_AS_FLAGS(own_memory_dirty_io, own_memory, CNIF_DIRTY_IO,
                     int64_t, int64_t, int64_t)

/* --- A plain typed NIF for the error_info tests -------------------------- */

static int64_t add(cnif_env *env, int64_t a, int64_t b)
{
    (void)env;
    return a + b;
}
CNIF_EXPORT(add, int64_t, int64_t, int64_t)

CNIF_MODULE(boundary_nif, NULL, NULL, NULL)
