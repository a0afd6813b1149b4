/* callback.c -- a guard for code that has no caller to raise to: resource
** callbacks and module hooks. Whatever happens inside, the VM goes on and
** the failure is reported. */
#include "internal.h"

bool cnif__run_guarded(ErlNifEnv *nif, cnif_phase phase, const char *what,
                       void (*body)(cnif_env *env, void *arg), void *arg,
                       cnif__failure_fn *on_failure)
{
    cnif_env env;
    bool returned;

    if (!cnif__barrier_passes())
        cnif__barrier_enter(false); /* set the thread up */
    cnif__guard_begin(&env, nif, phase);
    if (CNIF__ARM(&env))
        body(&env, arg);
    returned = cnif__guard_finish(&env) == CNIF__RETURNED;
    if (!returned)
        on_failure(&env, what, phase);
    cnif__guard_release(&env);
    return returned;
}

void cnif__callback(ErlNifEnv *nif, const char *what, cnif_phase phase,
                    void (*body)(cnif_env *env, void *arg), void *arg)
{
    if (!cnif__barrier_passes() && !cnif__barrier_enter(false)) {
        cnif__barrier_skipped(phase); /* quarantined: no more of its code */
        return;
    }
    cnif__run_guarded(nif, phase, what, body, arg,
                      cnif__report_callback_failure);
}
