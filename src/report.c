/* report.c -- where failures with no caller go. A callback's failure is sent
** to the process registered as cnif_reporter (see erlang/cnif_reporter.erl),
** which logs it through OTP's logger; with no reporter it is written to
** stderr. Never silently dropped. A load hook's failure goes to the process
** loading the library, whose on_load returns it from erlang:load_nif. */
#include "internal.h"
#include <stdio.h>
#include <string.h>

/* A binary of text, or undefined if the VM cannot make one. */
static ERL_NIF_TERM cnif__report_text(ErlNifEnv *msg_env, const char *text)
{
    ERL_NIF_TERM term = cnif__text(msg_env, text, strlen(text));
    return term ? term : enif_make_atom(msg_env, "undefined");
}

/* "panicked at demo.c:12: message", or "raised Term" with the term
** printed (a callback cannot raise: nothing would catch it). */
static void cnif__describe(cnif_env *failed, char *buf, size_t size)
{
    if (failed->outcome == CNIF__PANICKED)
        snprintf(buf, size, "panicked at %s:%d: %s", failed->panic_file,
                 failed->panic_line, failed->message);
    else if (failed->outcome == CNIF__RAISED)
        enif_snprintf(buf, size, "raised %T (callbacks cannot raise)",
                      failed->raised);
    else
        snprintf(buf, size, "raised a bad argument (callbacks have none)");
}

/* The last resort: no reporter runs, or no message could be made. */
static void cnif__report_stderr(cnif_env *failed, const char *what,
                                cnif_phase callback)
{
    char text[CNIF_MESSAGE_MAX + 300];
    cnif__describe(failed, text, sizeof text);
    fprintf(stderr, "cnif: %s: %s callback%s%s %s\n", cnif__module_name(),
            cnif__phase_name(callback), what ? " of " : "",
            what ? what : "", text);
}

void cnif__report_callback_failure(cnif_env *failed, const char *what,
                                   cnif_phase callback)
{
    /* A callback can run on a thread of no scheduler (a resource released
    ** by a job), where erl_nif wants no caller env. */
    ErlNifEnv *nif = enif_thread_type() == ERL_NIF_THR_UNDEFINED
                         ? NULL
                         : failed->head.nif;
    ErlNifEnv *msg_env = enif_alloc_env();
    ERL_NIF_TERM keys[7], values[7], report;
    unsigned count = 6;
    ErlNifPid reporter;
    char location[256] = "";

    if (!msg_env) {
        cnif__report_stderr(failed, what, callback);
        return;
    }
    if (failed->outcome == CNIF__PANICKED)
        snprintf(location, sizeof location, "%s:%d", failed->panic_file,
                 failed->panic_line);
    keys[0] = enif_make_atom(msg_env, "label");
    values[0] = enif_make_tuple2(msg_env, enif_make_atom(msg_env, "cnif"),
                                 enif_make_atom(msg_env, "callback_failed"));
    keys[1] = enif_make_atom(msg_env, "module");
    values[1] = enif_make_atom(msg_env, cnif__module_name());
    keys[2] = enif_make_atom(msg_env, "callback");
    values[2] = enif_make_copy(msg_env, cnif__atoms.phases[callback]);
    keys[3] = enif_make_atom(msg_env, "resource");
    values[3] = what ? cnif__report_text(msg_env, what)
                     : enif_make_atom(msg_env, "undefined");
    keys[4] = enif_make_atom(msg_env, "message");
    values[4] = cnif__report_text(
        msg_env, failed->outcome == CNIF__PANICKED ? failed->message
                                                   : "raised an exception");
    keys[5] = enif_make_atom(msg_env, "location");
    values[5] = cnif__report_text(msg_env, location);
    if (failed->outcome == CNIF__RAISED) { /* what it raised, whole */
        keys[count] = enif_make_atom(msg_env, "raised");
        values[count++] = enif_make_copy(msg_env, failed->raised);
    }

    if (enif_make_map_from_arrays(msg_env, keys, values, count, &report)
        && enif_whereis_pid(nif, enif_make_atom(msg_env, "cnif_reporter"),
                            &reporter)
        && enif_send(nif, &reporter, msg_env,
                     enif_make_tuple2(msg_env,
                                      enif_make_atom(msg_env, "$cnif_report"),
                                      report))) {
        enif_free_env(msg_env);
        return;
    }
    enif_free_env(msg_env);
    cnif__report_stderr(failed, what, callback);
}

static void cnif__send_load_failure(ErlNifEnv *nif, const char *text)
{
    ErlNifPid self;
    if (enif_self(nif, &self)
        && enif_send(nif, &self, NULL,
                     enif_make_tuple2(nif,
                                      enif_make_atom(nif, "$cnif_load_failed"),
                                      cnif__report_text(nif, text))))
        return;
    fprintf(stderr, "%s\n", text);
}

void cnif__report_load_failure(cnif_env *failed, const char *what,
                               cnif_phase hook)
{
    (void)hook; /* what already names the hook */
    char detail[CNIF_MESSAGE_MAX + 300], text[CNIF_MESSAGE_MAX + 400];
    cnif__describe(failed, detail, sizeof detail);
    snprintf(text, sizeof text, "cnif: %s %s", what, detail);
    cnif__send_load_failure(failed->head.nif, text);
}

void cnif__report_load_rc(ErlNifEnv *nif, const char *what, int rc)
{
    char text[128];
    snprintf(text, sizeof text, "cnif: %s returned %d", what, rc);
    cnif__send_load_failure(nif, text);
}
