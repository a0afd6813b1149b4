/* fault_nif.c -- every kind of fault in every phase, for fault_tests. The
** barrier is armed by the module's load options (test/fault_nif.erl).
**
** A kind is an atom: null_read, ro_write, abort, bus, div_zero, trap or
** recursion; or wild_read, a read of an address no page can have; or
** guard_write, a write below the stack that is not an overflow. The code
** that faults is built without sanitizers: under UBSan a division by zero
** or a NULL read would be reported (and aborted) before the hardware ever
** faulted. */
#define _GNU_SOURCE /* pthread_getattr_np */
#include <cnif.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NO_SANITIZE __attribute__((noinline, no_sanitize("address", "undefined")))

typedef enum kind {
    NULL_READ, RO_WRITE, ABORT, BUS, DIV_ZERO, TRAP, RECURSION, WILD_READ,
    GUARD_WRITE, HARMLESS
} kind;
static const char *const kind_names[] = {"null_read", "ro_write",  "abort",
                                         "bus",       "div_zero",  "trap",
                                         "recursion", "wild_read", "guard_write",
                                         "harmless"};

/* A page that cannot be written, and a page of a file past its end. */
static void *read_only_page, *past_eof_page;
static volatile int *volatile null_pointer;
static volatile int one = 1, zero, sink;

NO_SANITIZE static int fault_null_read(void) { return *null_pointer; }
NO_SANITIZE static int fault_ro_write(void) { *(volatile int *)read_only_page = 1; return 0; }
NO_SANITIZE static int fault_bus(void) { return *(volatile int *)past_eof_page; }
/* Not canonical on x86-64: a general protection fault, with no address. */
static volatile uintptr_t wild = (uintptr_t)0xdead000000001000u;
NO_SANITIZE static int fault_wild_read(void) { return *(volatile int *)wild; }
/* A write into the guard page below this thread's stack from a shallow
** frame, as a buffer underflow makes: the address is where an overflow
** faults, but the stack pointer is not. */
NO_SANITIZE static int fault_guard_write(void)
{
    pthread_attr_t attr;
    void *low = NULL;
    size_t size = 0, guard = 0;
    if (pthread_getattr_np(pthread_self(), &attr) != 0)
        return 0;
    pthread_attr_getstack(&attr, &low, &size);
    pthread_attr_getguardsize(&attr, &guard);
    pthread_attr_destroy(&attr);
    if (guard > 0) /* with no guard page, what is below may be mapped */
        ((volatile char *)low)[-64] = 1;
    return 0;
}
NO_SANITIZE static int fault_div_zero(void) { return sink = one / zero; }
NO_SANITIZE static int fault_trap(void) { __builtin_trap(); }
NO_SANITIZE static int fault_recursion(volatile char *from, size_t depth)
{
    volatile char frame[512];
    frame[0] = from ? from[0] : 1;
    return depth ? fault_recursion(frame, depth - 1) + frame[0] : 0;
}

static int fault(kind k)
{
    switch (k) {
    case NULL_READ: return fault_null_read();
    case RO_WRITE: return fault_ro_write();
    case ABORT: abort();
    case BUS: return fault_bus();
    case DIV_ZERO: return fault_div_zero();
    case TRAP: return fault_trap();
    case RECURSION: return fault_recursion(NULL, SIZE_MAX);
    case WILD_READ: return fault_wild_read();
    case GUARD_WRITE: return fault_guard_write();
    case HARMLESS: break;
    }
    return 0;
}

static bool cnif_decode_kind(cnif_env *env, ERL_NIF_TERM term, kind *out)
{
    char name[16];
    if (enif_get_atom(cnif_nif_env(env), term, name, sizeof name, ERL_NIF_LATIN1) > 0)
        for (kind k = NULL_READ; k <= HARMLESS; k++)
            if (strcmp(name, kind_names[k]) == 0) {
                *out = k;
                return true;
            }
    return cnif_decode_fail(env, term, "a fault kind");
}

static ERL_NIF_TERM cnif_encode_kind(cnif_env *env, kind k)
{
    return enif_make_atom(cnif_nif_env(env), kind_names[k]);
}

/* A kind that faults in its decoder, and one that faults in its encoder. */
typedef kind decode_fault;
static bool cnif_decode_decode_fault(cnif_env *env, ERL_NIF_TERM term, decode_fault *out)
{
    return cnif_decode_kind(env, term, out) && (fault(*out), true);
}

typedef kind encode_fault;
static ERL_NIF_TERM cnif_encode_encode_fault(cnif_env *env, encode_fault k)
{
    fault(k);
    return cnif_encode_kind(env, k);
}

/* --- The phases of a call ------------------------------------------------ */
static kind in_decode(cnif_env *env, decode_fault k) { (void)env; return k; }
CNIF_EXPORT(in_decode, kind, decode_fault)

static kind in_call(cnif_env *env, kind k) { (void)env; fault(k); return k; }
CNIF_EXPORT(in_call, kind, kind)

static encode_fault in_encode(cnif_env *env, kind k) { (void)env; return k; }
CNIF_EXPORT(in_encode, encode_fault, kind)

static void cleanup_fault(void *arg) { fault((kind)(intptr_t)arg); }
static kind in_cleanup(cnif_env *env, kind k)
{
    cnif_defer(env, cleanup_fault, (void *)(intptr_t)k);
    return k;
}
CNIF_EXPORT(in_cleanup, kind, kind)

static kind in_dirty(cnif_env *env, kind k) { (void)env; fault(k); return k; }
CNIF_EXPORT_FLAGS(in_dirty, CNIF_DIRTY_CPU, kind, kind)

/* A fault inside a cnif_try is the call's, not the try's to catch. */
static ERL_NIF_TERM try_body(cnif_env *env, void *arg)
{
    fault(*(kind *)arg);
    return cnif_encode_kind(env, HARMLESS);
}
static kind in_try(cnif_env *env, kind k)
{
    ERL_NIF_TERM result;
    cnif_try(env, try_body, &k, &result);
    return HARMLESS;
}
CNIF_EXPORT(in_try, kind, kind)

/* A threaded NIF: the body faults on its pool thread. */
static kind in_job(cnif_env *env, kind k) { (void)env; fault(k); return k; }
CNIF_EXPORT_THREADED(in_job, kind, kind)

/* A yielding NIF whose second step faults. */
typedef struct { kind k; int steps; } yield_state;
static void in_yield_init(cnif_env *env, yield_state *s, kind k)
{
    (void)env;
    s->k = k;
}
static bool in_yield_step(cnif_env *env, yield_state *s, kind *result)
{
    (void)env;
    if (s->steps++ == 1)
        fault(s->k);
    *result = s->k;
    return s->steps > 2;
}
CNIF_EXPORT_YIELDING(in_yield, kind, yield_state, kind)

/* --- Callbacks ------------------------------------------------------------ */
typedef struct { kind on_destroy, on_down; } trap_res;
static void trap_destroy(cnif_env *env, trap_res *r) { (void)env; fault(r->on_destroy); }
static void trap_down(cnif_env *env, trap_res *r, cnif_pid pid, ErlNifMonitor mon)
{
    (void)env, (void)pid, (void)mon;
    fault(r->on_down);
}
CNIF_DEFINE_RESOURCE(trap_res, .destroy = trap_destroy, .down = trap_down)

/* A resource that faults when it is collected. */
static cnif_res_trap_res in_destroy(cnif_env *env, kind k)
{
    trap_res *r = cnif_resource_new(env, trap_res);
    r->on_destroy = k;
    r->on_down = HARMLESS;
    return r;
}
CNIF_EXPORT(in_destroy, cnif_res_trap_res, kind)

/* A resource that faults when Pid, which it monitors, goes down. */
static cnif_res_trap_res in_down(cnif_env *env, kind k, cnif_pid pid)
{
    trap_res *r = cnif_resource_new(env, trap_res);
    r->on_destroy = HARMLESS;
    r->on_down = k;
    CNIF_ASSERT(env, cnif_resource_monitor(env, r, &pid, NULL) == 0);
    return r;
}
CNIF_EXPORT(in_down, cnif_res_trap_res, kind, cnif_pid)

/* A resource that faults when it is collected, released last on a thread
** cnif did not start, once this call has given up its own reference. */
static void *release_later(void *arg)
{
    usleep(50 * 1000);
    enif_release_resource(arg);
    return NULL;
}
static bool in_foreign_destroy(cnif_env *env, kind k)
{
    trap_res *r = cnif_resource_new(env, trap_res);
    pthread_t t;
    r->on_destroy = k;
    r->on_down = HARMLESS;
    enif_keep_resource(r);
    CNIF_ASSERT(env, pthread_create(&t, NULL, release_later, r) == 0);
    pthread_detach(t);
    return true;
}
CNIF_EXPORT(in_foreign_destroy, bool, kind)

/* --- Deep input ------------------------------------------------------------
** A user codec that recurses on nested 1-tuples with no bound of its own:
** {{{...{leaf}...}}} deep enough overflows the stack. */
typedef int64_t depth;
NO_SANITIZE static bool cnif_decode_depth(cnif_env *env, ERL_NIF_TERM term, depth *out)
{
    const ERL_NIF_TERM *items;
    int arity;
    volatile char frame[128];
    frame[0] = 0;
    if (!enif_get_tuple(cnif_nif_env(env), term, &arity, &items) || arity != 1) {
        *out = frame[0];
        return true;
    }
    if (!cnif_decode_depth(env, items[0], out))
        return false;
    *out += 1 + frame[0];
    return true;
}
static int64_t nest_depth(cnif_env *env, depth d) { (void)env; return d; }
CNIF_EXPORT(nest_depth, int64_t, depth)

/* --- Addresses the tests expect ------------------------------------------ */
static cnif_term fault_pages(cnif_env *env)
{
    ErlNifEnv *nif = cnif_nif_env(env);
    return enif_make_tuple2(nif, enif_make_uint64(nif, (uintptr_t)read_only_page),
                            enif_make_uint64(nif, (uintptr_t)past_eof_page));
}
CNIF_EXPORT(fault_pages, cnif_term)

/* Bytes the C heap has handed out and not had back, in every arena: the
** soak's measure of a leak, which the resident size is too noisy to be. */
static int64_t malloc_in_use(cnif_env *env)
{
    struct mallinfo2 heap = mallinfo2();
    (void)env;
    return (int64_t)(heap.uordblks + heap.hblkhd);
}
CNIF_EXPORT(malloc_in_use, int64_t)

/* --- Faults that are not the barrier's ---------------------------------- */

/* A corrupt term (a boxed pointer to address 16) handed to erts: the
** fault is inside erts, and the VM must die of it. */
static int64_t erts_fault(cnif_env *env)
{
    ErlNifSInt64 v = 0;
    enif_get_int64(cnif_nif_env(env), (ERL_NIF_TERM)0x12, &v);
    return v;
}
CNIF_EXPORT(erts_fault, int64_t)

/* A NULL read on a thread cnif did not start. */
static void *foreign_thread(void *arg) { (void)arg; fault(NULL_READ); return NULL; }
static bool foreign_fault(cnif_env *env)
{
    pthread_t t;
    (void)env;
    pthread_create(&t, NULL, foreign_thread, NULL);
    pthread_join(t, NULL);
    return true;
}
CNIF_EXPORT(foreign_fault, bool)

/* A SIGSEGV this process sends itself with sigqueue: a signal sent, not
** a fault, and not by abort or raise. */
static bool queue_segv(cnif_env *env)
{
    union sigval value = {0};
    (void)env;
    return sigqueue(getpid(), SIGSEGV, value) == 0;
}
CNIF_EXPORT(queue_segv, bool)

/* A fault, then another in a cleanup of the same call: the second one
** comes while the first is being handled. */
static kind twice(cnif_env *env, kind first, kind second)
{
    cnif_defer(env, cleanup_fault, (void *)(intptr_t)second);
    fault(first);
    return first;
}
CNIF_EXPORT(twice, kind, kind, kind)

/* --- Load ------------------------------------------------------------------
** The load or upgrade hook faults as the file fault_next_load in
** $TEST_PRIV says, if it is there, or fails if it says "fail"; the unload
** hook as fault_next_unload says. A file, since a library unloaded and
** loaded again keeps no state of its own, and os:putenv/2 is not seen by
** getenv(3). */
static const char *load_order(const char *which, char *name, size_t size)
{
    const char *dir = getenv("TEST_PRIV");
    char path[4096];
    FILE *file;

    name[0] = '\0';
    if (!dir || snprintf(path, sizeof path, "%s/%s", dir, which) >= (int)sizeof path
        || !(file = fopen(path, "r")))
        return name;
    if (!fgets(name, (int)size, file))
        name[0] = '\0';
    fclose(file);
    return name;
}

/* The fault a kind's name asks for, if it names one. */
static void fault_as(const char *name)
{
    for (kind k = NULL_READ; k < HARMLESS; k++)
        if (strcmp(name, kind_names[k]) == 0)
            fault(k);
}

static int load(cnif_env *env, void **priv, ERL_NIF_TERM info)
{
    long page = sysconf(_SC_PAGESIZE);
    char order[16];
    FILE *file;
    (void)priv, (void)info;
    if (!read_only_page) {
        read_only_page = mmap(NULL, (size_t)page, PROT_READ,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        file = tmpfile(); /* empty: its first page is past its end */
        past_eof_page = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED,
                             fileno(file), 0);
        CNIF_ASSERT(env, read_only_page != MAP_FAILED && past_eof_page != MAP_FAILED);
    }
    fault_as(load_order("fault_next_load", order, sizeof order));
    return strcmp(order, "fail") == 0;
}

static void unload(cnif_env *env, void *priv)
{
    char order[16];
    (void)env, (void)priv;
    fault_as(load_order("fault_next_unload", order, sizeof order));
}

static int upgrade(cnif_env *env, void **priv, void **old_priv, ERL_NIF_TERM info)
{
    (void)old_priv;
    return load(env, priv, info);
}

CNIF_MODULE(fault_nif, load, upgrade, unload)
