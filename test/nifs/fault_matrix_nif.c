/* fault_matrix_nif.c -- one NIF (or resource callback) per row of the fault
** matrix (test/fault_matrix_tests.erl, docs/fault-matrix.md): each takes a
** failure kind (fm_fault.h) and fails that way in its row's phase. The
** load, upgrade and unload rows are test/fault_matrix/fm_hooks.c. */
#include "../fault_matrix/fm_fault.h"
#include <string.h>
#include <unistd.h>

static ERL_NIF_TERM atom(cnif_env *env, const char *name)
{
    return enif_make_atom(cnif_nif_env(env), name);
}

/* --- Argument decoding: a user codec ---------------------------------------- */

/* {Kind, Payload}: the decoder reads Kind and fails as it says; a decode
** failure is Payload, which must be an integer, not being one. */
typedef fm_kind fm_plan;

static bool cnif_decode_fm_plan(cnif_env *env, ERL_NIF_TERM term, fm_plan *out)
{
    cnif_tuple t;
    int64_t payload;

    if (!cnif_decode_cnif_tuple(env, term, &t) || t.arity != 2)
        return cnif_decode_fail(env, term, "a {Kind, Payload} tuple");
    if (!CNIF_TUPLE_GET(env, t, 0, fm_kind, out))
        return false;
    fm_fault(env, *out, "decode");
    return *out != FM_DECODE || CNIF_TUPLE_GET(env, t, 1, int64_t, &payload);
}

static void fm_decode(cnif_env *env, fm_plan p)
{
    (void)env, (void)p;
}
CNIF_EXPORT(fm_decode, void, fm_plan)

/* The same, for the arguments of a threaded NIF: they are decoded by the
** call, from the job's own copies. */
static void fm_job_decode(cnif_env *env, fm_plan p)
{
    (void)env, (void)p;
}
CNIF_EXPORT_THREADED(fm_job_decode, void, fm_plan)

/* --- The body: a raw NIF, whose CNIF_ARG decodes in the body ---------------- */

static ERL_NIF_TERM fm_call_as(cnif_env *env, const ERL_NIF_TERM argv[],
                               const char *where)
{
    fm_kind kind;
    int64_t n;

    CNIF_ARG(env, argv, 0, fm_kind, &kind);
    if (kind == FM_DECODE)
        CNIF_ARG(env, argv, 1, int64_t, &n);
    fm_fault(env, kind, where);
    return atom(env, "ok");
}

static ERL_NIF_TERM fm_call(cnif_env *env, int argc, const ERL_NIF_TERM argv[])
{
    (void)argc;
    return fm_call_as(env, argv, "call");
}
CNIF_EXPORT_RAW(fm_call, 2)

static ERL_NIF_TERM fm_call_dirty(cnif_env *env, int argc, const ERL_NIF_TERM argv[])
{
    (void)argc;
    return fm_call_as(env, argv, "call_dirty");
}
CNIF_EXPORT_RAW_FLAGS(fm_call_dirty, 2, CNIF_DIRTY_CPU)

/* --- Encoding: a user encoder --------------------------------------------------- */

/* Encoded as the atom ok, unless its encoder fails as kind says. */
typedef struct fm_out {
    fm_kind kind;
    const char *where;
} fm_out;

static ERL_NIF_TERM cnif_encode_fm_out(cnif_env *env, fm_out out)
{
    fm_fault(env, out.kind, out.where);
    return atom(env, "ok");
}

static fm_out fm_encode(cnif_env *env, fm_kind kind)
{
    (void)env;
    return (fm_out){kind, "encode"};
}
CNIF_EXPORT(fm_encode, fm_out, fm_kind)

/* The error path: the value CNIF_RAISE raises is encoded in the encode
** phase too. */
static void fm_raise_encode(cnif_env *env, fm_kind kind)
{
    CNIF_RAISE(env, fm_out, ((fm_out){kind, "raise_encode"}));
}
CNIF_EXPORT(fm_raise_encode, void, fm_kind)

/* --- Cleanups --------------------------------------------------------------------- */

typedef struct fm_deferred {
    cnif_env *env;
    fm_kind kind;
    const char *where;
} fm_deferred;

static void fm_deferred_fault(void *arg)
{
    fm_deferred *d = arg;
    fm_fault(d->env, d->kind, d->where);
}

/* A cleanup that fails as kind says when the call ends. It keeps env for
** the kinds that need one: valid while the cleanup runs in the same call
** (the guard that registered it). */
static void fm_defer_fault(cnif_env *env, fm_kind kind, const char *where)
{
    fm_deferred *d = cnif_alloc(env, sizeof *d);
    d->env = strcmp(where, "yield_cancelled") == 0 ? NULL : env;
    d->kind = kind;
    d->where = where;
    cnif_defer(env, fm_deferred_fault, d);
}

static void fm_cleanup(cnif_env *env, fm_kind kind)
{
    fm_defer_fault(env, kind, "cleanup");
}
CNIF_EXPORT(fm_cleanup, void, fm_kind)

/* The error path: a cleanup that fails while the call already ends with a
** panic, a raise or a bad argument. */
static void fm_cleanup_after_panic(cnif_env *env, fm_kind kind)
{
    fm_defer_fault(env, kind, "cleanup_after_panic");
    cnif_panic(env, "the body panicked first"); /* site:first_panic */
}
CNIF_EXPORT(fm_cleanup_after_panic, void, fm_kind)

static void fm_cleanup_after_raise(cnif_env *env, fm_kind kind)
{
    fm_defer_fault(env, kind, "cleanup_after_raise");
    cnif_raise(env, atom(env, "raised_first"));
}
CNIF_EXPORT(fm_cleanup_after_raise, void, fm_kind)

static void fm_cleanup_after_badarg(cnif_env *env, fm_kind kind)
{
    fm_defer_fault(env, kind, "cleanup_after_badarg");
    cnif_raise_badarg(env, 1, "the body refused first");
}
CNIF_EXPORT(fm_cleanup_after_badarg, void, fm_kind)

/* --- Resource callbacks --------------------------------------------------------- */

/* Each callback fails as its own kind says; destroy may first register a
** cleanup (the failure is still the destroy callback's). */
typedef struct fm_res {
    fm_kind destroy, down, stop, dyncall;
    bool defer_first;
    int fds[2];
} fm_res;

static void nothing(void *arg)
{
    (void)arg;
}

static void fm_res_destroy(cnif_env *env, fm_res *r)
{
    if (r->defer_first)
        cnif_defer(env, nothing, NULL);
    fm_fault(env, r->destroy, r->defer_first ? "destroy_deferring" : "destroy");
}

static void fm_res_down(cnif_env *env, fm_res *r, cnif_pid pid, ErlNifMonitor mon)
{
    (void)pid, (void)mon;
    fm_fault(env, r->down, "down");
}

static void fm_res_stop(cnif_env *env, fm_res *r, ErlNifEvent event, bool direct)
{
    (void)event, (void)direct;
    close(r->fds[0]);
    close(r->fds[1]);
    fm_fault(env, r->stop, "stop");
}

static void fm_res_dyncall(cnif_env *env, fm_res *r, void *call_data)
{
    (void)call_data;
    fm_fault(env, r->dyncall, "dyncall");
}
/* One line: a callback's failure is located at this macro's line, which
** gcc and clang give differently for a macro call over several lines. */
#define FM_RES_CALLBACKS                                                      \
    .destroy = fm_res_destroy, .down = fm_res_down, .stop = fm_res_stop,      \
    .dyncall = fm_res_dyncall
CNIF_DEFINE_RESOURCE(fm_res, FM_RES_CALLBACKS)

/* A resource whose destructor fails as kind says, once it is dropped. */
static cnif_res_fm_res fm_destroy(cnif_env *env, fm_kind kind, bool defer_first)
{
    fm_res *r = cnif_resource_new(env, fm_res);
    r->destroy = kind;
    r->defer_first = defer_first;
    return r;
}
CNIF_EXPORT(fm_destroy, cnif_res_fm_res, fm_kind, bool)

/* A resource monitoring pid, whose down callback fails as kind says. */
static cnif_res_fm_res fm_down(cnif_env *env, fm_kind kind, cnif_pid pid)
{
    fm_res *r = cnif_resource_new(env, fm_res);
    ErlNifMonitor mon;
    r->down = kind;
    CNIF_ASSERT(env, cnif_resource_monitor(env, r, &pid, &mon) == 0);
    return r;
}
CNIF_EXPORT(fm_down, cnif_res_fm_res, fm_kind, cnif_pid)

/* Select on a pipe, then stop: the stop callback fails as kind says. */
static void fm_stop(cnif_env *env, fm_kind kind)
{
    fm_res *r = cnif_resource_new(env, fm_res);
    ERL_NIF_TERM ref = enif_make_ref(cnif_nif_env(env));
    r->stop = kind;
    CNIF_ASSERT(env, pipe(r->fds) == 0);
    cnif_select(env, r->fds[0], CNIF_SELECT_READ, r, ref);
    cnif_select(env, r->fds[0], CNIF_SELECT_STOP, r, ref);
}
CNIF_EXPORT(fm_stop, void, fm_kind)

/* A dynamic call to a resource of this very library, whose dyncall
** callback fails as kind says; returns what cnif_resource_call did. */
static bool fm_dyncall(cnif_env *env, fm_kind kind)
{
    fm_res *r = cnif_resource_new(env, fm_res);
    r->dyncall = kind;
    return cnif_resource_call(env, "fault_matrix_nif", "fm_res",
                              cnif_encode_cnif_res_fm_res(env, r), NULL);
}
CNIF_EXPORT(fm_dyncall, bool, fm_kind)

/* --- Threaded jobs -------------------------------------------------------------- */

static void fm_job_pool(cnif_env *env, fm_kind kind)
{
    fm_fault(env, kind, "job_pool");
}
CNIF_EXPORT_THREADED(fm_job_pool, void, fm_kind)

static void fm_job_thread(cnif_env *env, fm_kind kind)
{
    fm_fault(env, kind, "job_thread");
}
CNIF_EXPORT_THREAD(fm_job_thread, void, fm_kind)

static fm_out fm_job_encode(cnif_env *env, fm_kind kind)
{
    (void)env;
    return (fm_out){kind, "job_encode"};
}
CNIF_EXPORT_THREADED(fm_job_encode, fm_out, fm_kind)

static void fm_job_cleanup(cnif_env *env, fm_kind kind)
{
    fm_defer_fault(env, kind, "job_cleanup");
}
CNIF_EXPORT_THREADED(fm_job_cleanup, void, fm_kind)

/* --- Yielding calls ------------------------------------------------------------- */

/* Where a yielding call fails: in init, in its first slice, in its second
** (after yielding once), in encoding its result, or in a cleanup that runs
** when its caller was killed between slices. */
typedef enum fm_at { AT_INIT, AT_FIRST, AT_LATER, AT_ENCODE, AT_CANCELLED } fm_at;
static const cnif_enum_entry fm_at_atoms[] = {
    {AT_INIT, "init"},     {AT_FIRST, "first"},         {AT_LATER, "later"},
    {AT_ENCODE, "encode"}, {AT_CANCELLED, "cancelled"}, {0, NULL}};
CNIF_DEFINE_ENUM(fm_at, fm_at_atoms)

typedef struct fm_ystate {
    fm_at at;
    fm_kind kind;
    cnif_pid notify;
    int64_t slices;
} fm_ystate;

static void fm_yield_init(cnif_env *env, fm_ystate *s, fm_at at, fm_kind kind,
                          cnif_pid notify)
{
    s->at = at;
    s->kind = kind;
    s->notify = notify;
    /* This cleanup runs in whatever guard ends the call (a later slice, or
    ** the destructor of the call's state): it must not keep env, and fails
    ** with a NULL one. */
    if (at == AT_CANCELLED)
        fm_defer_fault(env, kind, "yield_cancelled");
    if (at == AT_INIT)
        fm_fault(env, kind, "yield_init");
}

/* A cancelled call tells notify mid_way in slice 2 and yields until its
** caller is killed. */
static bool fm_yield_step(cnif_env *env, fm_ystate *s, fm_out *out)
{
    s->slices++;
    if (s->at == AT_FIRST)
        fm_fault(env, s->kind, "yield_first");
    if (s->at == AT_LATER && s->slices == 2)
        fm_fault(env, s->kind, "yield_later");
    if (s->at == AT_CANCELLED && s->slices == 2)
        cnif_send(env, &s->notify, NULL, atom(env, "mid_way"));
    if ((s->at == AT_LATER && s->slices < 2) || s->at == AT_CANCELLED) {
        cnif_timeslice_consume(env, 100);
        return false;
    }
    *out = (fm_out){s->at == AT_ENCODE ? s->kind : FM_NONE, "yield_encode"};
    return true;
}
CNIF_EXPORT_YIELDING(fm_yield, fm_out, fm_ystate, fm_at, fm_kind, cnif_pid)

/* --- cnif_try ----------------------------------------------------------------------- */

static ERL_NIF_TERM fm_try_inner(cnif_env *inner, void *kind)
{
    fm_fault(inner, *(fm_kind *)kind, "try_body");
    return atom(inner, "ok");
}

/* {returned, Value} or {caught, Exception}: the call itself goes on. */
static cnif_term fm_try(cnif_env *env, fm_kind kind)
{
    ERL_NIF_TERM result;
    bool returned = cnif_try(env, fm_try_inner, &kind, &result);
    return enif_make_tuple2(cnif_nif_env(env),
                            atom(env, returned ? "returned" : "caught"), result);
}
CNIF_EXPORT(fm_try, cnif_term, fm_kind)

CNIF_MODULE(fault_matrix_nif, NULL, NULL, NULL)
