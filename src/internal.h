/* internal.h -- the private side of cnif_env, shared by the library's
** source files. Not installed. */
#ifndef CNIF_INTERNAL_H
#define CNIF_INTERNAL_H

#include "cnif.h"
#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>

/* The platform's own headers (platform.c, symbol.c). scripts/amalgamate
** hoists this block whole, as it is. */
#if defined(__APPLE__)
#include <mach-o/dyld.h>
#include <mach-o/getsect.h>
#else
#include <elf.h>
#include <link.h>
#endif

#if defined(__GLIBC__) && !defined(__USE_GNU)
/* glibc declares these GNU extensions only if _GNU_SOURCE comes before the
** first system header, which the library cannot ensure: the amalgamated
** header (scripts/amalgamate) includes it after a user's own headers, and
** hides what it declares unless told otherwise. */
typedef struct {
    const char *dli_fname;
    void *dli_fbase;
    const char *dli_sname;
    void *dli_saddr;
} Dl_info;
#define CNIF__LIBC __attribute__((visibility("default")))
CNIF__LIBC int dladdr(const void *address, Dl_info *info);
#endif

#ifndef CNIF_MAX_DEPTH
#define CNIF_MAX_DEPTH 512
#endif
#ifndef CNIF_MESSAGE_MAX
#define CNIF_MESSAGE_MAX 512
#endif
#ifndef CNIF_YIELD_SLICE_US
#define CNIF_YIELD_SLICE_US 200
#endif
#ifndef CNIF_PATH_MAX
#define CNIF_PATH_MAX 32
#endif

/* Every panic the library raises is on behalf of the NIF that called it:
** it is reported at that NIF's export site when the call has one (see
** cnif__panic_record in boundary.c), else at the library's own line. */
cnif__panic_fn cnif__panic_for_caller_from(const char *file, int line);
#undef cnif_panic
#define cnif_panic (cnif__panic_for_caller_from(__FILE__, __LINE__) CNIF__PANIC_ARGS

/* The guard's jump. __builtin_setjmp saves three words and is inline;
** glibc's _setjmp goes through the PLT and mangles every saved pointer,
** which bench/ measured as most of the guard's cost (1.2x a raw call
** against 1.06x). Sanitizer builds keep _setjmp/_longjmp: ASan intercepts
** longjmp to unpoison the frames it skips, and knows nothing of the
** builtin. clang has the builtin on x86 only: elsewhere (AArch64 among
** them) it is the libc pair too. CNIF_USE_LIBC_SETJMP forces the libc
** pair. */
#if defined(__SANITIZE_ADDRESS__)
#define CNIF_USE_LIBC_SETJMP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CNIF_USE_LIBC_SETJMP 1
#endif
#endif
#if defined(__clang__) && !defined(__x86_64__) && !defined(__i386__)
#define CNIF_USE_LIBC_SETJMP 1
#endif

#ifdef CNIF_USE_LIBC_SETJMP
typedef jmp_buf cnif__jmp_buf;
#define CNIF__SETJMP(buf) _setjmp(buf)
#define CNIF__LONGJMP(buf) _longjmp(buf, 1)
#else
typedef void *cnif__jmp_buf[5];
#define CNIF__SETJMP(buf) __builtin_setjmp(buf)
#define CNIF__LONGJMP(buf) __builtin_longjmp(buf, 1)
#endif

/* Set env's jump: true on the way in, false when a panic or a fault lands
** back there. The fault barrier's handler unwinds only to an armed jump:
** between a guard's start and here, and once its cleanups are over, the
** jump is unset or points into a frame that has returned. */
#define CNIF__ARM(env) (CNIF__SETJMP((env)->jump) == 0 && ((env)->jump_armed = true))

/* How a guarded call ended. A fault caught by the barrier outranks every
** other outcome, then a panic; among the others the first one stands.
** CNIF__IDLE marks no call at all: the bottom of a thread's guard chain
** once the fault barrier has set the thread up (barrier.c). */
typedef enum cnif__outcome {
    CNIF__RETURNED,
    CNIF__RAISED,
    CNIF__BADARG,
    CNIF__PANICKED,
    CNIF__CRASHED,
    CNIF__IDLE
} cnif__outcome;

/* A fault the barrier caught (barrier.c). */
typedef struct cnif__fault {
    int signal;          /* SIGSEGV, SIGBUS, SIGFPE, SIGILL or SIGABRT */
    bool stack_overflow; /* a SIGSEGV just below the thread's stack */
    bool has_address;    /* the kernel reported the faulting address */
    bool claimed;        /* this fault quarantines the library */
    bool settled;        /* see cnif__fault_settle */
    uintptr_t address;
    uintptr_t pc;        /* the faulting instruction, 0 if unknown */
    cnif_phase phase;
    const cnif__site *site; /* the NIF or type, as head.site was */
} cnif__fault;

struct cnif__chunk;
struct cnif__defer;

/* Call-scoped memory and cleanups: a bump pointer into the newest chunk,
** and the cleanups to run. A guard owns one; a yielding call or a job
** carries it from one guard to the next (cnif__arena_take). */
typedef struct cnif__arena {
    char *bump, *bump_end;
    struct cnif__chunk *chunks;
    struct cnif__defer *defers;
    unsigned locks; /* scoped locks held (scope.c): no other thread may
                       run the cleanups that release them */
} cnif__arena;

/* One step of a bad-argument path: "[index]" or ".key". */
typedef struct cnif__segment {
    const char *key; /* NULL for an index */
    size_t index;
} cnif__segment;

struct cnif_env {
    struct cnif__env_head head; /* must stay first: see cnif_nif_env */
    cnif_env *outer;            /* the enclosing guard on this thread */
    cnif__jmp_buf jump;         /* where a panic or raise unwinds to */

    /* From arena to outcome, all zero when a guard starts: one memset,
    ** a few wide stores while it stays within 80 bytes (beyond that gcc
    ** makes it a rep stos, slower to start than the call it guards). */
    cnif__arena arena;
    struct cnif__yield *yield; /* the state of a yielding call's slice */
    struct cnif__job *job;     /* the job a pool thread runs, or NULL */
    /* One-of decoding (codec_union.c): how many alternatives are being
    ** tried around the current decoder, and what one-ofs inside them
    ** decoded, so that trying the next alternative never decodes the same
    ** part of the term twice. */
    struct cnif__one_of_memo *one_of_memo;
    unsigned one_of_trying;
    unsigned depth;
    /* The latest decode failure: expected/got, or a free-form reason. */
    const char *expected;

    cnif__outcome outcome; /* CNIF__RETURNED until the call fails */
    bool jump_armed;       /* jump is set, in a frame still live */
    bool has_reason;
    bool path_truncated;
    unsigned path_len;
    ErlNifTime slice_start; /* when a yielding call's slice began (ns) */

    /* Where the exception or bad-argument report is built. It is head.nif
    ** except while a threaded NIF decodes its arguments from the job's own
    ** env: the report must still be a term of the calling process. */
    ErlNifEnv *reply_nif;
    int argc; /* the NIF's arity, for cnif_raise_badarg; 0 with no caller */

    /* What the exception is built from, written only once the call fails:
    ** a call that returns never touches these. */
    cnif__fault fault; /* CNIF__CRASHED; message then names the function */
    ERL_NIF_TERM raised;
    cnif_phase panic_phase;
    const char *panic_file;
    int panic_line;
    /* Where the cnif_panic or cnif_raise_badarg now running is written
    ** (cnif.h says why they are names), and whether it is the library's
    ** own (internal.h): set on the thread's innermost guard when one runs,
    ** read at once by the function it names. Not thread-local: see
    ** cnif__current. */
    const char *from_file;
    int from_line;
    bool from_library;
    int badarg_argno; /* 1-based */
    ERL_NIF_TERM got;
    const char *got_text; /* says what got is, when that reads better than
                             printing it: "a %Other{} struct" */
    cnif__segment path[CNIF_PATH_MAX];
    char message[CNIF_MESSAGE_MAX]; /* panic message or decode reason */
};

/* A recorded decode failure, kept aside while other alternatives are
** tried and put back if it is the one to report (badarg.c). */
typedef struct cnif__failure {
    const char *expected, *got_text, *reason;
    ERL_NIF_TERM got;
    cnif__segment *path;
    unsigned path_len;
    bool path_truncated;
} cnif__failure;
void cnif__failure_save(cnif_env *env, cnif__failure *failure);
void cnif__failure_restore(cnif_env *env, const cnif__failure *failure);

/* Enter and leave a guard (boundary.c). cnif__guard_finish runs the
** cleanups and releases the call's memory; cnif__exception builds the term
** for a call that did not return (never fails: badarg at worst). */
void cnif__guard_begin(cnif_env *env, ErlNifEnv *nif, cnif_phase phase);
cnif__outcome cnif__guard_finish(cnif_env *env);
ERL_NIF_TERM cnif__exception(cnif_env *env);
void cnif__guard_release(cnif_env *env);

/* Unwind to env's guard, and hand a crash in a nested guard to the one
** outside it (boundary.c). */
_Noreturn void cnif__unwind(cnif_env *env);
_Noreturn void cnif__fault_propagate(cnif_env *env);

/* A cleanup of cnif's own, run even after a fault (arena.c). */
void cnif__defer_own(cnif_env *env, void (*fn)(void *arg), void *arg);

/* Whether env's own cleanups include fn(arg); and the same, taking the
** newest such cleanup off the list, where it will not run (arena.c). */
bool cnif__defer_pending(cnif_env *env, void (*fn)(void *), const void *arg);
bool cnif__defer_cancel(cnif_env *env, void (*fn)(void *), const void *arg);

/* Panic if the call holds a scoped lock now that what comes next, named
** by next, would run its cleanups on another thread (scope.c). */
void cnif__locks_check_handoff(cnif_env *env, const char *next);

/* size bytes of call-scoped memory, or NULL if there is no memory, for a
** caller that has a way on without it (arena.c). */
void *cnif__alloc_or_null(cnif_env *env, size_t size);

/* Run the deferred cleanups, each under its own guard, and free the
** call-scoped memory (arena.c). */
void cnif__arena_cleanup(cnif_env *env);
void cnif__arena_free(cnif_env *env);

/* Move an arena out of *from, leaving it empty: ownership is always in
** exactly one place, so nothing is freed twice or never. */
cnif__arena cnif__arena_take(cnif__arena *from);

/* A spare chunk of call memory (spare.c), of the smallest size (arena.c):
** taken, or NULL if there is none at hand; given back, or false if it is
** not kept (the caller frees it then). Each loaded instance of the
** library opens the spares, and the last one's unload closes them,
** freeing every one kept. */
void *cnif__spare_take(void);
bool cnif__spare_give(void *chunk);
void cnif__spare_open(void);
void cnif__spare_close(void);

/* term, in the env the call's exception or report is made in: a threaded
** NIF decodes in its job's env, which the call's cleanups free before the
** exception is raised. */
static inline ERL_NIF_TERM cnif__for_reply(cnif_env *env, ERL_NIF_TERM term)
{
    return env->reply_nif == env->head.nif
               ? term
               : enif_make_copy(env->reply_nif, term);
}

/* Record a failure whose "got" is described in words rather than printed
** (badarg.c). */
bool cnif__decode_fail_got(cnif_env *env, ERL_NIF_TERM term,
                           const char *expected, const char *got_text);

/* An iolist's bytes flattened into call-scoped memory as *out (no term);
** false, recording nothing, for a term that is not an iolist. */
bool cnif__iolist_flatten(cnif_env *env, ERL_NIF_TERM term, cnif_bin *out);

/* An "expected" text listing alternatives (an enum's atoms, a union's
** tags, a one-of's alternatives), each once, in call-scoped memory. The
** items stay apart, split by CNIF__OR, until the report writes them as
** "a, b or c": a one-of whose alternative is itself a list lists that
** list's items, never a list inside a list (badarg.c). */
#define CNIF__OR "\x1f"
const char *cnif__expected_list(cnif_env *env, const char *const *items,
                                size_t n);

/* printf into env->message, truncated at a UTF-8 character boundary; and
** the same as a bad argument's free-form reason (badarg.c). */
void cnif__vformat(cnif_env *env, const char *fmt, va_list ap);
void cnif__reason_v(cnif_env *env, const char *fmt, va_list ap);

/* A binary term holding a copy of text, or 0 if the VM cannot make one
** (boundary.c). */
ERL_NIF_TERM cnif__text(ErlNifEnv *nif, const char *text, size_t size);

/* The bad-argument report term (badarg.c), from atoms made at load by
** cnif__badarg_atoms_init: returned to a generated wrapper,
**     {'$cnif_badarg', Secret, ArgNo, Path, Reason};
** otherwise (a job's reply, a cnif_try's catch) the public
**     {badarg, #{argno => ArgNo, path => Path, reason => Reason}}.
** Secret is the integer the wrapper's module passed in its load info
** (see erlang/cnif.erl and module.c), kept by cnif__badarg_secret_set: a
** value the NIF returns cannot pass for a report without it. */
void cnif__badarg_atoms_init(ErlNifEnv *nif);
ERL_NIF_TERM cnif__badarg_term(cnif_env *env, bool to_wrapper);
void cnif__badarg_secret_set(uint64_t secret);

/* The existing atom named by UTF-8 text; false if there is none. Never
** creates one (codec_atom.c). */
bool cnif__atom_existing(ErlNifEnv *nif, const char *name, ERL_NIF_TERM *atom);

/* Make the atoms in cnif__atoms (module.c). */
void cnif__atoms_init(ErlNifEnv *nif);

/* Run body(env, arg) under a guard of its own; on failure call
** on_failure(failed_env, what, phase) before the guard is released: phase
** is the one the guard began in (the callback's), which a panic in one of
** its cleanups no longer shows. Returns whether body returned normally
** (callback.c). */
typedef void cnif__failure_fn(cnif_env *failed, const char *what,
                              cnif_phase phase);
bool cnif__run_guarded(ErlNifEnv *nif, cnif_phase phase, const char *what,
                       void (*body)(cnif_env *env, void *arg), void *arg,
                       cnif__failure_fn *on_failure);

/* Open the resource types of cnif's own machinery, at load and upgrade
** (yield.c, job.c), and stop the job threads at unload (job.c). */
void cnif__yield_open(cnif_env *env);
void cnif__job_open(cnif_env *env);
void cnif__job_close(void);

/* The module's private data as the job's caller saw it: a job's env is
** no NIF call's, and erl_nif's enif_priv_data crashes on it (job.c). */
void *cnif__job_priv(const struct cnif__job *job);

/* The innermost guard of this thread, or its idle bottom (CNIF__IDLE), or
** NULL. initial-exec TLS avoids a __tls_get_addr call on every NIF
** invocation, but it makes glibc place all of the library's thread-local
** variables in the small static TLS reserve it keeps for dlopen'ed
** libraries, which bounds how many cnif libraries one VM loads (cnif.h,
** section 3, "How many"): keep this the library's only thread-local
** variable. */
extern _Thread_local cnif_env *cnif__current
    __attribute__((tls_model("initial-exec")));

/* Whether this thread is inside a guard, and whether env is one of its
** guards (boundary.c). */
bool cnif__guarded(void);
bool cnif__on_this_thread(const cnif_env *env);

/* The fault barrier (barrier.c). Its gate is read before every guarded
** call: off, that one test is all the barrier costs. A call that
** cnif__barrier_passes goes ahead at once: the barrier is off, or armed,
** the library healthy and the thread set up. Otherwise
** cnif__barrier_enter first sets the thread up (its alternate signal
** stack), then says whether the library is healthy; a quarantined one
** runs no more of its code: a call raises cnif__quarantine_term, a
** callback is skipped (cnif__barrier_skipped counts destructors). */
enum { CNIF__GATE_OFF, CNIF__GATE_OPEN, CNIF__GATE_SHUT };
extern atomic_int cnif__barrier_gate;
static inline bool cnif__barrier_passes(void)
{
    int gate = atomic_load_explicit(&cnif__barrier_gate, memory_order_relaxed);
    return gate == CNIF__GATE_OFF || (gate == CNIF__GATE_OPEN && cnif__current);
}
bool cnif__barrier_enter(bool job_thread);
void cnif__barrier_skipped(cnif_phase callback);
ERL_NIF_TERM cnif__quarantine_term(ErlNifEnv *nif);

/* A load or upgrade: cnif__barrier_open arms the barrier (or not) for its
** hooks, as the load options say (NULL, or why it cannot be armed); once
** the hooks are done, cnif__barrier_commit(true) lifts a quarantine (the
** library is loaded again), and cnif__barrier_commit(false), for a load
** that failed, puts back the barrier of the code that goes on running. A
** load counts from its open until cnif__barrier_close (its unload) or its
** failed commit; the last one takes the handlers back. */
const char *cnif__barrier_open(bool barrier, bool quarantine);
void cnif__barrier_commit(bool loaded);
void cnif__barrier_close(void);

/* A job thread ends: it gives back what the barrier set it up with. */
void cnif__barrier_thread_end(void);

/* Once a fault has landed back in its guard: name the faulting function
** (in env->message), and if the fault claimed the quarantine, publish it
** and report it once. Idempotent. */
void cnif__fault_settle(cnif_env *env);

/* Whether the user's cleanups of a call are abandoned rather than run on
** state a fault may have corrupted: the call crashed, or the library is
** quarantined (quarantine on). cnif's own still give back what the call
** took from the VM (its memory, binaries, resources, iterators, job), so
** that a fault leaks nothing. */
bool cnif__fault_abandons(const cnif_env *env);

/* What a fault looks like (fault_term.c), from atoms made at load by
** cnif__fault_atoms_init: the crash as {nif_crashed, Map}, made in nif; the
** map of a fault (0 if the VM cannot make it), function being its name or
** ""; the nif_quarantined term; and the crash in words, "crashed: segv at
** address 0x0 in parse+0x1c". */
void cnif__fault_atoms_init(ErlNifEnv *nif);
ERL_NIF_TERM cnif__fault_term(cnif_env *env, ErlNifEnv *nif);
ERL_NIF_TERM cnif__fault_map(ErlNifEnv *nif, const cnif__fault *fault,
                             const char *function);
ERL_NIF_TERM cnif__quarantine_term_make(ErlNifEnv *nif,
                                        const cnif__fault *fault,
                                        const char *function,
                                        unsigned long skipped);
void cnif__fault_describe(const cnif_env *env, char *buf, size_t size);

/* "function+0xoff" for the instruction at pc, from the symbol table of
** the object it is in, into buf; false if it cannot be named (symbol.c). */
bool cnif__symbol_name(uintptr_t pc, char *buf, size_t size);

/* What the barrier asks of the operating system (platform.c). The
** instruction and the stack pointer a signal interrupted, 0 where the
** architecture's context is not known; whether a call sent the signal
** (kill, raise, abort) rather than an instruction raising it; whether
** this process sent it to itself (abort, raise); whether si_addr is an
** address. The lowest address of the calling thread's stack (0 if
** unknown); up to max ranges of the program's (erts's) executable code,
** their count; a name for a thread. */
typedef struct cnif__range {
    uintptr_t start, end;
} cnif__range;
void cnif__context_read(const void *context, uintptr_t *pc, uintptr_t *sp);
bool cnif__signal_sent(const siginfo_t *info);
bool cnif__signal_raised(const siginfo_t *info);
bool cnif__signal_addressed(const siginfo_t *info);
uintptr_t cnif__stack_low(void);
int cnif__program_code(cnif__range *ranges, int max);
void cnif__thread_name(pthread_t thread, const char *name);

/* Whether term is an instance of a resource type the library opened
** (resource.c). */
bool cnif__resource_is_open(ErlNifEnv *nif, ERL_NIF_TERM term);

/* What a library loaded in a worker of an isolated module adds (worker.c):
** the NIF '$cnif_resources'/1, and death with the node that started it. */
extern const ErlNifFunc cnif__worker_func;
void cnif__worker_die_with_parent(void);

/* The NIFs erts is given, with the worker's if worker: false if the table
** they need could not be made. True unless such a failure lost NIFs that
** the sections did not hold. The defined types' setup, in order.
** (registry.c) */
bool cnif__registry_nifs(const cnif_module *m, bool worker, ErlNifFunc **funcs,
                         int *count);
bool cnif__registry_complete(void);
const char *cnif__registry_missing(ErlNifEnv *nif, ERL_NIF_TERM declared,
                                   const ErlNifFunc *funcs, int count,
                                   char *text, size_t size);
void cnif__registry_types_init(const cnif_module *m, cnif_env *env);

/* A dlopen reference on the shared object this code is in; NULL if it
** cannot be had (module.c). */
void *cnif__library_open(void);

/* The Erlang module this library belongs to, and a phase's name
** (module.c). */
const char *cnif__module_name(void);
const char *cnif__phase_name(cnif_phase phase);

/* Reporting failures that have no caller (report.c): a callback's to the
** cnif_reporter process (stderr if none runs); a load or upgrade hook's to
** the loading process, which the generated on_load turns into the
** {error, {load, Message}} of erlang:load_nif; a quarantine to the
** reporter, once. */
cnif__failure_fn cnif__report_callback_failure, cnif__report_load_failure;
void cnif__report_load_text(ErlNifEnv *nif, const char *text);
void cnif__report_load_rc(ErlNifEnv *nif, const char *what, int rc);
void cnif__report_quarantine(cnif_env *crashed);

/* A map of n keys and values, false if a key repeats; safe on any thread,
** unlike enif_make_map_from_arrays (codec_term.c). */
bool cnif__map_make(ErlNifEnv *nif, const ERL_NIF_TERM *keys,
                    const ERL_NIF_TERM *values, size_t n, ERL_NIF_TERM *out);

#endif
