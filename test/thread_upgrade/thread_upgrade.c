/* thread_upgrade.c -- the module thread_upgrade, built twice from this one
** file: with -DVERSION=1 into thread_upgrade_v1.so and with -DVERSION=2
** into thread_upgrade_v2.so (thread_upgrade.mk), each next to a
** thread_upgrade.beam whose -cnif_lib names it, the setup docs/upgrade.md
** recommends. thread_tests upgrades one to the other and purges the old
** one while its jobs still run, and reloads one over itself with an
** upgrade hook that refuses while a process named thread_upgrade_refuse is
** registered. */
#include <cnif.h>
#include <unistd.h>

#ifndef VERSION
#error "build with -DVERSION=1 or -DVERSION=2"
#endif

static int upgrade(cnif_env *env, void **priv_data, void **old_priv_data,
                   ERL_NIF_TERM load_info)
{
    ErlNifEnv *nif = cnif_nif_env(env);
    ErlNifPid pid;
    (void)priv_data, (void)old_priv_data, (void)load_info;
    return enif_whereis_pid(nif, enif_make_atom(nif, "thread_upgrade_refuse"),
                            &pid)
               ? 7
               : 0;
}

static int64_t version(cnif_env *env)
{
    (void)env;
    return VERSION;
}
CNIF_EXPORT(version, int64_t)

static int64_t version_pool(cnif_env *env)
{
    (void)env;
    return VERSION;
}
CNIF_EXPORT_THREADED(version_pool, int64_t)

/* Tells observer {spinning, VERSION} from the job's thread, then works
** until the job is cancelled, which its living caller never does: only
** the unload of this version can end it. Returns VERSION. */
static int64_t spin(cnif_env *env, cnif_pid observer)
{
    ErlNifEnv *msg_env = enif_alloc_env();
    bool sent = cnif_send(env, &observer, msg_env,
                          enif_make_tuple2(msg_env,
                                           enif_make_atom(msg_env, "spinning"),
                                           enif_make_int(msg_env, VERSION)));
    enif_free_env(msg_env);
    CNIF_ASSERT(env, sent);
    while (!cnif_job_cancelled(env))
        usleep(1000);
    return VERSION;
}

static int64_t spin_pool(cnif_env *env, cnif_pid observer)
{
    return spin(env, observer);
}
CNIF_EXPORT_THREADED(spin_pool, int64_t, cnif_pid)

static int64_t spin_thread(cnif_env *env, cnif_pid observer)
{
    return spin(env, observer);
}
CNIF_EXPORT_THREAD(spin_thread, int64_t, cnif_pid)

CNIF_MODULE(thread_upgrade, NULL, upgrade, NULL)
