/* boundary.c -- the guard around every call: enter, unwind, finish, and the
** exception a call that did not return raises. */
#include "internal.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Thread_local cnif_env *cnif__current
    __attribute__((tls_model("initial-exec")));

void cnif__guard_begin(cnif_env *env, ErlNifEnv *nif, cnif_phase phase)
{
    env->head = (struct cnif__env_head){nif, phase, NULL};
    env->outer = cnif__current;
    memset(&env->arena, 0,
           offsetof(cnif_env, outcome) - offsetof(cnif_env, arena));
    env->outcome = CNIF__RETURNED;
    env->jump_armed = false;
    env->has_reason = false;
    env->path_truncated = false;
    env->path_len = 0;
    env->reply_nif = nif;
    env->argc = 0;
    cnif__current = env;
}

cnif__outcome cnif__guard_finish(cnif_env *env)
{
    if (env->arena.defers)
        cnif__arena_cleanup(env);
    env->jump_armed = false;
    if (__builtin_expect(env->outcome == CNIF__CRASHED, 0))
        cnif__fault_settle(env);
    return env->outcome;
}

void cnif__guard_release(cnif_env *env)
{
    if (env->arena.chunks)
        cnif__arena_free(env);
    cnif__current = env->outer;
}

ERL_NIF_TERM cnif_call(ErlNifEnv *nif, int argc, const ERL_NIF_TERM argv[],
                       ERL_NIF_TERM (*invoke)(cnif_env *, int,
                                              const ERL_NIF_TERM[]),
                       const cnif__site *site)
{
    cnif_env env;
    ERL_NIF_TERM volatile result = 0; /* read after a possible longjmp */

    if (__builtin_expect(!cnif__barrier_passes(), 0)
        && !cnif__barrier_enter(false))
        return enif_raise_exception(nif, cnif__quarantine_term(nif));
    cnif__guard_begin(&env, nif, CNIF_PHASE_DECODE);
    env.argc = argc;
    env.head.site = site;
    if (CNIF__ARM(&env))
        result = invoke(&env, argc, argv);
    switch (cnif__guard_finish(&env)) {
    case CNIF__RETURNED:
        break;
    case CNIF__BADARG:
        /* Returned, not raised: the generated wrapper matches it and raises
        ** badarg with error_info. A returned value costs the wrapper a tag
        ** test on success where a try would cost a catch frame. If the VM
        ** could not build the report, plain badarg is raised instead. */
        result = cnif__badarg_term(&env, true);
        if (result == cnif__atoms.badarg)
            result = enif_make_badarg(nif);
        break;
    default:
        result = enif_raise_exception(nif, cnif__exception(&env));
    }
    cnif__guard_release(&env);
    return result;
}

bool cnif_try(cnif_env *outer, ERL_NIF_TERM (*fn)(cnif_env *, void *),
              void *arg, ERL_NIF_TERM *result)
{
    cnif_env env;
    ERL_NIF_TERM volatile value = 0;
    bool returned;

    cnif__guard_begin(&env, outer->head.nif, outer->head.phase);
    /* The nested guard is still part of the outer call: a job's
    ** cancellation and a yielding slice's clock are the outer call's. */
    env.job = outer->job;
    env.yield = outer->yield;
    env.slice_start = outer->slice_start;
    env.argc = outer->argc;
    env.head.site = outer->head.site;
    if (CNIF__ARM(&env))
        value = fn(&env, arg);
    returned = cnif__guard_finish(&env) == CNIF__RETURNED;
    if (env.outcome == CNIF__CRASHED) /* not for the caller to catch */
        cnif__fault_propagate(&env);
    *result = returned ? value : cnif__exception(&env);
    cnif__guard_release(&env);
    return returned;
}

/* The guard a panic or raise unwinds to is always the innermost one of the
** calling thread, whatever env the caller passed: jumping to an outer guard
** would skip the inner one's cleanups. With no guard at all there is
** nowhere safe to go, which only misuse (calling cnif from a thread that
** cnif did not start) can cause. */
static cnif_env *cnif__target(const char *what)
{
    cnif_env *env = cnif__current;
    if (!cnif__guarded()) {
        fprintf(stderr, "cnif: %s outside any guarded call\n", what);
        abort();
    }
    return env;
}

bool cnif__guarded(void)
{
    return cnif__current && cnif__current->outcome != CNIF__IDLE;
}

bool cnif__on_this_thread(const cnif_env *env)
{
    for (const cnif_env *g = cnif__current; g; g = g->outer)
        if (g == env)
            return true;
    return false;
}

_Noreturn void cnif__unwind(cnif_env *env)
{
    CNIF__LONGJMP(env->jump);
}

/* A crash inside a cnif_try is the whole call's: the outer guard takes
** it over, as if the fault had happened there. */
_Noreturn void cnif__fault_propagate(cnif_env *env)
{
    cnif_env *outer = env->outer;
    outer->outcome = CNIF__CRASHED;
    outer->fault = env->fault;
    memcpy(outer->message, env->message, sizeof outer->message);
    cnif__guard_release(env);
    cnif__unwind(outer);
}

static const char *cnif__basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Record the panic on the innermost guard (the first one of a call
** stands) and return that guard. A panic raised inside cnif on behalf of
** a NIF is reported at the NIF's export site, in the user's file, when the
** call has one; the caller's own cnif_panic is reported where it is. */
static cnif_env *cnif__panic_record(const char *file, int line,
                                    bool for_caller, const char *fmt,
                                    va_list ap)
{
    cnif_env *env = cnif__target("cnif_panic");
    if (env->outcome < CNIF__PANICKED) {
        if (for_caller && env->head.site) {
            file = env->head.site->file;
            line = env->head.site->line;
        }
        cnif__vformat(env, fmt, ap);
        env->outcome = CNIF__PANICKED;
        env->panic_phase = env->head.phase;
        env->panic_file = cnif__basename(file);
        env->panic_line = line;
    }
    return env;
}

_Noreturn void cnif_panic_at(cnif_env *env, const char *file, int line,
                             const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    env = cnif__panic_record(file, line, false, fmt, ap);
    va_end(ap);
    cnif__unwind(env);
}

/* Record where a cnif_panic or cnif_raise_badarg runs, on the guard it
** will unwind to. With no guard at all, the function it names aborts. */
static void cnif__from(const char *file, int line, bool library)
{
    cnif_env *env = cnif__current;
    if (env) {
        env->from_file = file;
        env->from_line = line;
        env->from_library = library;
    }
}

static _Noreturn void cnif__panic_here(cnif_env *env, const char *fmt, ...)
{
    va_list ap;
    env = cnif__target("cnif_panic");
    va_start(ap, fmt);
    env = cnif__panic_record(env->from_file, env->from_line,
                             env->from_library, fmt, ap);
    va_end(ap);
    cnif__unwind(env);
}

cnif__panic_fn cnif__panic_from(const char *file, int line)
{
    cnif__from(file, line, false);
    return cnif__panic_here;
}

cnif__panic_fn cnif__panic_for_caller_from(const char *file, int line)
{
    cnif__from(file, line, true);
    return cnif__panic_here;
}

_Noreturn void cnif_raise(cnif_env *env, ERL_NIF_TERM term)
{
    (void)env;
    env = cnif__target("cnif_raise");
    if (env->outcome == CNIF__RETURNED) {
        env->outcome = CNIF__RAISED;
        env->raised = cnif__for_reply(env, term);
    }
    cnif__unwind(env);
}

_Noreturn void cnif__arg_fail(cnif_env *env, int index)
{
    (void)env;
    env = cnif__target("a bad argument");
    if (env->outcome == CNIF__RETURNED) {
        env->outcome = CNIF__BADARG;
        env->badarg_argno = index + 1;
    }
    cnif__unwind(env);
}

/* The guard the bad argument now raised is for, once argno is known to be
** one of its call's, or 0 (the call as a whole) in a call with a caller;
** it does not return unless the report is to be made. */
static cnif_env *cnif__badarg_target(int argno)
{
    cnif_env *env = cnif__target("cnif_raise_badarg");
    bool has_caller = env->head.phase < CNIF_PHASE_LOAD;
    if (env->outcome != CNIF__RETURNED) /* from a cleanup: keep the report */
        cnif__unwind(env);
    /* Checked before argno - 1 is computed: INT_MIN must not overflow. */
    if (argno < (has_caller ? 0 : 1) || argno > env->argc)
        cnif_panic_at(env, env->from_file, env->from_line,
                      "cnif_raise_badarg: argument %d does not exist: this "
                      "call has %d argument%s",
                      argno, env->argc, env->argc == 1 ? "" : "s");
    return env;
}

static _Noreturn void cnif__badarg_here(cnif_env *env, int argno, const char *fmt, ...)
{
    va_list ap;
    env = cnif__badarg_target(argno);
    va_start(ap, fmt);
    cnif__reason_v(env, fmt, ap);
    va_end(ap);
    cnif__arg_fail(env, argno - 1);
}

cnif__badarg_fn cnif__badarg_from(const char *file, int line)
{
    cnif__from(file, line, false);
    return cnif__badarg_here;
}

_Noreturn void cnif__unset_term(cnif_env *env, const char *encoder)
{
    cnif_panic(env, "%s returned no term (0): an encoder must return a term "
                    "it made", encoder);
}

ERL_NIF_TERM cnif__text(ErlNifEnv *nif, const char *text, size_t size)
{
    ERL_NIF_TERM term;
    unsigned char *data = enif_make_new_binary(nif, size, &term);
    if (!data)
        return 0;
    memcpy(data, text, size);
    return term;
}

static ERL_NIF_TERM cnif__panic_term(cnif_env *env)
{
    ErlNifEnv *nif = env->reply_nif;
    char location[256];
    int n = snprintf(location, sizeof location, "%s:%d", env->panic_file,
                     env->panic_line);
    ERL_NIF_TERM keys[3] = {cnif__atoms.message, cnif__atoms.phase,
                            cnif__atoms.location};
    ERL_NIF_TERM values[3] = {
        cnif__text(nif, env->message, strlen(env->message)),
        cnif__atoms.phases[env->panic_phase],
        cnif__text(nif, location,
                   n < 0 ? 0 : (size_t)n < sizeof location ? (size_t)n
                                                            : sizeof location - 1),
    };
    ERL_NIF_TERM map;

    if (!values[0] || !values[2]
        || !enif_make_map_from_arrays(nif, keys, values, 3, &map))
        return cnif__atoms.badarg;
    return enif_make_tuple2(nif, cnif__atoms.nif_panicked, map);
}

ERL_NIF_TERM cnif__exception(cnif_env *env)
{
    switch (env->outcome) {
    case CNIF__RAISED:
        return env->raised;
    case CNIF__BADARG:
        return cnif__badarg_term(env, false);
    case CNIF__PANICKED:
        return cnif__panic_term(env);
    case CNIF__CRASHED:
        return cnif__fault_term(env, env->reply_nif);
    case CNIF__RETURNED:
    case CNIF__IDLE:
        break;
    }
    return cnif__atoms.badarg;
}
