/* job.c -- threaded NIFs: the call copies its arguments into an env of the
** job's own and decodes them there (a bad argument is still raised at
** once), then the body runs on the module's bounded thread pool or on a
** thread of its own, and the result goes back as {Ref, Result}. The job is
** a resource monitoring its caller, so the body can notice the caller's
** death and stop early. */
#include "internal.h"
#include <stdatomic.h>
#include <string.h>

typedef struct cnif__job {
    ErlNifEnv *env;    /* the argument copies, the reference, the reply */
    cnif__arena arena; /* decoded arguments and cleanups, for the body */
    ErlNifPid caller;
    ERL_NIF_TERM ref; /* in env */
    void *args;
    ERL_NIF_TERM (*body)(cnif_env *env, void *args);
    atomic_bool cancelled;
    bool submitted;
    struct cnif__job *next; /* in the pool's queue */
} cnif__job;

/* A thread of its own for one job; joined once finished (reap) or at
** unload, so no thread outlives the library's code. */
typedef struct cnif__thread {
    ErlNifTid tid;
    cnif__job *job;
    atomic_bool finished;
    struct cnif__thread *next;
} cnif__thread;

static struct {
    ErlNifResourceType *job_type;
    ErlNifMutex *lock;
    ErlNifCond *ready;
    cnif__job *head, *tail; /* queued jobs */
    ErlNifTid *workers;
    int size, started;
    int instances; /* loaded instances of this library sharing the pool */
    bool stopping;
    cnif__thread *threads; /* dedicated threads, running or finished */
} cnif__pool;

static void cnif__job_dtor(ErlNifEnv *nif, void *obj)
{
    cnif__job *job = obj;
    (void)nif;
    if (job->env)
        enif_free_env(job->env);
}

static void cnif__job_down(ErlNifEnv *nif, void *obj, ErlNifPid *pid,
                           ErlNifMonitor *mon)
{
    (void)nif, (void)pid, (void)mon;
    atomic_store(&((cnif__job *)obj)->cancelled, true);
}

void cnif__job_open(cnif_env *env)
{
    ErlNifResourceTypeInit init = {.dtor = cnif__job_dtor,
                                   .down = cnif__job_down,
                                   .members = 4};
    ErlNifResourceFlags tried;
    ErlNifSysInfo info;

    cnif__pool.job_type = enif_init_resource_type(
        env->head.nif, "cnif_job", &init,
        ERL_NIF_RT_CREATE | ERL_NIF_RT_TAKEOVER, &tried);
    if (!cnif__pool.job_type)
        cnif_panic(env, "cannot open the resource type of threaded jobs");
    /* The same shared object loaded again while an earlier instance of it
    ** lives on (its jobs still hold it) has the same statics: the two
    ** share this pool, and only the last one's unload stops it. */
    if (cnif__pool.lock) {
        cnif__pool.instances++;
        return;
    }
    enif_system_info(&info, sizeof info);
    cnif__pool.size = info.scheduler_threads > 0 ? info.scheduler_threads : 1;
    cnif__pool.lock = enif_mutex_create("cnif_pool");
    cnif__pool.ready = enif_cond_create("cnif_pool");
    if (!cnif__pool.lock || !cnif__pool.ready)
        cnif_panic(env, "cannot create the thread pool's lock");
    cnif__pool.instances = 1;
}

/* The body under a guard of its own on the job's thread, and the reply:
** {Ref, Result}, or {Ref, {error, Exception}} if it did not return. */
static void cnif__job_run(cnif__job *job)
{
    cnif_env env;
    ERL_NIF_TERM volatile result = 0;
    ERL_NIF_TERM reply;

    cnif__guard_begin(&env, job->env, CNIF_PHASE_CALL);
    env.job = job;
    env.arena = cnif__arena_take(&job->arena);
    if (CNIF__SETJMP(env.jump) == 0)
        result = job->body(&env, job->args);
    if (cnif__guard_finish(&env) == CNIF__RETURNED)
        reply = enif_make_tuple2(job->env, job->ref, result);
    else
        reply = enif_make_tuple2(
            job->env, job->ref,
            enif_make_tuple2(job->env, cnif__atoms.error,
                             cnif__exception(&env)));
    cnif__guard_release(&env);
    enif_send(NULL, &job->caller, job->env, reply);
    enif_release_resource(job);
}

static void *cnif__worker(void *arg)
{
    (void)arg;
    enif_mutex_lock(cnif__pool.lock);
    for (;;) {
        cnif__job *job = cnif__pool.head;
        if (!job) {
            if (cnif__pool.stopping)
                break;
            enif_cond_wait(cnif__pool.ready, cnif__pool.lock);
            continue;
        }
        cnif__pool.head = job->next;
        if (!cnif__pool.head)
            cnif__pool.tail = NULL;
        enif_mutex_unlock(cnif__pool.lock);
        cnif__job_run(job);
        enif_mutex_lock(cnif__pool.lock);
    }
    enif_mutex_unlock(cnif__pool.lock);
    return NULL;
}

static void *cnif__dedicated(void *arg)
{
    cnif__thread *t = arg;
    cnif__job_run(t->job);
    atomic_store(&t->finished, true);
    return NULL;
}

/* Join the dedicated threads that have finished (all of them if all). */
static void cnif__reap(bool all)
{
    cnif__thread **link = &cnif__pool.threads;
    while (*link) {
        cnif__thread *t = *link;
        if (all || atomic_load(&t->finished)) {
            enif_thread_join(t->tid, NULL);
            *link = t->next;
            enif_free(t);
        } else {
            link = &t->next;
        }
    }
}

static void cnif__job_release(void *arg)
{
    cnif__job *job = arg;
    if (!job->submitted)
        enif_release_resource(job);
}

void *cnif__job_begin(cnif_env *env, int argc, const ERL_NIF_TERM **argv,
                      size_t args_size)
{
    ErlNifEnv *nif = env->head.nif;
    cnif__job *job;
    ERL_NIF_TERM *copies;
    ErlNifMonitor mon;

    job = enif_alloc_resource(cnif__pool.job_type, sizeof *job);
    if (!job)
        cnif_panic(env, "out of memory: cannot start a job");
    memset(job, 0, sizeof *job);
    /* Until it is handed to a thread, the call owns the job. */
    cnif_defer(env, cnif__job_release, job);
    job->env = enif_alloc_env();
    if (!job->env || !enif_self(nif, &job->caller))
        cnif_panic(env, "cannot start a job outside a process");
    enif_monitor_process(nif, job, &job->caller, &mon);
    job->ref = enif_make_ref(job->env);
    copies = cnif_alloc(env, (size_t)argc * sizeof *copies);
    for (int i = 0; i < argc; i++)
        copies[i] = enif_make_copy(job->env, (*argv)[i]);
    *argv = copies;
    job->args = cnif_alloc(env, args_size);
    memset(job->args, 0, args_size);
    env->job = job;
    env->head.nif = job->env; /* decode from the copies; reports still go
                                 to the caller (env->reply_nif) */
    return job->args;
}

/* Start the pool's workers up to its size; NULL, or why none runs. Called
** with the pool locked. */
static const char *cnif__start_workers(void)
{
    if (!cnif__pool.workers)
        cnif__pool.workers =
            enif_alloc(sizeof *cnif__pool.workers * (size_t)cnif__pool.size);
    if (!cnif__pool.workers)
        return "out of memory: cannot start the thread pool";
    while (cnif__pool.started < cnif__pool.size
           && enif_thread_create("cnif_worker",
                                 &cnif__pool.workers[cnif__pool.started],
                                 cnif__worker, NULL, NULL)
                  == 0)
        cnif__pool.started++;
    return cnif__pool.started ? NULL : "cannot start any thread of the pool";
}

/* Start a thread of its own for job; NULL, or why it did not start. Called
** with the pool locked. */
static const char *cnif__start_thread(cnif__job *job)
{
    cnif__thread *t = enif_alloc(sizeof *t);
    if (!t)
        return "out of memory: cannot start a thread";
    t->job = job;
    atomic_init(&t->finished, false);
    if (enif_thread_create("cnif_job", &t->tid, cnif__dedicated, t, NULL)
        != 0) {
        enif_free(t);
        return "cannot start a thread for the job";
    }
    t->next = cnif__pool.threads;
    cnif__pool.threads = t;
    return NULL;
}

ERL_NIF_TERM cnif__job_submit(cnif_env *env, bool own_thread,
                              ERL_NIF_TERM (*body)(cnif_env *, void *))
{
    cnif__job *job = env->job;
    const char *failure;

    env->head.nif = env->reply_nif;
    job->body = body;
    /* The job must own its arguments before a thread can see it. */
    job->arena = cnif__arena_take(&env->arena);
    job->submitted = true;
    enif_mutex_lock(cnif__pool.lock);
    if (cnif__pool.stopping) {
        failure = "the library is being unloaded";
    } else if (own_thread) {
        cnif__reap(false);
        failure = cnif__start_thread(job);
    } else if (!(failure = cnif__start_workers())) {
        if (cnif__pool.tail)
            cnif__pool.tail->next = job;
        else
            cnif__pool.head = job;
        cnif__pool.tail = job;
        enif_cond_signal(cnif__pool.ready);
    }
    enif_mutex_unlock(cnif__pool.lock);
    if (failure) {
        /* Still the call's: the panic's cleanup releases it. */
        job->submitted = false;
        env->arena = cnif__arena_take(&job->arena);
        cnif_panic(env, "%s", failure);
    }
    return enif_make_copy(env->reply_nif, job->ref);
}

bool cnif_job_cancelled(cnif_env *env)
{
    return env->job && atomic_load(&env->job->cancelled);
}

/* At unload no thread may still run this library's code: let the workers
** drain the queue and stop, and join every dedicated thread. */
void cnif__job_close(void)
{
    if (!cnif__pool.lock || --cnif__pool.instances > 0)
        return;
    enif_mutex_lock(cnif__pool.lock);
    cnif__pool.stopping = true;
    enif_cond_broadcast(cnif__pool.ready);
    enif_mutex_unlock(cnif__pool.lock);
    for (int i = 0; i < cnif__pool.started; i++)
        enif_thread_join(cnif__pool.workers[i], NULL);
    cnif__reap(true);
    enif_free(cnif__pool.workers);
    enif_cond_destroy(cnif__pool.ready);
    enif_mutex_destroy(cnif__pool.lock);
    memset(&cnif__pool, 0, sizeof cnif__pool);
}
