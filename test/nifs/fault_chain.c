/* fault_chain.c -- another library's SIGSEGV handler, for fault_tests: it
** counts what it sees, says so on stderr and passes it on to the handler
** it replaced, as a well-behaved handler does, unless the fault is its own
** probe's, which it recovers from. Loaded before a library that arms the
** fault barrier, it is what the barrier chains to; after, it chains to the
** barrier. Its code stays mapped for good (RTLD_NODELETE), since no
** handler can be taken back safely from the middle of a chain. */
#define _GNU_SOURCE
#include <cnif.h>
#include <dlfcn.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

static struct sigaction replaced;
static atomic_int seen_count;
static _Thread_local sigjmp_buf *volatile probing; /* read by the handler */
static int *volatile nowhere;

static void on_segv(int sig, siginfo_t *info, void *context)
{
    static const char said[] = "fault_chain: saw SIGSEGV\n";
    atomic_fetch_add(&seen_count, 1);
    if (probing)
        siglongjmp(*probing, 1);
    if (write(STDERR_FILENO, said, sizeof said - 1) < 0) {
        /* nothing more to do about it in a signal handler */
    }
    if (replaced.sa_flags & SA_SIGINFO) {
        replaced.sa_sigaction(sig, info, context);
    } else if (replaced.sa_handler != SIG_DFL && replaced.sa_handler != SIG_IGN) {
        replaced.sa_handler(sig);
    } else {
        sigaction(sig, &replaced, NULL); /* the fault repeats, now fatal */
    }
}

/* SIGSEGV ignored from now on: what a library armed after this chains to. */
static bool ignore_segv(cnif_env *env)
{
    (void)env;
    return signal(SIGSEGV, SIG_IGN) != SIG_ERR;
}
CNIF_EXPORT(ignore_segv, bool)

static int64_t seen(cnif_env *env)
{
    (void)env;
    return atomic_load(&seen_count);
}
CNIF_EXPORT(seen, int64_t)

/* A NULL read of this library's own, which its handler recovers from:
** true if the handler saw it (through whatever handlers are above). */
__attribute__((noinline, no_sanitize("address", "undefined")))
static bool probe(cnif_env *env)
{
    sigjmp_buf here;
    bool recovered = false;
    (void)env;
    if (sigsetjmp(here, 1) == 0) {
        probing = &here;
        (void)*(volatile int *)nowhere;
    } else {
        recovered = true;
    }
    probing = NULL;
    return recovered;
}
CNIF_EXPORT(probe, bool)

static int load(cnif_env *env, void **priv, ERL_NIF_TERM info)
{
    struct sigaction action = {.sa_sigaction = on_segv,
                               .sa_flags = SA_SIGINFO | SA_ONSTACK};
    Dl_info self;
    (void)priv, (void)info;
    CNIF_ASSERT(env, dladdr((void *)on_segv, &self) && self.dli_fname
                         && dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE));
    sigemptyset(&action.sa_mask);
    CNIF_ASSERT(env, sigaction(SIGSEGV, &action, &replaced) == 0);
    return 0;
}

CNIF_MODULE(fault_chain, load, NULL, NULL)
