/* process.c -- pids, registered names and references, as erlang's own
** BIFs see them (is_process_alive, whereis, make_ref). */
#include "internal.h"

/* The env erl_nif wants for a call about processes: the call's own, but
** NULL on a job's thread, which is not a scheduler (as cnif_send). */
static ErlNifEnv *cnif__caller(cnif_env *env)
{
    return env->job ? NULL : env->head.nif;
}

int cnif_pid_compare(cnif_env *env, const cnif_pid *a, const cnif_pid *b)
{
    return cnif_term_compare(env, a->pid, b->pid);
}

bool cnif_pid_alive(cnif_env *env, const cnif_pid *pid)
{
    return enif_is_process_alive(cnif__caller(env), (ErlNifPid *)pid);
}

cnif_ref cnif_ref_make(cnif_env *env)
{
    cnif_ref ref = {enif_make_ref(env->head.nif)};
    return ref;
}

cnif_registered cnif_whereis(cnif_env *env, const char *name)
{
    cnif_registered found = {CNIF_NOT_REGISTERED, {0}, cnif__atoms.undefined};
    ErlNifEnv *caller = cnif__caller(env);
    ErlNifPort port;
    ERL_NIF_TERM atom;

    /* A name that is no atom yet names nothing: it is not made to ask. */
    if (!cnif__atom_existing(env->head.nif, name, &atom))
        return found;
    if (enif_whereis_pid(caller, atom, &found.pid)) {
        found.kind = CNIF_REGISTERED_PID;
        found.term = enif_make_pid(env->head.nif, &found.pid);
    } else if (enif_whereis_port(caller, atom, &port)) {
        found.kind = CNIF_REGISTERED_PORT;
        found.term = port.port_id; /* erl_nif has no enif_make_port */
    }
    return found;
}
