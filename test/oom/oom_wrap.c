/* oom_wrap.c -- allocation-failure injection for `make test-oom`.
**
** The test libraries are linked with -Wl,--wrap=enif_X for every erl_nif
** function that allocates (oom.mk lists them), so each call that libcnif.a
** or a test NIF makes to enif_X lands in __wrap_enif_X here. While armed,
** every such call is counted; the Nth one (and, in sticky mode, every one
** after it) fails the way the function reports a failure: NULL, 0 or
** false, an error number. Calls that are not failed are forwarded to the
** real function. cnif's thread pool uses POSIX threads, locks and dlopen
** directly, its fault barrier mmap and munmap (an alternate signal stack
** per thread), and its symbolizer too (an ELF file, to name a fault's
** function): those are wrapped too.
**
** Independently of arming, what is live is counted: memory blocks, owned
** binaries, environments, resource objects (a destructor of our own is put
** in front of each type's, so a collected object is seen), map iterators,
** threads, mutexes, condition variables and mappings. A
** call under test must leave these as it found them once its terms are
** collected.
**
** Arming: oom_arm(N, Sticky) from Erlang right before the call under test
** and oom_disarm() right after; N = 0 only counts and records each call's
** kind and caller (the trace). A library can also be armed from the moment
** it is mapped, before its load hook, and report when it is unmapped (see
** the end of this file).
**
** Nothing here calls a wrapped function except through __real_, so the
** control NIFs never count themselves. */
#define _GNU_SOURCE /* dladdr */
#include <cnif.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* --- What is counted -------------------------------------------------------- */

#define OOM_KINDS(X)                                                          \
    X(alloc) X(alloc_binary) X(realloc_binary) X(make_new_binary)             \
    X(term_to_binary) X(binary_to_term) X(alloc_resource)                     \
    X(init_resource_type) X(alloc_env) X(map_from_arrays) X(map_put)          \
    X(map_iterator) X(pthread_create) X(pthread_attr_init)                    \
    X(pthread_key_create) X(pthread_mutex_init) X(pthread_cond_init) X(dlopen) \
    X(realloc) X(mmap)
#define OOM_KIND_ENUM(k) K_##k,
#define OOM_KIND_NAME(k) #k,
typedef enum oom_kind { OOM_KINDS(OOM_KIND_ENUM) K_COUNT } oom_kind;
static const char *const kind_names[K_COUNT] = {OOM_KINDS(OOM_KIND_NAME)};

/* mem: enif_alloc's blocks; map: mmap's. */
#define OOM_LIVE(X)                                                           \
    X(mem) X(bin) X(env) X(res) X(iter) X(thread) X(mutex) X(condvar) X(map)
#define OOM_LIVE_ENUM(k) L_##k,
#define OOM_LIVE_NAME(k) #k,
typedef enum live_kind { OOM_LIVE(OOM_LIVE_ENUM) L_COUNT } live_kind;
static const char *const live_names[L_COUNT] = {OOM_LIVE(OOM_LIVE_NAME)};
static atomic_long live[L_COUNT];

#define TRACE_MAX 4096

static struct {
    atomic_bool armed;
    long target; /* fail the target-th counted call; 0: fail none */
    bool sticky; /* and every one after it */
    atomic_long seen, fired;
    atomic_int fired_kind;
    oom_kind kinds[TRACE_MAX];
    uintptr_t sites[TRACE_MAX]; /* the caller, as an offset in this library */
} oom;

/* The caller's address as an offset into this shared object, for nm and
** addr2line (the address of the call instruction itself: one byte back). */
static uintptr_t site_offset(void *ret)
{
    Dl_info info;
    uintptr_t at = (uintptr_t)ret - 1;
    return dladdr(ret, &info) && info.dli_fbase ? at - (uintptr_t)info.dli_fbase
                                                : at;
}

/* Count one call that can fail; true if it must. */
static bool should_fail(oom_kind kind, void *ret)
{
    long n;

    if (!atomic_load(&oom.armed))
        return false;
    n = atomic_fetch_add(&oom.seen, 1) + 1;
    if (n <= TRACE_MAX) {
        oom.kinds[n - 1] = kind;
        oom.sites[n - 1] = site_offset(ret);
    }
    if (oom.target == 0 || n < oom.target || (n > oom.target && !oom.sticky))
        return false;
    if (atomic_fetch_add(&oom.fired, 1) == 0)
        atomic_store(&oom.fired_kind, kind);
    return true;
}
#define FAIL(kind) should_fail(K_##kind, __builtin_return_address(0))

static void arm(long target, bool sticky)
{
    atomic_store(&oom.armed, false);
    oom.target = target;
    oom.sticky = sticky;
    atomic_store(&oom.seen, 0);
    atomic_store(&oom.fired, 0);
    atomic_store(&oom.armed, true);
}

/* --- The wrappers ------------------------------------------------------------ */

#define REAL(ret, name, params) ret __real_##name params;
REAL(void *, enif_alloc, (size_t))
REAL(void *, enif_realloc, (void *, size_t))
REAL(void, enif_free, (void *))
REAL(int, enif_alloc_binary, (size_t, ErlNifBinary *))
REAL(int, enif_realloc_binary, (ErlNifBinary *, size_t))
REAL(void, enif_release_binary, (ErlNifBinary *))
REAL(ERL_NIF_TERM, enif_make_binary, (ErlNifEnv *, ErlNifBinary *))
REAL(unsigned char *, enif_make_new_binary, (ErlNifEnv *, size_t, ERL_NIF_TERM *))
REAL(int, enif_term_to_binary, (ErlNifEnv *, ERL_NIF_TERM, ErlNifBinary *))
REAL(size_t, enif_binary_to_term,
     (ErlNifEnv *, const unsigned char *, size_t, ERL_NIF_TERM *, unsigned int))
REAL(void *, enif_alloc_resource, (ErlNifResourceType *, size_t))
REAL(ErlNifResourceType *, enif_init_resource_type,
     (ErlNifEnv *, const char *, const ErlNifResourceTypeInit *,
      ErlNifResourceFlags, ErlNifResourceFlags *))
REAL(ErlNifEnv *, enif_alloc_env, (void))
REAL(void, enif_free_env, (ErlNifEnv *))
REAL(int, enif_make_map_from_arrays,
     (ErlNifEnv *, ERL_NIF_TERM[], ERL_NIF_TERM[], size_t, ERL_NIF_TERM *))
REAL(int, enif_make_map_put,
     (ErlNifEnv *, ERL_NIF_TERM, ERL_NIF_TERM, ERL_NIF_TERM, ERL_NIF_TERM *))
REAL(int, enif_map_iterator_create,
     (ErlNifEnv *, ERL_NIF_TERM, ErlNifMapIterator *, ErlNifMapIteratorEntry))
REAL(void, enif_map_iterator_destroy, (ErlNifEnv *, ErlNifMapIterator *))
REAL(int, pthread_create,
     (pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))
REAL(int, pthread_mutex_init, (pthread_mutex_t *, const pthread_mutexattr_t *))
REAL(int, pthread_mutex_destroy, (pthread_mutex_t *))
REAL(int, pthread_cond_init, (pthread_cond_t *, const pthread_condattr_t *))
REAL(int, pthread_cond_destroy, (pthread_cond_t *))
REAL(int, pthread_attr_init, (pthread_attr_t *))
REAL(int, pthread_key_create, (pthread_key_t *, void (*)(void *)))
REAL(void *, dlopen, (const char *, int))
REAL(bool, cnif__spare_give, (void *))
REAL(void *, cnif__spare_take, (void))
REAL(void *, mmap, (void *, size_t, int, int, int, off_t))
REAL(int, munmap, (void *, size_t))

/* Each wrapper is exported under its __wrap_ name only to the linker: the
** version script keeps it local to the library. */
#define WRAP(ret, name, params) ret __wrap_##name params; ret __wrap_##name params

/* Count a live thing up when made, down when released. */
static void up(live_kind what) { atomic_fetch_add(&live[what], 1); }
static void down(live_kind what) { atomic_fetch_sub(&live[what], 1); }

/* What an allocator returned, counted if it is something. */
static void *made(live_kind what, void *p)
{
    if (p)
        up(what);
    return p;
}

WRAP(void *, enif_alloc, (size_t size))
{
    return made(L_mem, FAIL(alloc) ? NULL : __real_enif_alloc(size));
}

/* Like enif_alloc for what is live: realloc(NULL) makes a block, a
** failed realloc leaves the old one as it was. */
WRAP(void *, enif_realloc, (void *p, size_t size))
{
    void *q = FAIL(realloc) ? NULL : __real_enif_realloc(p, size);
    if (q && !p)
        up(L_mem);
    return q;
}

WRAP(void, enif_free, (void *p))
{
    if (p)
        down(L_mem);
    __real_enif_free(p);
}

WRAP(int, enif_alloc_binary, (size_t size, ErlNifBinary *bin))
{
    if (FAIL(alloc_binary) || !__real_enif_alloc_binary(size, bin))
        return 0;
    up(L_bin);
    return 1;
}

WRAP(int, enif_realloc_binary, (ErlNifBinary *bin, size_t size))
{
    return !FAIL(realloc_binary) && __real_enif_realloc_binary(bin, size);
}

WRAP(void, enif_release_binary, (ErlNifBinary *bin))
{
    down(L_bin);
    __real_enif_release_binary(bin);
}

/* The binary becomes the term's: no longer ours to release. */
WRAP(ERL_NIF_TERM, enif_make_binary, (ErlNifEnv *env, ErlNifBinary *bin))
{
    down(L_bin);
    return __real_enif_make_binary(env, bin);
}

WRAP(unsigned char *, enif_make_new_binary,
     (ErlNifEnv *env, size_t size, ERL_NIF_TERM *term))
{
    return FAIL(make_new_binary) ? NULL
                                 : __real_enif_make_new_binary(env, size, term);
}

WRAP(int, enif_term_to_binary, (ErlNifEnv *env, ERL_NIF_TERM term, ErlNifBinary *bin))
{
    if (FAIL(term_to_binary) || !__real_enif_term_to_binary(env, term, bin))
        return 0;
    up(L_bin);
    return 1;
}

WRAP(size_t, enif_binary_to_term,
     (ErlNifEnv *env, const unsigned char *data, size_t size, ERL_NIF_TERM *term,
      unsigned int opts))
{
    return FAIL(binary_to_term)
               ? 0
               : __real_enif_binary_to_term(env, data, size, term, opts);
}

WRAP(ErlNifEnv *, enif_alloc_env, (void))
{
    return made(L_env, FAIL(alloc_env) ? NULL : __real_enif_alloc_env());
}

WRAP(void, enif_free_env, (ErlNifEnv *env))
{
    if (env)
        down(L_env);
    __real_enif_free_env(env);
}

/* erts refuses these only for duplicate keys or a non-map; faking the
** refusal checks that cnif looks at the answer. */
WRAP(int, enif_make_map_from_arrays,
     (ErlNifEnv *env, ERL_NIF_TERM keys[], ERL_NIF_TERM values[], size_t n,
      ERL_NIF_TERM *out))
{
    return !FAIL(map_from_arrays)
           && __real_enif_make_map_from_arrays(env, keys, values, n, out);
}

WRAP(int, enif_make_map_put,
     (ErlNifEnv *env, ERL_NIF_TERM map, ERL_NIF_TERM key, ERL_NIF_TERM value,
      ERL_NIF_TERM *out))
{
    return !FAIL(map_put) && __real_enif_make_map_put(env, map, key, value, out);
}

WRAP(int, enif_map_iterator_create,
     (ErlNifEnv *env, ERL_NIF_TERM map, ErlNifMapIterator *it,
      ErlNifMapIteratorEntry entry))
{
    if (FAIL(map_iterator) || !__real_enif_map_iterator_create(env, map, it, entry))
        return 0;
    up(L_iter);
    return 1;
}

WRAP(void, enif_map_iterator_destroy, (ErlNifEnv *env, ErlNifMapIterator *it))
{
    down(L_iter);
    __real_enif_map_iterator_destroy(env, it);
}

/* cnif's threads are POSIX threads, detached: a thread is counted from its
** start to the return of its function, which a trampoline of ours sees.
** (The trampoline's start record comes from libc's malloc, which is not
** wrapped: cnif allocates only with enif_alloc.) */
typedef struct thread_start {
    void *(*fn)(void *);
    void *arg;
} thread_start;

static void *thread_trampoline(void *p)
{
    thread_start start = *(thread_start *)p;
    void *result;

    free(p);
    result = start.fn(start.arg);
    down(L_thread);
    return result;
}

WRAP(int, pthread_create,
     (pthread_t *tid, const pthread_attr_t *attr, void *(*fn)(void *), void *arg))
{
    thread_start *start;
    int rc;

    if (FAIL(pthread_create))
        return EAGAIN;
    if (!(start = malloc(sizeof *start)))
        return EAGAIN;
    *start = (thread_start){fn, arg};
    up(L_thread);
    rc = __real_pthread_create(tid, attr, thread_trampoline, start);
    if (rc != 0) {
        down(L_thread);
        free(start);
    }
    return rc;
}

WRAP(int, pthread_attr_init, (pthread_attr_t *attr))
{
    return FAIL(pthread_attr_init) ? ENOMEM : __real_pthread_attr_init(attr);
}

WRAP(int, pthread_key_create, (pthread_key_t *key, void (*destructor)(void *)))
{
    return FAIL(pthread_key_create) ? EAGAIN
                                    : __real_pthread_key_create(key, destructor);
}

/* A lock or condition variable is live from its init to its destroy. */
#define COUNTED(obj, T, Attr, what)                                               \
    WRAP(int, pthread_##obj##_init, (T * p, const Attr *attr))                \
    {                                                                         \
        int rc = FAIL(pthread_##obj##_init)                                   \
                     ? ENOMEM                                                 \
                     : __real_pthread_##obj##_init(p, attr);                  \
        if (rc == 0)                                                          \
            up(what);                                                         \
        return rc;                                                            \
    }                                                                         \
    WRAP(int, pthread_##obj##_destroy, (T * p))                               \
    {                                                                         \
        down(what);                                                           \
        return __real_pthread_##obj##_destroy(p);                             \
    }
COUNTED(mutex, pthread_mutex_t, pthread_mutexattr_t, L_mutex)
COUNTED(cond, pthread_cond_t, pthread_condattr_t, L_condvar)

/* Only dlopen: cnif's threads drop their hold on the library with libc's
** dlclose after leaving its code, which must stay libc's own. */
WRAP(void *, dlopen, (const char *path, int flags))
{
    return FAIL(dlopen) ? NULL : __real_dlopen(path, flags);
}

/* libcnif.a munmaps only what it mmapped (a thread's alternate signal
** stack, an ELF file while it names a function), whole: a mapping is live
** from the one to the other. A scheduler keeps its stack as long as the
** VM. */
WRAP(void *, mmap, (void *addr, size_t size, int prot, int flags, int fd, off_t offset))
{
    void *p;

    if (FAIL(mmap)) {
        errno = ENOMEM;
        return MAP_FAILED;
    }
    p = __real_mmap(addr, size, prot, flags, fd, offset);
    if (p != MAP_FAILED)
        up(L_map);
    return p;
}

WRAP(int, munmap, (void *addr, size_t size))
{
    int rc = __real_munmap(addr, size);
    if (rc == 0)
        down(L_map);
    return rc;
}

/* --- Resource objects: counted from allocation to destructor ---------------
** Each type opened through enif_init_resource_type gets one of these
** destructors in front of its own (if any), by slot. */
#define DTOR_SLOTS 16
static ErlNifResourceDtor *dtor_chain[DTOR_SLOTS];
static atomic_int dtor_used;

static void dtor_slot(int slot, ErlNifEnv *env, void *obj)
{
    if (dtor_chain[slot])
        dtor_chain[slot](env, obj);
    down(L_res);
}
#define DTOR(i)                                                               \
    static void dtor_##i(ErlNifEnv *env, void *obj) { dtor_slot(i, env, obj); }
DTOR(0) DTOR(1) DTOR(2) DTOR(3) DTOR(4) DTOR(5) DTOR(6) DTOR(7)
DTOR(8) DTOR(9) DTOR(10) DTOR(11) DTOR(12) DTOR(13) DTOR(14) DTOR(15)
static ErlNifResourceDtor *const dtors[DTOR_SLOTS] = {
    dtor_0, dtor_1, dtor_2,  dtor_3,  dtor_4,  dtor_5,  dtor_6,  dtor_7,
    dtor_8, dtor_9, dtor_10, dtor_11, dtor_12, dtor_13, dtor_14, dtor_15};

WRAP(ErlNifResourceType *, enif_init_resource_type,
     (ErlNifEnv *env, const char *name, const ErlNifResourceTypeInit *init,
      ErlNifResourceFlags flags, ErlNifResourceFlags *tried))
{
    ErlNifResourceTypeInit ours = *init;
    int slot;

    if (FAIL(init_resource_type))
        return NULL;
    slot = atomic_fetch_add(&dtor_used, 1);
    if (slot >= DTOR_SLOTS) {
        fprintf(stderr, "oom_wrap: more than %d resource types\n", DTOR_SLOTS);
        abort();
    }
    dtor_chain[slot] = init->dtor;
    ours.dtor = dtors[slot];
    return __real_enif_init_resource_type(env, name, &ours, flags, tried);
}

WRAP(void *, enif_alloc_resource, (ErlNifResourceType *type, size_t size))
{
    return made(L_res, FAIL(alloc_resource) ? NULL
                                            : __real_enif_alloc_resource(type, size));
}

/* --- Control from Erlang ------------------------------------------------------ */

static void oom_arm(cnif_env *env, int64_t target, bool sticky)
{
    (void)env;
    arm(target, sticky);
}
CNIF_EXPORT(oom_arm, void, int64_t, bool)

/* {Seen, Fired, FiredKind}: how many calls were counted while armed, how
** many failed, and the kind of the first that failed (none). */
static cnif_term oom_disarm(cnif_env *env)
{
    ErlNifEnv *nif = cnif_nif_env(env);
    long fired;

    atomic_store(&oom.armed, false);
    fired = atomic_load(&oom.fired);
    return enif_make_tuple3(
        nif, enif_make_long(nif, atomic_load(&oom.seen)), enif_make_long(nif, fired),
        enif_make_atom(nif, fired ? kind_names[atomic_load(&oom.fired_kind)] : "none"));
}
CNIF_EXPORT(oom_disarm, cnif_term)

/* [{Kind, Site}] of the calls counted by the last arming, in order. */
static cnif_term oom_trace(cnif_env *env)
{
    ErlNifEnv *nif = cnif_nif_env(env);
    long n = atomic_load(&oom.seen);
    ERL_NIF_TERM list = enif_make_list(nif, 0);

    for (long i = (n < TRACE_MAX ? n : TRACE_MAX); i > 0; i--)
        list = enif_make_list_cell(
            nif,
            enif_make_tuple2(nif, enif_make_atom(nif, kind_names[oom.kinds[i - 1]]),
                             enif_make_uint64(nif, oom.sites[i - 1])),
            list);
    return list;
}
CNIF_EXPORT(oom_trace, cnif_term)

/* [{What, Count}] of everything live. */
static cnif_term oom_live(cnif_env *env)
{
    ErlNifEnv *nif = cnif_nif_env(env);
    ERL_NIF_TERM list = enif_make_list(nif, 0);

    for (int i = L_COUNT; i > 0; i--)
        list = enif_make_list_cell(
            nif,
            enif_make_tuple2(nif, enif_make_atom(nif, live_names[i - 1]),
                             enif_make_long(nif, atomic_load(&live[i - 1]))),
            list);
    return list;
}
CNIF_EXPORT(oom_live, cnif_term)

/* --- Arming a library from its load, reporting at its unload ----------------
** A copy of the library at PATH is armed when it is mapped if PATH.arm
** holds "N" or "Ns" (sticky), and writes its state to PATH.report when it
** is unmapped, as one Erlang term:
**     {Seen, Fired, FiredKind, [{What, LiveCount}]}.
** (Files, not the environment: os:putenv does not reach getenv.) */
static char report_path[4096];

/* cnif keeps chunks of call memory between calls (src/spare.c). A sweep
** needs a call's allocations in the same order on every run, and a kept
** chunk makes them depend on what the last call left: in the sweep's
** library cnif keeps none. A library armed from its load keeps them as
** anywhere else, and its report at unmap shows the last unload freeing
** every one. */
WRAP(bool, cnif__spare_give, (void *chunk))
{
    return report_path[0] && __real_cnif__spare_give(chunk);
}

WRAP(void *, cnif__spare_take, (void))
{
    return report_path[0] ? __real_cnif__spare_take() : NULL;
}

__attribute__((constructor)) static void oom_arm_at_load(void)
{
    Dl_info self;
    char path[sizeof report_path];
    long target;
    char sticky = 0;
    FILE *f;

    if (!dladdr((void *)oom_arm_at_load, &self) || !self.dli_fname)
        return;
    snprintf(path, sizeof path, "%s.arm", self.dli_fname);
    if (!(f = fopen(path, "r")))
        return;
    if (fscanf(f, "%ld%c", &target, &sticky) >= 1) {
        snprintf(report_path, sizeof report_path, "%s.report", self.dli_fname);
        arm(target, sticky == 's');
    }
    fclose(f);
}

__attribute__((destructor)) static void oom_report_at_unload(void)
{
    long fired = atomic_load(&oom.fired);
    FILE *f;

    if (!report_path[0] || !(f = fopen(report_path, "w")))
        return;
    fprintf(f, "{%ld, %ld, %s, [", atomic_load(&oom.seen), fired,
            fired ? kind_names[atomic_load(&oom.fired_kind)] : "none");
    for (int i = 0; i < L_COUNT; i++)
        fprintf(f, "%s{%s, %ld}", i ? ", " : "", live_names[i],
                atomic_load(&live[i]));
    fprintf(f, "]}.\n");
    fclose(f);
}
