/* send.c -- sending messages from any thread, with erl_nif's rules checked
** instead of left as undefined behaviour. */
#include "internal.h"
#include <stdio.h>

/* A misuse is a panic inside a guard; outside any guard (a thread cnif did
** not start) it can only be reported. */
static bool cnif__refuse(const char *why)
{
    if (cnif__guarded())
        cnif_panic(NULL, "cnif_send: %s", why);
    fprintf(stderr, "cnif_send: %s\n", why);
    return false;
}

bool cnif_send(cnif_env *env, const cnif_pid *to, ErlNifEnv *msg_env,
               ERL_NIF_TERM msg)
{
    ErlNifPid self;
    ErlNifEnv *caller;

    if (!env) {
        if (enif_thread_type() != ERL_NIF_THR_UNDEFINED)
            return cnif__refuse("on a scheduler thread, pass the call's env");
        caller = NULL;
    } else {
        if (!cnif__on_this_thread(env))
            return cnif__refuse("the env belongs to another thread or to a "
                                "call that has ended");
        /* A job's thread is not a scheduler: erl_nif wants NULL there. */
        caller = env->job ? NULL : env->head.nif;
    }
    if (env && msg_env == env->head.nif)
        return cnif__refuse("the call's own env cannot be a message env: "
                            "build the message in an env from enif_alloc_env");
    if (!msg_env && !(caller && enif_self(caller, &self)))
        return cnif__refuse("a message env is needed outside a NIF call");
    if (!enif_send(caller, to, msg_env, msg))
        return false;
    /* A successful send invalidates msg_env, and erl_nif wants it cleared
    ** before reuse: reusing it as it is builds the next terms in the
    ** memory the sent message now owns. */
    if (msg_env)
        enif_clear_env(msg_env);
    return true;
}
