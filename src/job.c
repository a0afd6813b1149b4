/* job.c -- threaded NIFs: the call copies its arguments into an env of the
** job's own and decodes them there (a bad argument is still raised at
** once), then the body runs on the module's bounded thread pool or on a
** thread of its own, and the result goes back as {Ref, Result}. The job is
** a resource monitoring its caller, so the body can notice the caller's
** death and stop early.
**
** No one ever waits for these threads. The unload hook runs on a
** scheduler (a purge waits for it), and a job may loop until it is
** cancelled: joining there would block the scheduler as long as the job
** runs, forever for some. So the threads are detached, and the unload only
** tells them to stop; the last one out frees the pool. The library's code
** must stay mapped until then, though erts unmaps it once the unload hook
** returns: a pool with live threads holds a dlopen reference on its own
** library (the pin), and its last thread drops it only after it has left
** the library's code (see cnif__pin_release). */
#include "internal.h"
#include <string.h>

struct cnif__pool;

typedef struct cnif__job {
    ErlNifEnv *env;    /* the argument copies, the reference, the reply */
    cnif__arena arena; /* decoded arguments and cleanups, for the body */
    ErlNifPid caller;
    ERL_NIF_TERM ref; /* in env */
    void *args;
    ERL_NIF_TERM (*body)(cnif_env *env, void *args);
    int argc; /* the NIF's arity, for cnif_raise_badarg in the body */
    void *priv; /* the module's private data, for cnif_priv in the body */
    struct cnif__pool *pool; /* that runs it; stopping cancels the job */
    atomic_bool cancelled;
    bool submitted;
    struct cnif__job *next; /* in the pool's queue */
} cnif__job;

/* The threads of one loaded library and the jobs queued for them. It
** outlives the library's unload for as long as a thread of it runs. */
typedef struct cnif__pool {
    pthread_mutex_t lock;
    pthread_cond_t ready; /* a job was queued, or the pool stops */
    cnif__job *head, *tail;
    int size;      /* workers wanted: one per scheduler */
    int workers;   /* workers started */
    int threads;   /* live threads: workers and threads of their own */
    int instances; /* loaded instances of this library sharing the pool */
    atomic_bool stopping; /* unloaded: no new jobs, running ones cancelled */
    void *pin;            /* the library's dlopen reference while threads live */
} cnif__pool;

static ErlNifResourceType *cnif__job_type;

/* The pool of the loaded library, NULL once it is unloaded. The same
** shared object loaded again while an earlier instance of it lives on has
** the same statics: the two share this pool, and only the last one's
** unload stops it. cnif__pools_lock orders loads and unloads, which erts
** may run on different threads. */
static cnif__pool *cnif__pool_live;
static pthread_mutex_t cnif__pools_lock = PTHREAD_MUTEX_INITIALIZER;

/* Drops the pin when a thread exits (set only in the last thread), so that
** the library can be unmapped. Created once per mapping of the library;
** no pin is taken without it, or it would never be dropped. */
static pthread_key_t cnif__pin_key;
static pthread_mutex_t cnif__pin_key_lock = PTHREAD_MUTEX_INITIALIZER;
static bool cnif__pin_key_made;

/* Tried again until it succeeds: a pin with no key to drop it would keep
** the library mapped for good. */
static bool cnif__pin_key_make(void)
{
    bool made;
    pthread_mutex_lock(&cnif__pin_key_lock);
    /* The destructor runs in libc after the thread function has returned,
    ** so it must be libc's own dlclose: no code of this library may run
    ** after the library is gone. dlclose's int result is ignored, which
    ** every ABI cnif runs on allows (the double cast tells the compiler
    ** so). */
    if (!cnif__pin_key_made)
        cnif__pin_key_made =
            pthread_key_create(&cnif__pin_key,
                               (void (*)(void *))(void (*)(void))dlclose)
            == 0;
    made = cnif__pin_key_made;
    pthread_mutex_unlock(&cnif__pin_key_lock);
    return made;
}

/* A dlopen reference on the shared object this code is in: erts cannot
** unmap it while the reference lives. NULL if it cannot be had. */
static void *cnif__pin_take(void)
{
    return cnif__pin_key_make() ? cnif__library_open() : NULL;
}

/* Called last by the last thread of a pool: its exit drops the pin. */
static void cnif__pin_release(void *pin)
{
    if (pin && cnif__pin_key_made)
        pthread_setspecific(cnif__pin_key, pin);
}

static void cnif__pool_free(cnif__pool *pool)
{
    pthread_cond_destroy(&pool->ready);
    pthread_mutex_destroy(&pool->lock);
    enif_free(pool);
}

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

/* A pool with no thread yet; threads start with the first jobs. */
static cnif__pool *cnif__pool_new(void)
{
    cnif__pool *pool = enif_alloc(sizeof *pool);
    ErlNifSysInfo info;

    if (!pool)
        return NULL;
    memset(pool, 0, sizeof *pool);
    if (pthread_mutex_init(&pool->lock, NULL) != 0) {
        enif_free(pool);
        return NULL;
    }
    if (pthread_cond_init(&pool->ready, NULL) != 0) {
        pthread_mutex_destroy(&pool->lock);
        enif_free(pool);
        return NULL;
    }
    enif_system_info(&info, sizeof info);
    pool->size = info.scheduler_threads > 0 ? info.scheduler_threads : 1;
    atomic_init(&pool->stopping, false);
    pool->instances = 1;
    return pool;
}

void cnif__job_open(cnif_env *env)
{
    ErlNifResourceTypeInit init = {.dtor = cnif__job_dtor,
                                   .down = cnif__job_down,
                                   .members = 4};
    ErlNifResourceFlags tried;

    cnif__job_type = enif_init_resource_type(
        env->head.nif, "cnif_job", &init,
        ERL_NIF_RT_CREATE | ERL_NIF_RT_TAKEOVER, &tried);
    if (!cnif__job_type)
        cnif_panic(env, "cannot open the resource type of threaded jobs");
    pthread_mutex_lock(&cnif__pools_lock);
    if (cnif__pool_live)
        cnif__pool_live->instances++;
    else
        cnif__pool_live = cnif__pool_new();
    pthread_mutex_unlock(&cnif__pools_lock);
    if (!cnif__pool_live)
        cnif_panic(env, "out of memory: cannot create the thread pool");
}

/* The body under a guard of its own on the job's thread, and the reply:
** {Ref, Result}, or {Ref, {error, Exception}} if it did not return. */
static void cnif__job_run(cnif__job *job)
{
    cnif_env env;
    ERL_NIF_TERM volatile result = 0;
    ERL_NIF_TERM failure;
    /* Quarantined while queued, the body does not run; the guard still
    ** gives back its arguments' memory. */
    bool admitted = cnif__barrier_passes() || cnif__barrier_enter(true);

    cnif__guard_begin(&env, job->env, CNIF_PHASE_CALL);
    env.job = job;
    env.argc = job->argc;
    env.arena = cnif__arena_take(&job->arena);
    if (admitted && CNIF__ARM(&env))
        result = job->body(&env, job->args);
    failure = cnif__guard_finish(&env) == CNIF__RETURNED
                  ? (admitted ? 0 : cnif__quarantine_term(job->env))
                  : cnif__exception(&env);
    cnif__guard_release(&env);
    enif_send(NULL, &job->caller, job->env,
              enif_make_tuple2(job->env, job->ref,
                               failure ? enif_make_tuple2(job->env,
                                                          cnif__atoms.error,
                                                          failure)
                                       : result));
    enif_release_resource(job);
}

/* A thread of pool ends: the last one of a stopped pool frees it, and the
** last one of any pool drops the pin once it is out of this library. */
static void cnif__thread_end(cnif__pool *pool)
{
    void *pin = NULL;
    bool last;

    cnif__barrier_thread_end();
    pthread_mutex_lock(&pool->lock);
    last = --pool->threads == 0;
    if (last) {
        pin = pool->pin;
        pool->pin = NULL;
    }
    last = last && atomic_load(&pool->stopping);
    pthread_mutex_unlock(&pool->lock);
    if (last)
        cnif__pool_free(pool);
    cnif__pin_release(pin);
}

static void *cnif__worker(void *arg)
{
    cnif__pool *pool = arg;

    pthread_mutex_lock(&pool->lock);
    for (;;) {
        cnif__job *job = pool->head;
        if (!job) {
            if (atomic_load(&pool->stopping))
                break;
            pthread_cond_wait(&pool->ready, &pool->lock);
            continue;
        }
        pool->head = job->next;
        if (!pool->head)
            pool->tail = NULL;
        pthread_mutex_unlock(&pool->lock);
        cnif__job_run(job);
        pthread_mutex_lock(&pool->lock);
    }
    pthread_mutex_unlock(&pool->lock);
    cnif__thread_end(pool);
    return NULL;
}

static void *cnif__dedicated(void *arg)
{
    cnif__job *job = arg;
    cnif__pool *pool = job->pool; /* job is gone once it has run */

    cnif__job_run(job);
    cnif__thread_end(pool);
    return NULL;
}

/* Start a detached thread of pool running fn(arg); NULL, or why it did
** not start. Called with the pool locked, which also makes naming the
** thread from here safe: a thread takes the lock before it can end. */
static const char *cnif__thread_start(cnif__pool *pool, const char *name,
                                      void *(*fn)(void *), void *arg)
{
    pthread_attr_t attr;
    pthread_t tid;
    int rc;

    if (pthread_attr_init(&attr) != 0)
        return "cannot start a thread";
    if (!pool->pin && !(pool->pin = cnif__pin_take())) {
        pthread_attr_destroy(&attr);
        return "cannot keep the library loaded for its threads";
    }
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    rc = pthread_create(&tid, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        if (pool->threads == 0) {
            dlclose(pool->pin);
            pool->pin = NULL;
        }
        return "cannot start a thread";
    }
    cnif__thread_name(tid, name);
    pool->threads++;
    return NULL;
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

    job = enif_alloc_resource(cnif__job_type, sizeof *job);
    if (!job)
        cnif_panic(env, "out of memory: cannot start a job");
    memset(job, 0, sizeof *job);
    /* Until it is handed to a thread, the call owns the job. */
    cnif__defer_own(env, cnif__job_release, job);
    pthread_mutex_lock(&cnif__pools_lock);
    job->pool = cnif__pool_live;
    pthread_mutex_unlock(&cnif__pools_lock);
    if (!job->pool)
        cnif_panic(env, "the library is being unloaded");
    job->env = enif_alloc_env();
    if (!job->env || !enif_self(nif, &job->caller))
        cnif_panic(env, "cannot start a job outside a process");
    enif_monitor_process(nif, job, &job->caller, &mon);
    job->ref = enif_make_ref(job->env);
    job->argc = argc;
    job->priv = enif_priv_data(nif);
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

/* Queue job for the workers, starting them up to the pool's size; NULL,
** or why no worker can run it. Called with the pool locked. */
static const char *cnif__job_queue(cnif__pool *pool, cnif__job *job)
{
    const char *failure = NULL;

    while (pool->workers < pool->size
           && !(failure = cnif__thread_start(pool, "cnif_worker",
                                             cnif__worker, pool)))
        pool->workers++;
    if (!pool->workers)
        return failure;
    if (pool->tail)
        pool->tail->next = job;
    else
        pool->head = job;
    pool->tail = job;
    pthread_cond_signal(&pool->ready);
    return NULL;
}

ERL_NIF_TERM cnif__job_submit(cnif_env *env, bool own_thread,
                              ERL_NIF_TERM (*body)(cnif_env *, void *))
{
    cnif__job *job = env->job;
    cnif__pool *pool = job->pool;
    const char *failure;

    cnif__locks_check_handoff(env, "a threaded NIF's body starts");
    env->head.nif = env->reply_nif;
    job->body = body;
    /* The job must own its arguments before a thread can see it. */
    job->arena = cnif__arena_take(&env->arena);
    job->submitted = true;
    pthread_mutex_lock(&pool->lock);
    if (atomic_load(&pool->stopping))
        failure = "the library is being unloaded";
    else if (own_thread)
        failure = cnif__thread_start(pool, "cnif_job", cnif__dedicated, job);
    else
        failure = cnif__job_queue(pool, job);
    pthread_mutex_unlock(&pool->lock);
    if (failure) {
        /* Still the call's: the panic's cleanup releases it. */
        job->submitted = false;
        env->arena = cnif__arena_take(&job->arena);
        cnif_panic(env, "%s", failure);
    }
    return enif_make_copy(env->reply_nif, job->ref);
}

void *cnif__job_priv(const cnif__job *job)
{
    return job->priv;
}

bool cnif_job_cancelled(cnif_env *env)
{
    return env->job
           && (atomic_load(&env->job->cancelled)
               || atomic_load(&env->job->pool->stopping));
}

/* The library's last loaded instance is unloaded (or failed to load): the
** pool takes no more jobs, its workers run what is queued (cancelled) and
** end, and every running job sees itself cancelled. Nothing waits here. */
void cnif__job_close(void)
{
    cnif__pool *pool;
    bool idle;

    pthread_mutex_lock(&cnif__pools_lock);
    pool = cnif__pool_live;
    if (pool && --pool->instances > 0)
        pool = NULL;
    if (pool)
        cnif__pool_live = NULL;
    pthread_mutex_unlock(&cnif__pools_lock);
    if (!pool)
        return;
    pthread_mutex_lock(&pool->lock);
    atomic_store(&pool->stopping, true);
    pthread_cond_broadcast(&pool->ready);
    idle = pool->threads == 0;
    pthread_mutex_unlock(&pool->lock);
    if (idle)
        cnif__pool_free(pool);
}
