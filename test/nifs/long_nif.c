/* long_nif.c -- the NIFs behind long_tests.erl: section 10 of cnif.h.
** Long work on the dirty schedulers, as yielding slices on a normal
** scheduler, and as jobs on the module's thread pool or on threads of
** their own; and messages sent from every kind of thread.
**
** Shared counters let the tests see what happened inside: how many calls
** ran at once (the gate), which cleanups ran and how often, how far a
** job got before it noticed its caller had died.
**
** Every deliberate panic sits on a line marked with a comment "site:NAME";
** the tests look the marker up, so no line number is written down twice. */
#include <cnif.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static ERL_NIF_TERM atom(cnif_env *env, const char *name)
{
    return enif_make_atom(cnif_nif_env(env), name);
}

/* The kind of thread running the caller: a scheduler of some kind, or a
** thread that is none (a job's). */
static const char *thread_kind(void)
{
    switch (enif_thread_type()) {
    case ERL_NIF_THR_NORMAL_SCHEDULER:
        return "normal";
    case ERL_NIF_THR_DIRTY_CPU_SCHEDULER:
        return "dirty_cpu";
    case ERL_NIF_THR_DIRTY_IO_SCHEDULER:
        return "dirty_io";
    default:
        return "thread";
    }
}

/* sum(seed + i) for i in [0, iters), really looped: the empty asm keeps
** the compiler from replacing the loop by its closed form, which the
** tests use to check the result. */
static int64_t spin_sum(int64_t seed, int64_t from, int64_t to, int64_t acc)
{
    for (int64_t i = from; i < to; i++) {
        acc += seed + i;
        __asm__ volatile("" : "+r"(acc));
    }
    return acc;
}

/* How a call is told to end badly. Work on a dirty scheduler or in a job
** knows panic, raise, badarg and encode; a yielding call all. */
typedef enum fault {
    FAIL_NONE,
    FAIL_PANIC,
    FAIL_RAISE,
    FAIL_BADARG,
    FAIL_ENCODE,
    FAIL_INIT,
    FAIL_CLEANUP
} fault;
static const cnif_enum_entry fault_atoms[] = {
    {FAIL_NONE, "none"},     {FAIL_PANIC, "panic"},   {FAIL_RAISE, "raise"},
    {FAIL_BADARG, "badarg"}, {FAIL_ENCODE, "encode"}, {FAIL_INIT, "init"},
    {FAIL_CLEANUP, "cleanup"}, {0, NULL}};
CNIF_DEFINE_ENUM(fault, fault_atoms)

/* --- The gate: how many calls run at once -------------------------------- */

/* Every gated call counts itself in and (by a cleanup, so a panic too) out,
** and the peak is kept. A call then waits until the peak reached target or
** every one of the total calls has started. Both only grow, so while the
** peak is below target a pool has a free thread and a queued call gets
** it: the wait ends without a timing guess, and the peak is exactly
** min(target, pool size). Only a pool smaller than target would wait out
** the 10 s, and report it. */
static struct {
    atomic_long started, running, peak;
} gate;

static void gate_leave(void *arg)
{
    (void)arg;
    atomic_fetch_sub(&gate.running, 1);
}

static bool gate_pass(cnif_env *env, int64_t total, int64_t target)
{
    long running, peak;

    cnif_defer(env, gate_leave, NULL);
    atomic_fetch_add(&gate.started, 1);
    running = atomic_fetch_add(&gate.running, 1) + 1;
    peak = atomic_load(&gate.peak);
    while (running > peak
           && !atomic_compare_exchange_weak(&gate.peak, &peak, running))
        ;
    for (int ms = 0; ms < 10000; ms++) {
        if (atomic_load(&gate.peak) >= target
            || atomic_load(&gate.started) >= total)
            return true;
        usleep(1000);
    }
    return false;
}

/* {Started, Running, Peak} */
static cnif_term gate_stats(cnif_env *env)
{
    return enif_make_tuple3(cnif_nif_env(env),
                            cnif_encode_int64_t(env, atomic_load(&gate.started)),
                            cnif_encode_int64_t(env, atomic_load(&gate.running)),
                            cnif_encode_int64_t(env, atomic_load(&gate.peak)));
}
CNIF_EXPORT(gate_stats, cnif_term)

typedef struct gate_plan {
    int64_t total, target;
} gate_plan;
#define GATE_FIELDS(F) F(int64_t, total) F(int64_t, target)
CNIF_DEFINE_STRUCT(gate_plan, GATE_FIELDS, .as = CNIF_AS_TUPLE)

/* --- Work on dirty schedulers and threads -------------------------------- */

/* What a work call reports: {Kind, Tid, Sum, Reached}, Kind being the
** thread that ran it and Reached whether the gate let it through. Encoding
** it panics when told to. */
typedef struct work_out {
    const char *kind;
    int64_t tid, seed, sum;
    bool reached, explode;
} work_out;

static ERL_NIF_TERM cnif_encode_work_out(cnif_env *env, work_out w)
{
    if (w.explode)
        cnif_panic(env, "%s result %lld cannot be encoded", w.kind, (long long)w.seed); /* site:work_encode */
    return enif_make_tuple4(cnif_nif_env(env), atom(env, w.kind),
                            cnif_encode_int64_t(env, w.tid),
                            cnif_encode_int64_t(env, w.sum),
                            cnif_encode_bool(env, w.reached));
}

static work_out work(cnif_env *env, int64_t seed, int64_t iters, gate_plan g,
                     fault how)
{
    work_out w = {thread_kind(), (int64_t)syscall(SYS_gettid), seed, 0, false,
                  how == FAIL_ENCODE};

    w.reached = gate_pass(env, g.total, g.target);
    w.sum = spin_sum(seed, 0, iters, 0);
    switch (how) {
    case FAIL_PANIC:
        cnif_panic(env, "%s call %lld gave up", w.kind, (long long)seed); /* site:work */
    case FAIL_RAISE:
        cnif_raise(env, enif_make_tuple2(cnif_nif_env(env), atom(env, "gave_up"),
                                         cnif_encode_int64_t(env, seed)));
    case FAIL_BADARG:
        cnif_raise_badarg(env, 1, "seed %lld refused", (long long)seed);
    default:
        return w;
    }
}

static work_out work_dirty_cpu(cnif_env *env, int64_t seed, int64_t iters,
                               gate_plan g, fault how)
{
    return work(env, seed, iters, g, how);
}
CNIF_EXPORT_FLAGS(work_dirty_cpu, CNIF_DIRTY_CPU, work_out, int64_t, int64_t,
                  gate_plan, fault)

static work_out work_dirty_io(cnif_env *env, int64_t seed, int64_t iters,
                              gate_plan g, fault how)
{
    return work(env, seed, iters, g, how);
}
CNIF_EXPORT_FLAGS(work_dirty_io, CNIF_DIRTY_IO, work_out, int64_t, int64_t,
                  gate_plan, fault)

static work_out work_pool(cnif_env *env, int64_t seed, int64_t iters,
                          gate_plan g, fault how)
{
    return work(env, seed, iters, g, how);
}
CNIF_EXPORT_THREADED(work_pool, work_out, int64_t, int64_t, gate_plan, fault)

static work_out work_thread(cnif_env *env, int64_t seed, int64_t iters,
                            gate_plan g, fault how)
{
    return work(env, seed, iters, g, how);
}
CNIF_EXPORT_THREAD(work_thread, work_out, int64_t, int64_t, gate_plan, fault)

/* --- Yielding ------------------------------------------------------------ */

/* Which calls' cleanups ran, and how often; scratch memory found damaged
** by its cleanup; ticks of the process that competes for the scheduler. */
#define ID_LIMIT 16384
static atomic_int cleanup_runs[ID_LIMIT];
static atomic_long scratch_damaged;
static atomic_long ticks;

CNIF_DEFINE_OPTIONAL(maybe_pid, cnif_pid, CNIF_UNDEFINED)

/* #{id, n, chunk, percent, scratch, fail, fail_at, notify, carry_in_try}:
** sum id + i for i in [0, n), chunk iterations between timeslice reports
** of percent (yrows: n rows, chunk cells a slice); hold scratch bytes of
** call-scoped memory; fail as told at slice fail_at; tell notify
** {mid_way, Id} when slice 2 begins; yrows carries its lists from inside
** cnif_try when carry_in_try is true. */
typedef struct yopts {
    size_t id, scratch;
    int64_t n, chunk, fail_at;
    int percent;
    fault fail;
    maybe_pid notify;
    bool carry_in_try;
} yopts;
#define YOPTS_FIELDS(F)                                                       \
    F(size_t, id) F(int64_t, n) F(int64_t, chunk, .optional = true)           \
    F(int, percent, .optional = true) F(size_t, scratch, .optional = true)    \
    F(fault, fail, .optional = true) F(int64_t, fail_at, .optional = true)     \
    F(maybe_pid, notify, .optional = true)                                    \
    F(bool, carry_in_try, .optional = true)
static const yopts yopts_defaults = {.chunk = 1000, .percent = 100, .fail_at = 1};
CNIF_DEFINE_STRUCT(yopts, YOPTS_FIELDS, .as = CNIF_AS_MAP,
                   .reject_unknown = true, .defaults = &yopts_defaults)

/* A call's record, in its own call-scoped memory: its cleanup checks the
** scratch bytes are still there and counts itself. */
typedef struct call_record {
    size_t id, size;
    unsigned char *scratch;
} call_record;

static unsigned char scratch_byte(size_t id, size_t k)
{
    return (unsigned char)(id * 31 + k);
}

static void call_finished(void *arg)
{
    call_record *r = arg;
    for (size_t k = 0; k < r->size; k++)
        if (r->scratch[k] != scratch_byte(r->id, k)) {
            atomic_fetch_add(&scratch_damaged, 1);
            break;
        }
    atomic_fetch_add(&cleanup_runs[r->id], 1);
}

static void panicking_cleanup(void *arg)
{
    cnif_panic(NULL, "cleanup of call %zu panicked", ((call_record *)arg)->id); /* site:ycleanup */
}

/* One note per slice, each in call-scoped memory made by that slice: the
** last slice counts them, so memory of every earlier slice must still be
** there. */
typedef struct slice_note {
    struct slice_note *next;
} slice_note;

typedef struct ysum_state {
    yopts o;
    int64_t i, acc, slices;
    long ticks0;
    slice_note *notes;
} ysum_state;

/* {Sum, Slices, Ticks}: Ticks is how often the competing process ticked
** while the call ran. Encoding it panics when told to. */
typedef struct ysum_out {
    int64_t sum, slices, ticks;
    size_t id;
    bool explode;
} ysum_out;

static ERL_NIF_TERM cnif_encode_ysum_out(cnif_env *env, ysum_out y)
{
    if (y.explode)
        cnif_panic(env, "result of call %zu cannot be encoded", y.id); /* site:yencode */
    return enif_make_tuple3(cnif_nif_env(env), cnif_encode_int64_t(env, y.sum),
                            cnif_encode_int64_t(env, y.slices),
                            cnif_encode_int64_t(env, y.ticks));
}

static void ysum_init(cnif_env *env, ysum_state *s, yopts o)
{
    call_record *r;

    if (o.id >= ID_LIMIT)
        cnif_raise_badarg(env, 1, "id %zu is not below %d", o.id, ID_LIMIT);
    if (o.chunk < 1)
        cnif_raise_badarg(env, 1, "chunk %lld is not positive", (long long)o.chunk);
    s->o = o;
    s->ticks0 = atomic_load(&ticks);
    r = cnif_alloc(env, sizeof *r);
    r->id = o.id;
    r->size = o.scratch;
    r->scratch = cnif_alloc(env, o.scratch);
    for (size_t k = 0; k < o.scratch; k++)
        r->scratch[k] = scratch_byte(o.id, k);
    cnif_defer(env, call_finished, r);
    if (o.fail == FAIL_CLEANUP)
        cnif_defer(env, panicking_cleanup, r);
    if (o.fail == FAIL_INIT)
        cnif_panic(env, "init of call %zu gave up", o.id); /* site:yinit */
}

static void ysum_fail(cnif_env *env, ysum_state *s)
{
    switch (s->o.fail) {
    case FAIL_PANIC:
        cnif_panic(env, "call %zu gave up in slice %lld", s->o.id, (long long)s->slices); /* site:ystep */
    case FAIL_RAISE:
        cnif_raise(env, enif_make_tuple3(cnif_nif_env(env), atom(env, "gave_up"),
                                         cnif_encode_size_t(env, s->o.id),
                                         cnif_encode_int64_t(env, s->slices)));
    case FAIL_BADARG:
        cnif_raise_badarg(env, 1, "call %zu refused slice %lld", s->o.id,
                          (long long)s->slices);
    default:
        break;
    }
}

/* What every slice of ysum and yrows begins with: count itself, note
** its memory, tell notify it reached slice 2, fail when told. */
static void ysum_slice_begin(cnif_env *env, ysum_state *s)
{
    slice_note *note = cnif_alloc(env, sizeof *note);

    note->next = s->notes;
    s->notes = note;
    s->slices++;
    if (s->slices == 2 && s->o.notify.present)
        cnif_send(env, &s->o.notify.value, NULL,
                  enif_make_tuple2(cnif_nif_env(env), atom(env, "mid_way"),
                                   cnif_encode_size_t(env, s->o.id)));
    if (s->slices == s->o.fail_at)
        ysum_fail(env, s);
}

static bool ysum_step(cnif_env *env, ysum_state *s, ysum_out *out)
{
    int64_t counted = 0;

    ysum_slice_begin(env, s);
    while (s->i < s->o.n) {
        int64_t end = s->o.n - s->i > s->o.chunk ? s->i + s->o.chunk : s->o.n;
        s->acc = spin_sum((int64_t)s->o.id, s->i, end, s->acc);
        s->i = end;
        if (s->i < s->o.n && cnif_timeslice_consume(env, s->o.percent))
            return false;
    }
    for (slice_note *n = s->notes; n; n = n->next)
        counted++;
    CNIF_ASSERT(env, counted == s->slices);
    *out = (ysum_out){s->acc, s->slices, atomic_load(&ticks) - s->ticks0,
                      s->o.id, s->o.fail == FAIL_ENCODE};
    return true;
}
CNIF_EXPORT_YIELDING(ysum, ysum_out, ysum_state, yopts)

/* The same steps run back to back in one call that never yields: the
** control for the test that other processes run while ysum yields. */
static ysum_out block_sum(cnif_env *env, yopts o)
{
    ysum_state s = {0};
    ysum_out out;
    ysum_init(env, &s, o);
    while (!ysum_step(env, &s, &out))
        ;
    return out;
}
CNIF_EXPORT(block_sum, ysum_out, yopts)

/* --- Carrying terms across slices ---------------------------------------- */

/* yrows(Opts) -> {Rows, Slices}: Rows = [{I, <<"name">>, I * 2} || I <-
** 0..n-1], accumulated in slot 0 as a reversed list, then reversed into
** slot 1, chunk cells a slice in both phases, so a call of n rows takes
** max(1, ceil(2n / chunk)) slices. The state keeps no term: only the
** carried lists hold the rows. */
static ERL_NIF_TERM carry_lists(cnif_env *env, void *lists)
{
    for (int slot = 0; slot < 2; slot++)
        cnif_yield_carry(env, slot, ((ERL_NIF_TERM *)lists)[slot]);
    return 0;
}

static void carry(cnif_env *env, const ysum_state *s, ERL_NIF_TERM reversed,
                  ERL_NIF_TERM rows)
{
    ERL_NIF_TERM lists[2] = {reversed, rows}, error;

    if (!s->o.carry_in_try)
        carry_lists(env, lists);
    else if (!cnif_try(env, carry_lists, lists, &error))
        cnif_raise(env, error);
}

/* {I, <<"name">>, I * 2} */
static ERL_NIF_TERM row(ErlNifEnv *nif, int64_t i)
{
    ERL_NIF_TERM name;
    memcpy(enif_make_new_binary(nif, 4, &name), "name", 4);
    return enif_make_tuple3(nif, enif_make_int64(nif, i), name,
                            enif_make_int64(nif, i * 2));
}

static void yrows_init(cnif_env *env, ysum_state *s, yopts o)
{
    ysum_init(env, s, o);
    carry(env, s, enif_make_list(cnif_nif_env(env), 0),
          enif_make_list(cnif_nif_env(env), 0));
}

static bool yrows_step(cnif_env *env, ysum_state *s, cnif_term *out)
{
    ErlNifEnv *nif = cnif_nif_env(env);
    ERL_NIF_TERM reversed = cnif_yield_carried(env, 0);
    ERL_NIF_TERM rows = cnif_yield_carried(env, 1), head;
    int64_t budget = s->o.chunk;

    ysum_slice_begin(env, s);
    for (; budget > 0 && s->i < s->o.n; budget--, s->i++)
        reversed = enif_make_list_cell(nif, row(nif, s->i), reversed);
    for (; budget > 0 && enif_get_list_cell(nif, reversed, &head, &reversed); budget--)
        rows = enif_make_list_cell(nif, head, rows);
    if (s->i < s->o.n || !enif_is_empty_list(nif, reversed)) {
        carry(env, s, reversed, rows);
        return false;
    }
    *out = enif_make_tuple2(nif, rows, enif_make_int64(nif, s->slices));
    return true;
}
CNIF_EXPORT_YIELDING(yrows, cnif_term, ysum_state, yopts)

/* Misuse of the slots, each a panic:
**   unset        read slot 0, never carried, in the first slice
**   unset_later  carry slot 2, yield, then read slot 1 (never carried,
**                below one that was) in the next slice
**   carry_high   carry into slot CNIF_YIELD_CARRY_SLOTS
**   read_low     read slot -1 */
typedef enum misuse { MIS_UNSET, MIS_UNSET_LATER, MIS_CARRY_HIGH, MIS_READ_LOW } misuse;
static const cnif_enum_entry misuse_atoms[] = {
    {MIS_UNSET, "unset"},           {MIS_UNSET_LATER, "unset_later"},
    {MIS_CARRY_HIGH, "carry_high"}, {MIS_READ_LOW, "read_low"}, {0, NULL}};
CNIF_DEFINE_ENUM(misuse, misuse_atoms)

typedef struct ymisuse_state {
    misuse how;
    int64_t slices;
} ymisuse_state;

static void ymisuse_init(cnif_env *env, ymisuse_state *s, misuse how)
{
    (void)env;
    s->how = how;
}

static bool ymisuse_step(cnif_env *env, ymisuse_state *s, cnif_term *out)
{
    ERL_NIF_TERM ok = atom(env, "ok");

    switch (s->how) {
    case MIS_UNSET:
        *out = cnif_yield_carried(env, 0);
        return true;
    case MIS_UNSET_LATER:
        if (++s->slices == 1) {
            cnif_yield_carry(env, 2, ok);
            return false;
        }
        CNIF_ASSERT(env, cnif_yield_carried(env, 2) == ok);
        *out = cnif_yield_carried(env, 1);
        return true;
    case MIS_CARRY_HIGH:
        cnif_yield_carry(env, CNIF_YIELD_CARRY_SLOTS, ok);
        return false;
    default:
        *out = cnif_yield_carried(env, -1);
        return true;
    }
}
CNIF_EXPORT_YIELDING(ymisuse, cnif_term, ymisuse_state, misuse)

/* The slots outside a yielding call: in a plain NIF, and in a job. */
static void carry_plain(cnif_env *env)
{
    cnif_yield_carry(env, 0, atom(env, "ok"));
}
CNIF_EXPORT(carry_plain, void)

static cnif_term carried_plain(cnif_env *env)
{
    return cnif_yield_carried(env, 0);
}
CNIF_EXPORT(carried_plain, cnif_term)

static void carry_job(cnif_env *env)
{
    cnif_yield_carry(env, 0, atom(env, "ok"));
}
CNIF_EXPORT_THREADED(carry_job, void)

/* The competing process calls this in a loop. */
static void tick(cnif_env *env)
{
    (void)env;
    atomic_fetch_add(&ticks, 1);
}
CNIF_EXPORT(tick, void)

/* How often the cleanup of each call in [from, to) ran. */
static cnif_term cleanup_counts(cnif_env *env, size_t from, size_t to)
{
    ErlNifEnv *nif = cnif_nif_env(env);
    ERL_NIF_TERM list = enif_make_list(nif, 0);
    if (from > to || to > ID_LIMIT)
        cnif_raise_badarg(env, 2, "not a range of ids below %d", ID_LIMIT);
    for (size_t id = to; id > from; id--)
        list = enif_make_list_cell(
            nif, enif_make_int(nif, atomic_load(&cleanup_runs[id - 1])), list);
    return list;
}
CNIF_EXPORT(cleanup_counts, cnif_term, size_t, size_t)

static int64_t damaged(cnif_env *env)
{
    (void)env;
    return atomic_load(&scratch_damaged);
}
CNIF_EXPORT(damaged, int64_t)

/* --- Jobs that notice their caller died ----------------------------------- */

static atomic_long watch_progress;
static atomic_bool latch_open;

/* When the job ends, however it ends, it tells the observer
** {watch_stopped, Done, Cancelled} from its own thread. */
typedef struct watch_report {
    cnif_env *env;
    cnif_pid observer;
    int64_t done;
} watch_report;

static void report_watch(void *arg)
{
    watch_report *r = arg;
    ErlNifEnv *msg_env = enif_alloc_env();
    cnif_send(r->env, &r->observer, msg_env,
              enif_make_tuple3(msg_env, enif_make_atom(msg_env, "watch_stopped"),
                               enif_make_int64(msg_env, r->done),
                               enif_make_atom(msg_env, cnif_job_cancelled(r->env)
                                                           ? "true"
                                                           : "false")));
    enif_free_env(msg_env);
}

/* Up to limit iterations of 1 ms, stopping early once the caller died. */
static int64_t watch(cnif_env *env, int64_t limit, cnif_pid observer)
{
    watch_report *r = cnif_alloc(env, sizeof *r);
    r->env = env;
    r->observer = observer;
    r->done = 0;
    cnif_defer(env, report_watch, r);
    while (r->done < limit && !cnif_job_cancelled(env)) {
        usleep(1000);
        r->done++;
        atomic_fetch_add(&watch_progress, 1);
    }
    return r->done;
}

static int64_t watch_pool(cnif_env *env, int64_t limit, cnif_pid observer)
{
    return watch(env, limit, observer);
}
CNIF_EXPORT_THREADED(watch_pool, int64_t, int64_t, cnif_pid)

static int64_t watch_thread(cnif_env *env, int64_t limit, cnif_pid observer)
{
    return watch(env, limit, observer);
}
CNIF_EXPORT_THREAD(watch_thread, int64_t, int64_t, cnif_pid)

static int64_t watched(cnif_env *env)
{
    (void)env;
    return atomic_load(&watch_progress);
}
CNIF_EXPORT(watched, int64_t)

/* Occupies a pool thread until the latch opens (true), or 10 s (false). */
static bool latch_wait(cnif_env *env)
{
    (void)env;
    for (int ms = 0; ms < 10000; ms++) {
        if (atomic_load(&latch_open))
            return true;
        usleep(1000);
    }
    return false;
}
CNIF_EXPORT_THREADED(latch_wait, bool)

static void latch_set(cnif_env *env, bool open)
{
    (void)env;
    atomic_store(&latch_open, open);
}
CNIF_EXPORT(latch_set, void, bool)

/* A job holding a copy of bin in call-scoped memory, ending as told:
** for the leak test. */
static int64_t job_hold(cnif_env *env, cnif_bin bin, fault how)
{
    memcpy(cnif_alloc(env, bin.size), bin.data, bin.size);
    switch (how) {
    case FAIL_PANIC:
        cnif_panic(env, "job holding %zu bytes gave up", bin.size); /* site:hold */
    case FAIL_RAISE:
        cnif_raise(env, atom(env, "gave_up"));
    default:
        return (int64_t)bin.size;
    }
}
CNIF_EXPORT_THREADED(job_hold, int64_t, cnif_bin, fault)

/* A job's arguments, views included, stay valid while it runs, whatever
** the caller does meanwhile: {Bin, Str} back after sleeping ms. */
typedef struct views {
    cnif_bin bin;
    cnif_iotext str;
} views;
#define VIEWS_FIELDS(F) F(cnif_bin, bin) F(cnif_iotext, str)
CNIF_DEFINE_STRUCT(views, VIEWS_FIELDS, .as = CNIF_AS_TUPLE)

static views job_views(cnif_env *env, views v, int64_t ms)
{
    (void)env;
    usleep((useconds_t)ms * 1000);
    return v;
}
CNIF_EXPORT_THREAD(job_views, views, views, int64_t)

static void reset(cnif_env *env)
{
    (void)env;
    atomic_store(&gate.started, 0);
    atomic_store(&gate.running, 0);
    atomic_store(&gate.peak, 0);
    for (size_t id = 0; id < ID_LIMIT; id++)
        atomic_store(&cleanup_runs[id], 0);
    atomic_store(&scratch_damaged, 0);
    atomic_store(&watch_progress, 0);
}
CNIF_EXPORT(reset, void)

/* --- Sending messages from every kind of thread ---------------------------- */

/* How to send Msg to To:
**   owned     copy it into an env from enif_alloc_env and send that
**   direct    send the term as it is (msg_env NULL)
**   own_env   pass the call's own env as the message env
**   null_env  pass NULL as the caller's env
**   stale_env pass the env of a guard that has ended (a cnif_try's) */
typedef enum send_how {
    SEND_OWNED,
    SEND_DIRECT,
    SEND_OWN_ENV,
    SEND_NULL_ENV,
    SEND_STALE_ENV
} send_how;
static const cnif_enum_entry send_how_atoms[] = {
    {SEND_OWNED, "owned"},       {SEND_DIRECT, "direct"},
    {SEND_OWN_ENV, "own_env"},   {SEND_NULL_ENV, "null_env"},
    {SEND_STALE_ENV, "stale_env"}, {0, NULL}};
CNIF_DEFINE_ENUM(send_how, send_how_atoms)

static void free_env(void *msg_env)
{
    enif_free_env(msg_env);
}

/* An env of the call's own, freed when the call ends. */
static ErlNifEnv *owned_env(cnif_env *env)
{
    ErlNifEnv *msg_env = enif_alloc_env();
    CNIF_ASSERT(env, msg_env != NULL);
    cnif_defer(env, free_env, msg_env);
    return msg_env;
}

static ERL_NIF_TERM keep_env(cnif_env *inner, void *out)
{
    *(cnif_env **)out = inner;
    return 0;
}

static bool send_as(cnif_env *env, cnif_pid to, cnif_term msg, send_how how)
{
    ErlNifEnv *msg_env = owned_env(env);
    ERL_NIF_TERM copy = enif_make_copy(msg_env, msg);
    cnif_env *stale;
    ERL_NIF_TERM ignored;

    switch (how) {
    case SEND_DIRECT:
        return cnif_send(env, &to, NULL, msg);
    case SEND_OWN_ENV:
        return cnif_send(env, &to, cnif_nif_env(env), msg);
    case SEND_NULL_ENV:
        return cnif_send(NULL, &to, msg_env, copy);
    case SEND_STALE_ENV:
        cnif_try(env, keep_env, &stale, &ignored);
        return cnif_send(stale, &to, msg_env, copy);
    default:
        return cnif_send(env, &to, msg_env, copy);
    }
}

static bool send_normal(cnif_env *env, cnif_pid to, cnif_term msg, send_how how)
{
    return send_as(env, to, msg, how);
}
CNIF_EXPORT(send_normal, bool, cnif_pid, cnif_term, send_how)

static bool send_dirty(cnif_env *env, cnif_pid to, cnif_term msg, send_how how)
{
    return send_as(env, to, msg, how);
}
CNIF_EXPORT_FLAGS(send_dirty, CNIF_DIRTY_CPU, bool, cnif_pid, cnif_term, send_how)

static bool send_pool(cnif_env *env, cnif_pid to, cnif_term msg, send_how how)
{
    return send_as(env, to, msg, how);
}
CNIF_EXPORT_THREADED(send_pool, bool, cnif_pid, cnif_term, send_how)

static bool send_thread(cnif_env *env, cnif_pid to, cnif_term msg, send_how how)
{
    return send_as(env, to, msg, how);
}
CNIF_EXPORT_THREAD(send_thread, bool, cnif_pid, cnif_term, send_how)

/* A thread cnif did not start has no guard and no env: there NULL is the
** caller's env, and misuse can only be refused with false (and a line on
** stderr). The calling NIF waits for the thread and returns what
** cnif_send returned:
**   owned / null_env  cnif_send(NULL, To, Owned, Copy)
**   direct            cnif_send(NULL, To, NULL, Msg)
**   stale_env         cnif_send(CallersEnv, To, Owned, Copy) */
typedef struct raw_send {
    cnif_env *caller;
    cnif_pid to;
    ERL_NIF_TERM msg; /* in the calling NIF's env, which waits */
    send_how how;
    bool sent;
} raw_send;

static void *raw_sender(void *arg)
{
    raw_send *r = arg;
    ErlNifEnv *msg_env = enif_alloc_env();
    ERL_NIF_TERM copy = enif_make_copy(msg_env, r->msg);

    switch (r->how) {
    case SEND_DIRECT:
        r->sent = cnif_send(NULL, &r->to, NULL, r->msg);
        break;
    case SEND_STALE_ENV:
        r->sent = cnif_send(r->caller, &r->to, msg_env, copy);
        break;
    default:
        r->sent = cnif_send(NULL, &r->to, msg_env, copy);
        break;
    }
    enif_free_env(msg_env);
    return NULL;
}

static bool send_raw(cnif_env *env, cnif_pid to, cnif_term msg, send_how how)
{
    raw_send r = {env, to, msg, how, false};
    ErlNifTid tid;

    if (how == SEND_OWN_ENV)
        cnif_raise_badarg(env, 3, "a raw thread has no env of its own");
    if (enif_thread_create("long_nif_raw", &tid, raw_sender, &r, NULL) != 0)
        cnif_panic(env, "cannot start a raw thread");
    enif_thread_join(tid, NULL);
    return r.sent;
}
CNIF_EXPORT(send_raw, bool, cnif_pid, cnif_term, send_how)

/* ytry(N) -> N: a yielding call of N slices whose steps ask cnif_yield_due
** only inside cnif_try, so the slice's clock, which starts at the first
** question, must start for the outer guard too (else it never yields).
** State points to itself: it must stay at one address for the whole call,
** from init (in call memory) through every yield. */
typedef struct ytry_state {
    struct ytry_state *self;
    int64_t n, slices;
} ytry_state;

static ERL_NIF_TERM ytry_ask(cnif_env *inner, void *arg)
{
    (void)arg;
    return cnif_encode_bool(inner, cnif_yield_due(inner));
}

static void ytry_init(cnif_env *env, ytry_state *s, int64_t n)
{
    (void)env;
    s->self = s;
    s->n = n;
}

static bool ytry_step(cnif_env *env, ytry_state *s, int64_t *slices)
{
    ERL_NIF_TERM due;

    CNIF_ASSERT(env, s->self == s);
    if (++s->slices < s->n) {
        do {
            if (!cnif_try(env, ytry_ask, NULL, &due))
                cnif_raise(env, due);
        } while (due != cnif_encode_bool(env, true));
        return false;
    }
    *slices = s->slices;
    return true;
}
CNIF_EXPORT_YIELDING(ytry, int64_t, ytry_state, int64_t)

/* cnif_yield_due outside a yielding call's step: always false. */
static bool yield_due_outside(cnif_env *env)
{
    return cnif_yield_due(env);
}
CNIF_EXPORT(yield_due_outside, bool)

CNIF_MODULE(long_nif, NULL, NULL, NULL)
