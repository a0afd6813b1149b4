/* fault_ex.c -- the NIF library of the Elixir module FaultEx
** (test/elixir/fault_ex.ex), which arms the fault barrier with
** `use Cnif, fault_barrier: true`; test/elixir/fault_barrier_test.exs
** drives it. fault_ex_no_quarantine.c builds the same code for another
** module: FAULT_EX_MODULE names it.
**
** The faulting code is built without sanitizers: under UBSan a NULL read
** would be reported (and aborted) before the hardware ever faulted. */
#include <cnif.h>
#include <stdlib.h>

#ifndef FAULT_EX_MODULE
#define FAULT_EX_MODULE "Elixir.FaultEx"
#endif

#define NO_SANITIZE __attribute__((noinline, no_sanitize("address", "undefined")))

static volatile int *volatile null_pointer;

/* SIGSEGV at address 0. */
NO_SANITIZE static int64_t null_read(cnif_env *env)
{
    (void)env;
    return *null_pointer;
}
CNIF_EXPORT(null_read, int64_t)

/* SIGABRT, sent by a call: no faulting address, no faulting instruction. */
static void abort_now(cnif_env *env)
{
    (void)env;
    abort();
}
CNIF_EXPORT(abort_now, void)

/* Its argument: proof that the library runs. */
static int64_t ok(cnif_env *env, int64_t n)
{
    (void)env;
    return n;
}
CNIF_EXPORT(ok, int64_t, int64_t)

CNIF_MODULE_NAMED(FAULT_EX_MODULE, NULL, NULL, NULL)
