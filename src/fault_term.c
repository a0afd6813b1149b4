/* fault_term.c -- what a fault the barrier caught looks like: the
** nif_crashed and nif_quarantined terms, and the fault in words for a
** report. The atoms are made at load, as cnif's others are: raising must
** not be the first to ask erts for one. */
#include "internal.h"
#include <signal.h>
#include <stdio.h>
#include <string.h>

static struct {
    ERL_NIF_TERM nif_crashed, nif_quarantined, signal, nif, address, function,
        module, fault, destructors_skipped, stack_overflow;
    ERL_NIF_TERM library; /* the Erlang module's name */
    ERL_NIF_TERM signals[SIGABRT > SIGSEGV ? SIGABRT + 1 : SIGSEGV + 1];
} cnif__fault_atoms;

static const char *const cnif__signal_names[] = {
    [SIGSEGV] = "segv", [SIGBUS] = "bus",   [SIGFPE] = "fpe",
    [SIGILL] = "ill",   [SIGABRT] = "abrt",
};

void cnif__fault_atoms_init(ErlNifEnv *nif)
{
    const int signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

    cnif__fault_atoms.nif_crashed = enif_make_atom(nif, "nif_crashed");
    cnif__fault_atoms.nif_quarantined = enif_make_atom(nif, "nif_quarantined");
    cnif__fault_atoms.signal = enif_make_atom(nif, "signal");
    cnif__fault_atoms.nif = enif_make_atom(nif, "nif");
    cnif__fault_atoms.address = enif_make_atom(nif, "address");
    cnif__fault_atoms.function = enif_make_atom(nif, "function");
    cnif__fault_atoms.module = enif_make_atom(nif, "module");
    cnif__fault_atoms.fault = enif_make_atom(nif, "fault");
    cnif__fault_atoms.destructors_skipped =
        enif_make_atom(nif, "destructors_skipped");
    cnif__fault_atoms.stack_overflow = enif_make_atom(nif, "stack_overflow");
    cnif__fault_atoms.library = enif_make_atom(nif, cnif__module_name());
    for (size_t i = 0; i < sizeof signals / sizeof *signals; i++)
        cnif__fault_atoms.signals[signals[i]] =
            enif_make_atom(nif, cnif__signal_names[signals[i]]);
}

static const char *cnif__fault_signal(const cnif__fault *fault)
{
    return fault->stack_overflow ? "stack_overflow"
                                 : cnif__signal_names[fault->signal];
}

ERL_NIF_TERM cnif__fault_map(ErlNifEnv *nif, const cnif__fault *fault,
                             const char *function)
{
    const cnif__site *site = fault->site;
    ERL_NIF_TERM keys[5] = {
        cnif__fault_atoms.signal, cnif__fault_atoms.nif, cnif__atoms.phase,
        cnif__fault_atoms.address, cnif__fault_atoms.function,
    };
    ERL_NIF_TERM nif_name, values[5], map;

    /* The NIF's name is an existing atom: its module exports it. */
    if (!site || !site->name || !cnif__atom_existing(nif, site->name, &nif_name))
        nif_name = 0;
    values[0] = fault->stack_overflow ? cnif__fault_atoms.stack_overflow
                                      : cnif__fault_atoms.signals[fault->signal];
    values[1] = nif_name
                    ? enif_make_tuple3(nif, cnif__fault_atoms.library,
                                       nif_name, enif_make_int(nif, site->arity))
                    : cnif__atoms.undefined;
    values[2] = cnif__atoms.phases[fault->phase];
    values[3] = fault->has_address ? enif_make_uint64(nif, fault->address)
                                   : cnif__atoms.undefined;
    values[4] = function[0] ? cnif__text(nif, function, strlen(function))
                            : cnif__atoms.undefined;
    if (!values[4] || !enif_make_map_from_arrays(nif, keys, values, 5, &map))
        return 0;
    return map;
}

ERL_NIF_TERM cnif__fault_term(cnif_env *env, ErlNifEnv *nif)
{
    ERL_NIF_TERM map = cnif__fault_map(nif, &env->fault, env->message);
    return map ? enif_make_tuple2(nif, cnif__fault_atoms.nif_crashed, map)
               : cnif__atoms.badarg;
}

ERL_NIF_TERM cnif__quarantine_term_make(ErlNifEnv *nif,
                                        const cnif__fault *fault,
                                        const char *function,
                                        unsigned long skipped)
{
    ERL_NIF_TERM keys[3] = {cnif__fault_atoms.module, cnif__fault_atoms.fault,
                            cnif__fault_atoms.destructors_skipped};
    ERL_NIF_TERM values[3] = {cnif__fault_atoms.library,
                              cnif__fault_map(nif, fault, function),
                              enif_make_uint64(nif, skipped)};
    ERL_NIF_TERM map;

    if (!values[1] || !enif_make_map_from_arrays(nif, keys, values, 3, &map))
        return cnif__atoms.badarg;
    return enif_make_tuple2(nif, cnif__fault_atoms.nif_quarantined, map);
}

void cnif__fault_describe(const cnif_env *env, char *buf, size_t size)
{
    const cnif__fault *fault = &env->fault;
    int n = snprintf(buf, size, "crashed: %s", cnif__fault_signal(fault));
    if (n >= 0 && (size_t)n < size && fault->has_address)
        n += snprintf(buf + n, size - (size_t)n, " at address 0x%lx",
                      (unsigned long)fault->address);
    if (n >= 0 && (size_t)n < size && env->message[0])
        snprintf(buf + n, size - (size_t)n, " in %s", env->message);
}
