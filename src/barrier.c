/* barrier.c -- the fault barrier (L5). In a library that armed it, a
** hardware fault (SIGSEGV, SIGBUS, SIGFPE, SIGILL), an abort() or a stack
** overflow inside a guarded call lands back in that call's guard as the
** outcome CNIF__CRASHED: the call raises error:{nif_crashed, ...} (or, with
** no caller, the fault is reported), and the library is quarantined until
** it is loaded again.
**
** A signal handler can tell a fault of ours from any other only by where
** it happened: this thread is inside a live guard of this library, the
** library armed the barrier, and the faulting instruction is not erts's
** own. A corrupt term handed to enif_* faults inside erts, whose state may
** be broken mid-update; that is not ours to resume from. A stack overflow
** is ours whatever the instruction: the guarded call made the stack deep.
** Anything else goes on to the handler installed before ours, or to the
** default action, and the VM dies exactly as it would have without the
** barrier. A fault inside the handler itself cannot re-enter it: the five
** signals are blocked while it runs, and the kernel kills a thread that
** faults with its fault signal blocked.
**
** Each shared object linked with cnif has its own copy of this file, so
** its own handler, chained to whichever was there before. While the
** handlers are installed, the library holds a reference on itself: erts
** must not unmap the code they point to. The last unload takes them back
** and drops the reference, unless another handler was installed over
** them since: that one may chain to ours, so the library stays mapped for
** good. */
#include "internal.h"
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Room for the handler and for a chained one (ASan's wants ~32 KiB). */
#define CNIF__ALTSTACK_SIZE (64 * 1024)
/* How far below a thread's stack a fault still counts as overflowing it:
** a large frame can step over the guard page. */
#define CNIF__OVERFLOW_REACH (1024 * 1024)
/* How far below its stack pointer the x86-64 ABI lets a function write. */
#define CNIF__RED_ZONE 128

static const int cnif__signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
#define CNIF__SIGNAL_COUNT (int)(sizeof cnif__signals / sizeof *cnif__signals)

atomic_int cnif__barrier_gate;
static atomic_int cnif__quarantine_state; /* healthy, claimed, or published: */
enum { CNIF__HEALTHY, CNIF__CLAIMED, CNIF__QUARANTINED };

/* Whether the load armed the barrier; the gate says it to every call, and
** whether the library is quarantined. */
static bool cnif__armed;

static void cnif__gate_set(void)
{
    atomic_store(&cnif__barrier_gate,
                 !cnif__armed ? CNIF__GATE_OFF
                 : atomic_load(&cnif__quarantine_state) == CNIF__HEALTHY
                     ? CNIF__GATE_OPEN
                     : CNIF__GATE_SHUT);
}

static bool cnif__quarantine_on;
/* The fault that quarantined the library, and the function it named;
** written by the thread that claimed the quarantine, read once published. */
static cnif__fault cnif__quarantine_fault;
static char cnif__quarantine_function[CNIF_MESSAGE_MAX];
static atomic_ulong cnif__destructors_skipped;

/* Installed by the first load that arms the barrier; the loads of this
** mapping of the library that are live, and the library's reference on
** itself while the handlers are installed. */
static pthread_mutex_t cnif__install_lock = PTHREAD_MUTEX_INITIALIZER;
static bool cnif__installed;
static int cnif__loads;
static void *cnif__pin;
static struct sigaction cnif__chained[CNIF__SIGNAL_COUNT];

/* erts's own instructions: the executable segments of the program. */
static cnif__range cnif__erts_code[8];
static int cnif__erts_code_count;

/* A thread the barrier has set up. Its idle env is the bottom of the
** thread's guard chain, so a guard finds the thread from cnif__current
** alone: no thread-local storage beyond the one pointer cnif has. */
typedef struct cnif__thread {
    cnif_env idle;       /* outcome CNIF__IDLE; must stay first */
    uintptr_t stack_low; /* the lowest address of the thread's stack */
    void *altstack;      /* mapped here, NULL if the thread had its own */
    bool job_thread;     /* ends with cnif__barrier_thread_end */
    struct cnif__thread *next; /* in cnif__threads */
} cnif__thread;

/* Every thread set up, under cnif__install_lock. Job threads free their
** own as they end; the schedulers' are freed with the library's mapping
** (cnif__barrier_unmapped): until then its code may still run on them, a
** resource's destructor after the last unload, and find them. */
static cnif__thread *cnif__threads;

/* An alternate stack and the guard page below it. */
static size_t cnif__altstack_mapped(void)
{
    return CNIF__ALTSTACK_SIZE + (size_t)getpagesize();
}

static bool cnif__in_erts(uintptr_t pc)
{
    for (int i = 0; i < cnif__erts_code_count; i++)
        if (pc >= cnif__erts_code[i].start && pc < cnif__erts_code[i].end)
            return true;
    return false;
}

/* An overflow faults just below the stack, with the stack pointer moved
** down to the fault (a function writes at most CNIF__RED_ZONE below it).
** An ordinary fault on a mapping that lies just below the stack has the
** stack pointer still in the stack, above the guard page. An unknown
** stack pointer (0) leaves the address alone to decide. */
static bool cnif__stack_overflow(const cnif_env *env, uintptr_t address,
                                 uintptr_t sp)
{
    const cnif__thread *thread;
    while (env->outer)
        env = env->outer;
    if (env->outcome != CNIF__IDLE)
        return false; /* a thread the barrier has not set up */
    thread = (const cnif__thread *)env;
    return thread->stack_low
           && address < thread->stack_low + (uintptr_t)getpagesize()
           && address + CNIF__OVERFLOW_REACH >= thread->stack_low
           && sp <= address + CNIF__RED_ZONE;
}

/* Call the handler that was there before as the kernel would have: with
** its own mask over the one the signal interrupted, and just once if it
** asked to be reset. */
static void cnif__chain_call(int sig, struct sigaction *before,
                             siginfo_t *info, void *context)
{
    sigset_t mask = ((ucontext_t *)context)->uc_sigmask, now;
    struct sigaction called = *before;

    for (int s = 1; s < 65; s++)
        if (sigismember(&called.sa_mask, s) == 1)
            sigaddset(&mask, s);
    if (!(called.sa_flags & SA_NODEFER))
        sigaddset(&mask, sig);
    if (called.sa_flags & SA_RESETHAND)
        *before = (struct sigaction){.sa_handler = SIG_DFL};
    pthread_sigmask(SIG_SETMASK, &mask, &now);
    if (called.sa_flags & SA_SIGINFO)
        called.sa_sigaction(sig, info, context);
    else
        called.sa_handler(sig);
    pthread_sigmask(SIG_SETMASK, &now, NULL);
}

/* Not ours: on to the handler that was there before, or its default
** action, as if cnif had never installed one. */
static void cnif__chain(int sig, siginfo_t *info, void *context)
{
    int i = 0;
    while (cnif__signals[i] != sig)
        i++;
    struct sigaction *before = &cnif__chained[i];
    if (before->sa_flags & SA_SIGINFO) {
        cnif__chain_call(sig, before, info, context);
    } else if (before->sa_handler == SIG_IGN) {
        /* A sent signal is ignored, as before; a fault repeats on return,
        ** and the kernel kills a thread that ignores its own fault. */
        if (!cnif__signal_sent(info))
            sigaction(sig, before, NULL);
    } else if (before->sa_handler != SIG_DFL) {
        cnif__chain_call(sig, before, info, context);
    } else {
        /* A fault repeats by itself when the handler returns, now to the
        ** default action; a signal sent by a call (abort, raise) is sent
        ** again, and arrives as soon as the handler returns. */
        sigaction(sig, before, NULL);
        if (cnif__signal_sent(info))
            raise(sig);
    }
}

/* Handlers of this library running now, on any thread: the library must
** stay mapped while one is (see cnif__barrier_uninstall). */
static atomic_int cnif__handlers_running;

/* Unwinds to the call's guard if the fault is the call's; returns once it
** has been chained if not. */
static void cnif__fault_catch(int sig, siginfo_t *info, void *context)
{
    cnif_env *env = cnif__current;
    bool sent = cnif__signal_sent(info);
    uintptr_t pc = 0, sp = 0;
    bool overflow;
    int healthy = CNIF__HEALTHY;

    if (atomic_load_explicit(&cnif__barrier_gate, memory_order_relaxed)
            == CNIF__GATE_OFF
        || !env || env->outcome >= CNIF__CRASHED
        || !env->jump_armed) {
        cnif__chain(sig, info, context);
        return;
    }
    /* A signal sent is the call's only if this thread sent it to itself
    ** (abort, raise): one from another process or thread is not a fault. */
    if (sent && !cnif__signal_raised(info)) {
        cnif__chain(sig, info, context);
        return;
    }
    if (!sent)
        cnif__context_read(context, &pc, &sp);
    overflow = sig == SIGSEGV && !sent
               && cnif__stack_overflow(env, (uintptr_t)info->si_addr, sp);
    /* An instruction no one can place may be erts's: not ours. */
    if (!overflow && (cnif__in_erts(pc) || (!sent && !pc))) {
        cnif__chain(sig, info, context);
        return;
    }
    env->fault = (cnif__fault){
        .signal = sig,
        .stack_overflow = overflow,
        .has_address = cnif__signal_addressed(info),
        .address = (uintptr_t)info->si_addr,
        .pc = pc,
        .phase = env->head.phase,
        .site = env->head.site,
        .claimed = cnif__quarantine_on
                   && atomic_compare_exchange_strong(&cnif__quarantine_state,
                                                     &healthy, CNIF__CLAIMED),
    };
    env->outcome = CNIF__CRASHED;
    if (env->fault.claimed)
        atomic_store(&cnif__barrier_gate, CNIF__GATE_SHUT);
    /* __builtin_longjmp restores no signal mask: put back the one the
    ** fault interrupted, which unblocks the five. */
    pthread_sigmask(SIG_SETMASK, &((ucontext_t *)context)->uc_sigmask, NULL);
    atomic_fetch_sub(&cnif__handlers_running, 1);
    cnif__unwind(env);
}

static void cnif__fault_handler(int sig, siginfo_t *info, void *context)
{
    atomic_fetch_add(&cnif__handlers_running, 1);
    cnif__fault_catch(sig, info, context);
    atomic_fetch_sub(&cnif__handlers_running, 1);
}

/* The handlers and the library's reference on itself. NULL, or why the
** barrier cannot be armed. Called with cnif__install_lock held. */
static const char *cnif__barrier_install(void)
{
    struct sigaction action = {.sa_sigaction = cnif__fault_handler,
                               .sa_flags = SA_SIGINFO | SA_ONSTACK};

    if (cnif__installed)
        return NULL;
    cnif__pin = cnif__library_open();
    if (!cnif__pin)
        return "the fault barrier cannot keep the library in memory";
    if (!cnif__erts_code_count)
        cnif__erts_code_count = cnif__program_code(
            cnif__erts_code, sizeof cnif__erts_code / sizeof *cnif__erts_code);
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < CNIF__SIGNAL_COUNT; i++)
        sigaddset(&action.sa_mask, cnif__signals[i]);
    /* What ours chains to is known before ours can run. */
    for (int i = 0; i < CNIF__SIGNAL_COUNT; i++) {
        sigaction(cnif__signals[i], NULL, &cnif__chained[i]);
        sigaction(cnif__signals[i], &action, NULL);
    }
    cnif__installed = true;
    return NULL;
}

/* Forget a thread: its alternate stack too if it is this library's and
** the thread is the caller (no thread can take another's back). */
static void cnif__thread_forget(cnif__thread *thread, bool own)
{
    if (own && thread->altstack) {
        stack_t off = {.ss_flags = SS_DISABLE};
        sigaltstack(&off, NULL);
        munmap(thread->altstack, cnif__altstack_mapped());
    }
    enif_free(thread);
}

/* The last load is gone: take the handlers back if they are still the
** ones installed, and let the library go. Called with cnif__install_lock
** held. */
static void cnif__barrier_uninstall(void)
{
    struct sigaction now;

    for (int i = 0; i < CNIF__SIGNAL_COUNT; i++)
        if (sigaction(cnif__signals[i], NULL, &now) != 0
            || !(now.sa_flags & SA_SIGINFO)
            || now.sa_sigaction != cnif__fault_handler)
            return; /* another handler over ours: stay mapped for good */
    for (int i = 0; i < CNIF__SIGNAL_COUNT; i++)
        sigaction(cnif__signals[i], &cnif__chained[i], NULL);
    cnif__armed = false;
    cnif__gate_set();
    cnif__installed = false;
    /* A handler still running on another thread would return into code
    ** erts unmaps: then the reference is kept, and the library mapped. */
    if (atomic_load(&cnif__handlers_running) == 0)
        dlclose(cnif__pin);
    cnif__pin = NULL;
}

void cnif__barrier_close(void)
{
    pthread_mutex_lock(&cnif__install_lock);
    if (--cnif__loads == 0 && cnif__installed)
        cnif__barrier_uninstall();
    pthread_mutex_unlock(&cnif__install_lock);
}

/* The library is unmapped, or the process exits: no code of it runs on
** the threads it set up any more. A thread keeps its alternate stack (no
** thread can take another's back), which the next library to arm a
** barrier on it reuses. At exit, with loads live, nothing needs freeing. */
__attribute__((destructor)) static void cnif__barrier_unmapped(void)
{
    if (cnif__loads > 0)
        return;
    /* A job thread may outlive a process exit's destructors: its own
    ** end frees its record. */
    for (cnif__thread **link = &cnif__threads; *link;) {
        cnif__thread *thread = *link;
        if (thread->job_thread) {
            link = &thread->next;
        } else {
            *link = thread->next;
            cnif__thread_forget(thread, false);
        }
    }
}

void cnif__barrier_thread_end(void)
{
    cnif__thread *thread, **link;
    cnif_env *bottom = cnif__current;

    if (!bottom || bottom->outcome != CNIF__IDLE)
        return;
    thread = (cnif__thread *)bottom;
    pthread_mutex_lock(&cnif__install_lock);
    for (link = &cnif__threads; *link && *link != thread; link = &(*link)->next)
        ;
    if (*link)
        *link = thread->next;
    pthread_mutex_unlock(&cnif__install_lock);
    cnif__current = NULL;
    cnif__thread_forget(thread, true);
}

/* Give this thread its idle bottom, its stack's bounds and an alternate
** signal stack (a stack overflow leaves no room for the handler on the
** stack itself). A thread that already has an alternate stack keeps it.
** Only threads that live as long as the VM (schedulers) or tell the
** barrier when they end (cnif's job threads) are set up: any other
** thread would leave its stack behind. Without memory the thread goes on
** unprepared: every fault but an overflow is still caught, and the next
** call tries again. */
static void cnif__thread_setup(bool job_thread)
{
    cnif__thread *thread;
    size_t page = (size_t)getpagesize();
    stack_t now;

    if (!job_thread && enif_thread_type() == ERL_NIF_THR_UNDEFINED)
        return;
    thread = enif_alloc(sizeof *thread);
    if (!thread)
        return;
    memset(thread, 0, sizeof *thread);
    thread->idle.outcome = CNIF__IDLE;
    thread->job_thread = job_thread;
    thread->stack_low = cnif__stack_low();
    if (sigaltstack(NULL, &now) != 0 || (now.ss_flags & SS_DISABLE)
        || now.ss_size < CNIF__ALTSTACK_SIZE / 2) {
        /* A guard page below it: an overflow of the handler faults there. */
        void *map = mmap(NULL, cnif__altstack_mapped(),
                         PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                         -1, 0);
        stack_t alt = {.ss_sp = (char *)map + page,
                       .ss_size = CNIF__ALTSTACK_SIZE};
        if (map == MAP_FAILED) {
            enif_free(thread);
            return;
        }
        if (mprotect(map, page, PROT_NONE) != 0
            || sigaltstack(&alt, NULL) != 0) {
            munmap(map, cnif__altstack_mapped());
            enif_free(thread);
            return;
        }
        thread->altstack = map;
    }
    pthread_mutex_lock(&cnif__install_lock);
    thread->next = cnif__threads;
    cnif__threads = thread;
    pthread_mutex_unlock(&cnif__install_lock);
    cnif__current = &thread->idle;
}

bool cnif__barrier_enter(bool job_thread)
{
    if (!cnif__current)
        cnif__thread_setup(job_thread);
    return atomic_load(&cnif__quarantine_state) == CNIF__HEALTHY;
}

void cnif__barrier_skipped(cnif_phase callback)
{
    if (callback == CNIF_PHASE_DESTROY)
        atomic_fetch_add(&cnif__destructors_skipped, 1);
}

/* What the last load committed, for a load that fails to put back. */
static bool cnif__armed_before, cnif__quarantine_before;

const char *cnif__barrier_open(bool barrier, bool quarantine)
{
    const char *failure = NULL;

    pthread_mutex_lock(&cnif__install_lock);
    if (barrier)
        failure = cnif__barrier_install();
    if (!failure) {
        cnif__loads++;
        cnif__armed_before = cnif__armed;
        cnif__quarantine_before = cnif__quarantine_on;
        /* The hooks run under the barrier the new load asked for. */
        cnif__armed = barrier;
        cnif__quarantine_on = quarantine;
        cnif__gate_set();
    }
    pthread_mutex_unlock(&cnif__install_lock);
    return failure;
}

void cnif__barrier_commit(bool loaded)
{
    int published = CNIF__QUARANTINED;

    if (!loaded) {
        /* The code that goes on running keeps its barrier, and its
        ** quarantine. */
        cnif__armed = cnif__armed_before;
        cnif__quarantine_on = cnif__quarantine_before;
        cnif__gate_set();
        cnif__barrier_close();
        return;
    }
    /* Loaded again: whatever a fault left, this load starts afresh. A
    ** fault still on its way to publishing is the old load's. */
    while (atomic_load(&cnif__quarantine_state) == CNIF__CLAIMED)
        sched_yield();
    atomic_compare_exchange_strong(&cnif__quarantine_state, &published,
                                   CNIF__HEALTHY);
    atomic_store(&cnif__destructors_skipped, 0);
    cnif__gate_set();
}

bool cnif__fault_abandons(const cnif_env *env)
{
    return cnif__quarantine_on
           && (env->outcome == CNIF__CRASHED
               || atomic_load(&cnif__quarantine_state) != CNIF__HEALTHY);
}

ERL_NIF_TERM cnif__quarantine_term(ErlNifEnv *nif)
{
    /* Claimed but not yet published: the faulting thread is back in its
    ** guard, naming the function (a read of the library's file). */
    while (atomic_load(&cnif__quarantine_state) == CNIF__CLAIMED)
        sched_yield();
    return cnif__quarantine_term_make(nif, &cnif__quarantine_fault,
                                      cnif__quarantine_function,
                                      atomic_load(&cnif__destructors_skipped));
}

void cnif__fault_settle(cnif_env *env)
{
    cnif__fault *fault = &env->fault;

    if (fault->settled)
        return;
    fault->settled = true;
    if (!fault->pc || !cnif__symbol_name(fault->pc, env->message,
                                         sizeof env->message))
        env->message[0] = '\0';
    if (fault->claimed) {
        fault->claimed = false;
        cnif__quarantine_fault = *fault;
        memcpy(cnif__quarantine_function, env->message,
               sizeof cnif__quarantine_function);
        atomic_store(&cnif__quarantine_state, CNIF__QUARANTINED);
        cnif__report_quarantine(env);
    }
}
