/* res_nif.c -- the NIFs behind resource_tests.erl: typed resources and
** their type checks, the call's own reference, keep and release, resource
** binaries, monitors, select on a pipe, the target of res_caller.c's
** dynamic calls, and a callback of each kind that panics on request.
**
** Callbacks report what they did to the process registered as res_observer
** (res_observer.h). Every deliberate panic starts on a line marked with a
** comment "site:NAME"; the tests expect that line as its location. */
#define _GNU_SOURCE /* pipe2 */
#include "res_dyncall.h"
#include "res_observer.h"
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static ERL_NIF_TERM atom(cnif_env *env, const char *name)
{
    return enif_make_atom(cnif_nif_env(env), name);
}

/* --- counter: a plain typed resource ------------------------------------ */

/* What a counter's callbacks do besides their work: report its
** destruction to res_observer (observed, destroy_panics), or fail (panic,
** or raise, which a callback cannot do). Quiet counters report nothing, so
** the garbage of other tests, whenever it is collected, sends nothing. */
typedef enum { QUIET, OBSERVED, DESTROY_PANICS, DESTROY_RAISES, DYNCALL_PANICS } mode;
static const cnif_enum_entry mode_atoms[] = {
    {QUIET, "quiet"}, {OBSERVED, "observed"}, {DESTROY_PANICS, "destroy_panics"},
    {DESTROY_RAISES, "destroy_raises"}, {DYNCALL_PANICS, "dyncall_panics"},
    {0, NULL}};
CNIF_DEFINE_ENUM(mode, mode_atoms)

typedef struct counter {
    int64_t value;
    mode mode;
} counter;

static void counter_destroy(cnif_env *env, counter *c)
{
    if (c->mode == OBSERVED || c->mode == DESTROY_PANICS)
        RES_OBSERVE(env, "counter_destroyed", c->value);
    if (c->mode == DESTROY_PANICS)
        cnif_panic(env, "cannot destroy counter %lld", /* site:destroy */
                   (long long)c->value);
    if (c->mode == DESTROY_RAISES)
        cnif_raise(env, atom(env, "destroy_raised"));
}

/* Called by res_caller.c through cnif_resource_call. */
static void counter_dyncall(cnif_env *env, counter *c, void *call_data)
{
    res_dyncall_args *args = call_data;
    if (c->mode == DYNCALL_PANICS)
        cnif_panic(env, "counter %lld refuses to add %lld", /* site:dyncall */
                   (long long)c->value, (long long)args->add);
    c->value += args->add;
    args->result = c->value;
}
CNIF_DEFINE_RESOURCE(counter, .destroy = counter_destroy,
                     .dyncall = counter_dyncall)
CNIF_DEFINE_ARRAY(cnif_res_counter)

static cnif_res_counter counter_new(cnif_env *env, int64_t value, mode m)
{
    counter *c = cnif_resource_new(env, counter);
    c->value = value;
    c->mode = m;
    return c;
}
CNIF_EXPORT(counter_new, cnif_res_counter, int64_t, mode)

static int64_t counter_get(cnif_env *env, cnif_res_counter c)
{
    (void)env;
    return c->value;
}
CNIF_EXPORT(counter_get, int64_t, cnif_res_counter)

/* Two resource arguments, and a list of them: where a wrong one is. */
static int64_t counter_sum(cnif_env *env, cnif_res_counter a, cnif_res_counter b)
{
    (void)env;
    return a->value + b->value;
}
CNIF_EXPORT(counter_sum, int64_t, cnif_res_counter, cnif_res_counter)

static int64_t counter_total(cnif_env *env, cnif_array_cnif_res_counter cs)
{
    int64_t total = 0;
    (void)env;
    for (size_t i = 0; i < cs.len; i++)
        total += cs.items[i]->value;
    return total;
}
CNIF_EXPORT(counter_total, int64_t, cnif_array_cnif_res_counter)

/* A counter the call makes and drops: the call's reference is its only one. */
static void counter_forget(cnif_env *env, int64_t value)
{
    counter_new(env, value, OBSERVED);
}
CNIF_EXPORT(counter_forget, void, int64_t)

/* A counter made just before a panic is not leaked. */
static void counter_new_then_panic(cnif_env *env, int64_t value)
{
    counter_new(env, value, OBSERVED);
    cnif_panic(env, "panicked holding counter %lld", (long long)value); /* site:holding */
}
CNIF_EXPORT(counter_new_then_panic, void, int64_t)

static cnif_res_counter counter_null(cnif_env *env)
{
    (void)env;
    return NULL;
}
CNIF_EXPORT(counter_null, cnif_res_counter)

/* A counter has no .down: monitoring from one is a panic. */
static int counter_monitor(cnif_env *env, cnif_res_counter c, cnif_pid pid)
{
    ErlNifMonitor mon;
    return cnif_resource_monitor(env, c, &pid, &mon);
}
CNIF_EXPORT(counter_monitor, int, cnif_res_counter, cnif_pid)

/* One counter held from C beyond the call that kept it. */
static counter *_Atomic kept;

static void counter_keep(cnif_env *env, cnif_res_counter c)
{
    CNIF_ASSERT(env, atomic_load(&kept) == NULL);
    cnif_resource_keep(c);
    atomic_store(&kept, c);
}
CNIF_EXPORT(counter_keep, void, cnif_res_counter)

static cnif_res_counter counter_kept(cnif_env *env)
{
    counter *c = atomic_load(&kept);
    CNIF_ASSERT(env, c != NULL);
    return c;
}
CNIF_EXPORT(counter_kept, cnif_res_counter)

static void counter_release(cnif_env *env)
{
    counter *c = atomic_exchange(&kept, NULL);
    CNIF_ASSERT(env, c != NULL); /* site:release */
    cnif_resource_release(c);
}
CNIF_EXPORT(counter_release, void)

/* --- gauge: a resource type with no callbacks at all -------------------- */

typedef struct gauge {
    double level;
} gauge;
CNIF_DEFINE_RESOURCE(gauge)

static cnif_res_gauge gauge_new(cnif_env *env, double level)
{
    gauge *g = cnif_resource_new(env, gauge);
    g->level = level;
    return g;
}
CNIF_EXPORT(gauge_new, cnif_res_gauge, double)

static double gauge_get(cnif_env *env, cnif_res_gauge g)
{
    (void)env;
    return g->level;
}
CNIF_EXPORT(gauge_get, double, cnif_res_gauge)

/* --- cell: many small resources, counted ------------------------------- */

static atomic_long cells_made, cells_destroyed;

typedef struct cell {
    int64_t n;
} cell;

static void cell_destroy(cnif_env *env, cell *c)
{
    (void)env;
    (void)c;
    atomic_fetch_add(&cells_destroyed, 1);
}
CNIF_DEFINE_RESOURCE(cell, .destroy = cell_destroy)

static cnif_res_cell cell_new(cnif_env *env, int64_t n)
{
    cell *c = cnif_resource_new(env, cell);
    c->n = n;
    atomic_fetch_add(&cells_made, 1);
    return c;
}
CNIF_EXPORT(cell_new, cnif_res_cell, int64_t)

/* {Made, Destroyed}: every cell ever made and destroyed. */
static cnif_term cell_stats(cnif_env *env)
{
    ErlNifEnv *nif = cnif_nif_env(env);
    return enif_make_tuple2(nif, enif_make_long(nif, atomic_load(&cells_made)),
                            enif_make_long(nif, atomic_load(&cells_destroyed)));
}
CNIF_EXPORT(cell_stats, cnif_term)

/* --- blob: bytes inside a resource, lent out as binaries ----------------- */

typedef struct blob {
    int64_t id;
    bool observed;
    size_t size;
    unsigned char bytes[32];
} blob;

static void blob_destroy(cnif_env *env, blob *b)
{
    if (b->observed)
        RES_OBSERVE(env, "blob_destroyed", b->id);
}
CNIF_DEFINE_RESOURCE(blob, .destroy = blob_destroy)

static cnif_res_blob blob_new(cnif_env *env, int64_t id, bool observed)
{
    blob *b = cnif_resource_new(env, blob);
    b->id = id;
    b->observed = observed;
    b->size = (size_t)snprintf((char *)b->bytes, sizeof b->bytes, "blob %lld",
                               (long long)id);
    return b;
}
CNIF_EXPORT(blob_new, cnif_res_blob, int64_t, bool)

/* The blob's bytes as a binary, without copying them. */
static cnif_bin blob_binary(cnif_env *env, cnif_res_blob b)
{
    return cnif_resource_binary(env, b, b->bytes, b->size);
}
CNIF_EXPORT(blob_binary, cnif_bin, cnif_res_blob)

/* Overwrite one byte in place. Binaries are immutable to Erlang; this
** exists only to show that a resource binary shares the blob's bytes. */
static void blob_poke(cnif_env *env, cnif_res_blob b, size_t index, uint8_t byte)
{
    CNIF_ASSERT(env, index < b->size);
    b->bytes[index] = byte;
}
CNIF_EXPORT(blob_poke, void, cnif_res_blob, size_t, uint8_t)

/* --- watch: a resource that monitors processes -------------------------- */

#define WATCH_SLOTS 4

typedef struct watch {
    int64_t id;
    bool panic_on_down;
    int used;
    ErlNifMonitor mons[WATCH_SLOTS];
} watch;

/* Sends {down, Id, Pid, Slot}: which monitor of which watch fired. */
static void watch_down(cnif_env *env, watch *w, cnif_pid pid, ErlNifMonitor mon)
{
    ErlNifEnv *msg = enif_alloc_env();
    int slot = 0;
    while (slot < w->used && enif_compare_monitors(&w->mons[slot], &mon) != 0)
        slot++;
    res_send(env, msg,
             enif_make_tuple4(msg, enif_make_atom(msg, "down"),
                              enif_make_int64(msg, w->id), enif_make_pid(msg, &pid),
                              enif_make_int(msg, slot < w->used ? slot : -1)));
    if (w->panic_on_down)
        cnif_panic(env, "watch %lld saw slot %d go down", /* site:down */
                   (long long)w->id, slot);
}
CNIF_DEFINE_RESOURCE(watch, .down = watch_down)

static cnif_res_watch watch_new(cnif_env *env, int64_t id, bool panic_on_down)
{
    watch *w = cnif_resource_new(env, watch);
    w->id = id;
    w->panic_on_down = panic_on_down;
    return w;
}
CNIF_EXPORT(watch_new, cnif_res_watch, int64_t, bool)

/* {Rc, Slot}: cnif_resource_monitor's result and where the monitor is kept. */
static cnif_term watch_monitor(cnif_env *env, cnif_res_watch w, cnif_pid pid)
{
    ErlNifEnv *nif = cnif_nif_env(env);
    int rc;
    CNIF_ASSERT(env, w->used < WATCH_SLOTS);
    rc = cnif_resource_monitor(env, w, &pid, &w->mons[w->used]);
    return enif_make_tuple2(nif, enif_make_int(nif, rc),
                            enif_make_int(nif, w->used++));
}
CNIF_EXPORT(watch_monitor, cnif_term, cnif_res_watch, cnif_pid)

static bool watch_demonitor(cnif_env *env, cnif_res_watch w, int slot)
{
    CNIF_ASSERT(env, slot >= 0 && slot < w->used);
    return cnif_resource_demonitor(env, w, &w->mons[slot]);
}
CNIF_EXPORT(watch_demonitor, bool, cnif_res_watch, int)

/* --- fdpair: a pipe watched with select --------------------------------- */

typedef enum { END_READ, END_WRITE } pipe_end;
static const cnif_enum_entry end_atoms[] = {
    {END_READ, "read"}, {END_WRITE, "write"}, {0, NULL}};
CNIF_DEFINE_ENUM(pipe_end, end_atoms)

typedef struct fdpair {
    int fd[2]; /* [END_READ], [END_WRITE]; -1 once closed */
    bool panic_on_stop;
} fdpair;

/* Select is done with an fd: close it here, and only here. Sends
** {stopped, End, Direct}. */
static void fdpair_stop(cnif_env *env, fdpair *p, ErlNifEvent event, bool direct)
{
    ErlNifEnv *msg = enif_alloc_env();
    pipe_end end = event == p->fd[END_READ] ? END_READ : END_WRITE;

    close(event);
    p->fd[end] = -1;
    res_send(env, msg,
             enif_make_tuple3(msg, enif_make_atom(msg, "stopped"),
                              enif_make_atom(msg, end_atoms[end].name),
                              enif_make_atom(msg, direct ? "true" : "false")));
    if (p->panic_on_stop)
        cnif_panic(env, "stop of the %s end panicked after closing it", /* site:stop */
                   end_atoms[end].name);
}

/* Ends never handed to select are closed here. */
static void fdpair_destroy(cnif_env *env, fdpair *p)
{
    (void)env;
    for (int end = END_READ; end <= END_WRITE; end++)
        if (p->fd[end] >= 0)
            close(p->fd[end]);
}
CNIF_DEFINE_RESOURCE(fdpair, .destroy = fdpair_destroy, .stop = fdpair_stop)

static cnif_res_fdpair fdpair_new(cnif_env *env, bool panic_on_stop)
{
    fdpair *p = cnif_resource_new(env, fdpair);
    p->fd[END_READ] = p->fd[END_WRITE] = -1;
    p->panic_on_stop = panic_on_stop;
    if (pipe2(p->fd, O_NONBLOCK | O_CLOEXEC) != 0)
        cnif_panic(env, "pipe2: %s", strerror(errno));
    return p;
}
CNIF_EXPORT(fdpair_new, cnif_res_fdpair, bool)

/* Watch the read end for input or the write end for room, as the end is
** for; the message carries ref. */
static int fdpair_select(cnif_env *env, cnif_res_fdpair p, pipe_end end,
                         cnif_term ref)
{
    return cnif_select(env, p->fd[end],
                       end == END_READ ? CNIF_SELECT_READ : CNIF_SELECT_WRITE,
                       p, ref);
}
CNIF_EXPORT(fdpair_select, int, cnif_res_fdpair, pipe_end, cnif_term)

static int fdpair_stop_select(cnif_env *env, cnif_res_fdpair p, pipe_end end)
{
    return cnif_select(env, p->fd[end], CNIF_SELECT_STOP, p,
                       atom(env, "undefined"));
}
CNIF_EXPORT(fdpair_stop_select, int, cnif_res_fdpair, pipe_end)

static ERL_NIF_TERM errno_term(cnif_env *env, int err)
{
    ErlNifEnv *nif = cnif_nif_env(env);
    return enif_make_tuple2(nif, atom(env, "error"),
                            atom(env, err == EAGAIN  ? "eagain"
                                      : err == EPIPE ? "epipe"
                                      : err == EBADF ? "ebadf"
                                                     : "other"));
}

/* The number of bytes written, or {error, Reason}. */
static cnif_term fdpair_write(cnif_env *env, cnif_res_fdpair p, cnif_bin bytes)
{
    ssize_t n = write(p->fd[END_WRITE], bytes.data, bytes.size);
    return n < 0 ? errno_term(env, errno) : enif_make_int64(cnif_nif_env(env), n);
}
CNIF_EXPORT(fdpair_write, cnif_term, cnif_res_fdpair, cnif_bin)

/* Up to 64 bytes, eof, or {error, Reason}. */
static cnif_term fdpair_read(cnif_env *env, cnif_res_fdpair p)
{
    char buf[64];
    ssize_t n = read(p->fd[END_READ], buf, sizeof buf);
    if (n < 0)
        return errno_term(env, errno);
    if (n == 0)
        return atom(env, "eof");
    return cnif_bin_copy(env, buf, (size_t)n).term;
}
CNIF_EXPORT(fdpair_read, cnif_term, cnif_res_fdpair)

/* {ReadOpen, WriteOpen} */
static cnif_term fdpair_open(cnif_env *env, cnif_res_fdpair p)
{
    return enif_make_tuple2(cnif_nif_env(env),
                            atom(env, p->fd[END_READ] >= 0 ? "true" : "false"),
                            atom(env, p->fd[END_WRITE] >= 0 ? "true" : "false"));
}
CNIF_EXPORT(fdpair_open, cnif_term, cnif_res_fdpair)

CNIF_MODULE(res_nif, NULL, NULL, NULL)
