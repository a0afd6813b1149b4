/* iso_nif.c -- the NIFs behind isolated_tests.erl, run by the workers of an
** isolated module: a plain call, every way a worker can die (in the
** decoder, the body and the encoder), a hang, a leak, a resource whose
** destruction is counted, a threaded NIF and a message to the caller.
**
** A fate is an atom: live, segv, abort, exit (exit(3)) or kill (SIGKILL
** from the OS, as the OOM killer sends it). */
#include <cnif.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum fate { LIVE, SEGV, ABORT, EXIT, KILL } fate;
static const char *const fate_names[] = {"live", "segv", "abort", "exit", "kill", NULL};

static volatile int *volatile nowhere;

static void meet(fate f)
{
    switch (f) {
    case LIVE: return;
    case SEGV: *nowhere = 1; return;
    case ABORT: abort();
    case EXIT: exit(3);
    case KILL: kill(getpid(), SIGKILL); pause(); return;
    }
}

static bool cnif_decode_fate(cnif_env *env, ERL_NIF_TERM term, fate *out)
{
    char name[8];
    if (enif_get_atom(cnif_nif_env(env), term, name, sizeof name, ERL_NIF_LATIN1) > 0)
        for (int f = LIVE; fate_names[f]; f++)
            if (strcmp(name, fate_names[f]) == 0) {
                *out = (fate)f;
                return true;
            }
    return cnif_decode_fail(env, term, "a fate");
}

static ERL_NIF_TERM cnif_encode_fate(cnif_env *env, fate f)
{
    return enif_make_atom(cnif_nif_env(env), fate_names[f]);
}

/* A fate met in its decoder, and one met in its encoder. */
typedef fate decode_fate;
static bool cnif_decode_decode_fate(cnif_env *env, ERL_NIF_TERM term, decode_fate *out)
{
    return cnif_decode_fate(env, term, out) && (meet(*out), true);
}

typedef fate encode_fate;
static ERL_NIF_TERM cnif_encode_encode_fate(cnif_env *env, encode_fate f)
{
    meet(f);
    return cnif_encode_fate(env, f);
}

static int64_t add(cnif_env *env, int64_t a, int64_t b)
{
    (void)env;
    return a + b;
}
CNIF_EXPORT(add, int64_t, int64_t, int64_t)

static fate in_decode(cnif_env *env, decode_fate f) { (void)env; return f; }
CNIF_EXPORT(in_decode, fate, decode_fate)

static fate in_call(cnif_env *env, fate f) { (void)env; meet(f); return f; }
CNIF_EXPORT(in_call, fate, fate)

static encode_fate in_encode(cnif_env *env, fate f) { (void)env; return f; }
CNIF_EXPORT(in_encode, encode_fate, fate)

/* Never returns: a hang that only a kill ends. */
static void hang(cnif_env *env)
{
    (void)env;
    for (;;)
        pause();
}
CNIF_EXPORT(hang, void)

/* Allocates and touches Mb MiB that are never freed. The blocks are
** chained from a global, so the compiler cannot drop the writes. */
static void *volatile leaked;
static int64_t leak(cnif_env *env, int64_t mb)
{
    char *p = malloc((size_t)mb << 20);
    CNIF_ASSERT(env, p != NULL);
    memset(p, 1, (size_t)mb << 20);
    *(void **)p = leaked;
    leaked = p;
    return mb;
}
CNIF_EXPORT(leak, int64_t, int64_t)

/* The same, one MiB a millisecond: a leak that a memory cap, which is read
** every 50 ms, stops midway. */
static int64_t leak_slowly(cnif_env *env, int64_t mb)
{
    for (int64_t i = 0; i < mb; i++) {
        leak(env, 1);
        usleep(1000);
    }
    return mb;
}
CNIF_EXPORT(leak_slowly, int64_t, int64_t)

/* Sleeps Ms milliseconds: keeps its worker busy. */
static void nap(cnif_env *env, int64_t ms)
{
    (void)env;
    usleep((useconds_t)ms * 1000);
}
CNIF_EXPORT_FLAGS(nap, CNIF_DIRTY_IO, void, int64_t)

/* The pid of the worker's OS process. */
static int64_t os_pid(cnif_env *env)
{
    (void)env;
    return (int64_t)getpid();
}
CNIF_EXPORT(os_pid, int64_t)

/* Panics: an error that costs no worker. */
static void panics(cnif_env *env)
{
    cnif_panic(env, "panicked on purpose"); /* site:panics */
}
CNIF_EXPORT(panics, void)

/* --- A resource whose live instances are counted ------------------------ */
typedef struct box {
    int64_t value;
} box;

/* Live boxes, and live boxes of value MARKED or more: a test counts the
** boxes it made, whatever other tests' garbage does meanwhile. */
#define MARKED 1000000
static int64_t boxes_alive, marked_alive;

static void box_destroy(cnif_env *env, box *b)
{
    (void)env;
    __atomic_sub_fetch(&boxes_alive, 1, __ATOMIC_SEQ_CST);
    if (b->value >= MARKED)
        __atomic_sub_fetch(&marked_alive, 1, __ATOMIC_SEQ_CST);
}
CNIF_DEFINE_RESOURCE(box, .destroy = box_destroy)

static cnif_res_box box_new(cnif_env *env, int64_t value)
{
    box *b = cnif_resource_new(env, box);
    b->value = value;
    __atomic_add_fetch(&boxes_alive, 1, __ATOMIC_SEQ_CST);
    if (value >= MARKED)
        __atomic_add_fetch(&marked_alive, 1, __ATOMIC_SEQ_CST);
    return b;
}
CNIF_EXPORT(box_new, cnif_res_box, int64_t)

static int64_t box_get(cnif_env *env, cnif_res_box b) { (void)env; return b->value; }
CNIF_EXPORT(box_get, int64_t, cnif_res_box)

static int64_t box_add(cnif_env *env, cnif_res_box a, cnif_res_box b)
{
    (void)env;
    return a->value + b->value;
}
CNIF_EXPORT(box_add, int64_t, cnif_res_box, cnif_res_box)

static int64_t boxes(cnif_env *env)
{
    (void)env;
    return __atomic_load_n(&boxes_alive, __ATOMIC_SEQ_CST);
}
CNIF_EXPORT(boxes, int64_t)

/* The live marked boxes of b's worker: a call with a box runs there. */
static int64_t boxes_of(cnif_env *env, cnif_res_box b)
{
    (void)env;
    (void)b;
    return __atomic_load_n(&marked_alive, __ATOMIC_SEQ_CST);
}
CNIF_EXPORT(boxes_of, int64_t, cnif_res_box)

/* Sleeps Ms milliseconds on b's worker: keeps that worker busy. */
static void box_nap(cnif_env *env, cnif_res_box b, int64_t ms)
{
    (void)b;
    nap(env, ms);
}
CNIF_EXPORT_FLAGS(box_nap, CNIF_DIRTY_IO, void, cnif_res_box, int64_t)

/* Its argument, whatever it holds: resources in tuples, maps and lists. */
static cnif_term echo(cnif_env *env, cnif_term t) { (void)env; return t; }
CNIF_EXPORT(echo, cnif_term, cnif_term)

/* The OS pid of b's worker. */
static int64_t os_pid_of(cnif_env *env, cnif_res_box b)
{
    (void)env;
    (void)b;
    return (int64_t)getpid();
}
CNIF_EXPORT(os_pid_of, int64_t, cnif_res_box)

/* --- Messages ------------------------------------------------------------ */
/* A threaded NIF: answers {Ref, A * B} later, from a pool thread. */
static int64_t mul_later(cnif_env *env, int64_t a, int64_t b)
{
    (void)env;
    return a * b;
}
CNIF_EXPORT_THREADED(mul_later, int64_t, int64_t, int64_t)

/* Sends {greeting, Text} to the caller, then returns ok. */
static void greet(cnif_env *env, cnif_bin text)
{
    ErlNifEnv *msg_env = enif_alloc_env();
    ERL_NIF_TERM msg;
    ErlNifPid self;

    CNIF_ASSERT(env, msg_env != NULL);
    enif_self(cnif_nif_env(env), &self);
    msg = enif_make_tuple2(msg_env, enif_make_atom(msg_env, "greeting"),
                           enif_make_copy(msg_env, cnif_encode_cnif_bin(env, text)));
    enif_send(cnif_nif_env(env), &self, msg_env, msg);
    enif_free_env(msg_env);
}
CNIF_EXPORT(greet, void, cnif_bin)

/* Sends Term to the caller (cnif_send, from the call's own env), then
** returns ok. */
static void tell(cnif_env *env, cnif_term term)
{
    cnif_pid self;

    enif_self(cnif_nif_env(env), &self);
    CNIF_ASSERT(env, cnif_send(env, &self, NULL, term));
}
CNIF_EXPORT(tell, void, cnif_term)

/* iso_remote.c, iso_pool.c, iso_mem.c and iso_local.c build this file for
** modules of those names, which list its NIFs from test/iso_nifs.hrl. */
#ifndef ISO_MODULE
#define ISO_MODULE iso_nif
#endif
#define ISO_MODULE_OF(name) CNIF_MODULE(name, NULL, NULL, NULL)
ISO_MODULE_OF(ISO_MODULE)
