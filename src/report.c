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
    else if (failed->outcome == CNIF__CRASHED)
        cnif__fault_describe(failed, buf, size);
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

/* Send {'$cnif_report', Report} to the reporter, the map of Report being
** count keys and values in msg_env, which is then freed. False if no
** reporter could be sent it. */
static bool cnif__report_send(cnif_env *failed, ErlNifEnv *msg_env,
                              ERL_NIF_TERM *keys,
                              ERL_NIF_TERM *values, unsigned count)
{
    /* A callback can run on a thread of no scheduler (a resource released
    ** by a job), where erl_nif wants no caller env. */
    ErlNifEnv *nif = enif_thread_type() == ERL_NIF_THR_UNDEFINED
                         ? NULL
                         : failed->head.nif;
    ERL_NIF_TERM report;
    ErlNifPid reporter;
    bool sent =
        enif_make_map_from_arrays(msg_env, keys, values, count, &report)
        && enif_whereis_pid(nif, enif_make_atom(msg_env, "cnif_reporter"),
                            &reporter)
        && enif_send(nif, &reporter, msg_env,
                     enif_make_tuple2(msg_env,
                                      enif_make_atom(msg_env, "$cnif_report"),
                                      report));
    enif_free_env(msg_env);
    return sent;
}

/* The first two keys of every report: its label {cnif, Label} and the
** module. */
static void cnif__report_head(ErlNifEnv *msg_env, ERL_NIF_TERM *keys,
                              ERL_NIF_TERM *values, const char *label)
{
    keys[0] = enif_make_atom(msg_env, "label");
    values[0] = enif_make_tuple2(msg_env, enif_make_atom(msg_env, "cnif"),
                                 enif_make_atom(msg_env, label));
    keys[1] = enif_make_atom(msg_env, "module");
    values[1] = enif_make_atom(msg_env, cnif__module_name());
}

void cnif__report_callback_failure(cnif_env *failed, const char *what,
                                   cnif_phase callback)
{
    ErlNifEnv *msg_env = enif_alloc_env();
    ERL_NIF_TERM keys[7], values[7];
    unsigned count = 6;
    char location[256] = "", crash[CNIF_MESSAGE_MAX + 100];

    if (!msg_env) {
        cnif__report_stderr(failed, what, callback);
        return;
    }
    if (failed->outcome == CNIF__PANICKED)
        snprintf(location, sizeof location, "%s:%d", failed->panic_file,
                 failed->panic_line);
    if (failed->outcome == CNIF__CRASHED)
        cnif__fault_describe(failed, crash, sizeof crash);
    cnif__report_head(msg_env, keys, values, "callback_failed");
    keys[2] = enif_make_atom(msg_env, "callback");
    values[2] = enif_make_copy(msg_env, cnif__atoms.phases[callback]);
    keys[3] = enif_make_atom(msg_env, "resource");
    values[3] = what ? cnif__report_text(msg_env, what)
                     : enif_make_atom(msg_env, "undefined");
    keys[4] = enif_make_atom(msg_env, "message");
    values[4] = cnif__report_text(
        msg_env, failed->outcome == CNIF__PANICKED ? failed->message
                 : failed->outcome == CNIF__CRASHED ? crash
                                                    : "raised an exception");
    keys[5] = enif_make_atom(msg_env, "location");
    values[5] = cnif__report_text(msg_env, location);
    if (failed->outcome == CNIF__RAISED) { /* what it raised, whole */
        keys[count] = enif_make_atom(msg_env, "raised");
        values[count++] = enif_make_copy(msg_env, failed->raised);
    } else if (failed->outcome == CNIF__CRASHED) {
        keys[count] = enif_make_atom(msg_env, "fault");
        values[count] = cnif__fault_map(msg_env, &failed->fault,
                                        failed->message);
        if (!values[count++])
            values[count - 1] = enif_make_atom(msg_env, "undefined");
    }
    if (!cnif__report_send(failed, msg_env, keys, values, count))
        cnif__report_stderr(failed, what, callback);
}

void cnif__report_quarantine(cnif_env *crashed)
{
    static const char message[] =
        "quarantined after a fault: every call raises nif_quarantined and "
        "callbacks are skipped until the module is loaded again";
    ErlNifEnv *msg_env = enif_alloc_env();
    ERL_NIF_TERM keys[4], values[4];
    char text[CNIF_MESSAGE_MAX + 300];

    if (msg_env) {
        cnif__report_head(msg_env, keys, values, "quarantined");
        keys[2] = enif_make_atom(msg_env, "fault");
        values[2] = cnif__fault_map(msg_env, &crashed->fault, crashed->message);
        keys[3] = enif_make_atom(msg_env, "message");
        values[3] = cnif__report_text(msg_env, message);
        if (values[2] && cnif__report_send(crashed, msg_env, keys, values, 4))
            return;
    }
    cnif__fault_describe(crashed, text, sizeof text);
    fprintf(stderr, "cnif: %s: %s: %s\n", cnif__module_name(), text, message);
}

void cnif__report_load_text(ErlNifEnv *nif, const char *text)
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
    cnif__report_load_text(failed->head.nif, text);
}

void cnif__report_load_rc(ErlNifEnv *nif, const char *what, int rc)
{
    char text[128];
    snprintf(text, sizeof text, "cnif: %s returned %d", what, rc);
    cnif__report_load_text(nif, text);
}
