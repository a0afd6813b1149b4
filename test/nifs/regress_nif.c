/* regress_nif.c -- the NIFs behind test/regress_tests.erl: each reproduces
** one way the public API could crash, hang or mislead the VM, found by
** trying it as an attacker would (issue 9), so that the fix stays in.
**
** Every deliberate panic or misuse sits on a line marked "site:NAME"; the
** tests look the marker up instead of writing a line number down. */
#include <cnif.h>
#include <stdatomic.h>
#include <string.h>

/* --- Sizes no allocator can satisfy --------------------------------------
** Each entry point that takes a size from its caller, asked for size
** bytes: a panic "out of memory", never an abort of the VM. */
typedef struct blob {
    size_t len;
    unsigned char bytes[];
} blob;
CNIF_DEFINE_RESOURCE(blob)

static const unsigned char some_bytes[16] = "0123456789abcde";

typedef enum size_entry {
    ENTRY_BIN_NEW,
    ENTRY_BIN_ENCODE,
    ENTRY_STR_ENCODE,
    ENTRY_BUILDER_ALLOC,
    ENTRY_BUILDER_REALLOC,
    ENTRY_RESOURCE,
    ENTRY_ALLOC
} size_entry;
static const cnif_enum_entry size_entry_atoms[] = {
    {ENTRY_BIN_NEW, "bin_new"},
    {ENTRY_BIN_ENCODE, "bin_encode"},
    {ENTRY_STR_ENCODE, "str_encode"},
    {ENTRY_BUILDER_ALLOC, "builder_alloc"},
    {ENTRY_BUILDER_REALLOC, "builder_realloc"},
    {ENTRY_RESOURCE, "resource"},
    {ENTRY_ALLOC, "alloc"},
    {0, NULL}};
CNIF_DEFINE_ENUM(size_entry, size_entry_atoms)

/* The encoders are reached by returning a view that claims size bytes:
** they must refuse it before reading a byte past some_bytes. */
static cnif_term ask_size(cnif_env *env, size_entry entry, uint64_t size)
{
    unsigned char *data;
    cnif_bin_builder *b;

    switch (entry) {
    case ENTRY_BIN_NEW:
        return cnif_encode_cnif_bin(env, cnif_bin_new(env, size, &data));
    case ENTRY_BIN_ENCODE:
        cnif_phase_set(env, CNIF_PHASE_ENCODE);
        return cnif_encode_cnif_bin(env, (cnif_bin){some_bytes, size, 0});
    case ENTRY_STR_ENCODE:
        cnif_phase_set(env, CNIF_PHASE_ENCODE);
        return cnif_encode_cnif_str(
            env, (cnif_str){(const char *)some_bytes, size, 0});
    case ENTRY_BUILDER_ALLOC:
        b = cnif_bin_alloc(env, size);
        return cnif_encode_cnif_bin(env, cnif_bin_finish(env, b));
    case ENTRY_BUILDER_REALLOC:
        b = cnif_bin_alloc(env, 16);
        cnif_bin_realloc(env, b, size);
        return cnif_encode_cnif_bin(env, cnif_bin_finish(env, b));
    case ENTRY_RESOURCE:
        return cnif_encode_cnif_res_blob(
            env, cnif_resource_new_size(env, blob, size));
    case ENTRY_ALLOC:
        return enif_make_uint64(cnif_nif_env(env),
                                (uintptr_t)cnif_alloc(env, size) & 1);
    }
    return 0;
}
CNIF_EXPORT(ask_size, cnif_term, size_entry, uint64_t) /* site:ask_size */

/* A resource of a size the caller picks, really filled, to show the sized
** form works where memory allows. */
static uint64_t blob_sum(cnif_env *env, uint64_t len)
{
    blob *b = cnif_resource_new_size(env, blob, sizeof(blob) + len);
    uint64_t sum = 0;

    b->len = len;
    memset(b->bytes, 1, len);
    for (size_t i = 0; i < b->len; i++)
        sum += b->bytes[i];
    return sum;
}
CNIF_EXPORT(blob_sum, uint64_t, uint64_t)

/* Flatten an iolist (cnif_iodata) and say how many bytes. */
static uint64_t iolist_size(cnif_env *env, cnif_iodata bin)
{
    (void)env;
    return bin.size;
}
CNIF_EXPORT(iolist_size, uint64_t, cnif_iodata) /* site:iolist_size */

static cnif_iodata iolist_flat(cnif_env *env, cnif_iodata bin)
{
    (void)env;
    return bin;
}
CNIF_EXPORT(iolist_flat, cnif_iodata, cnif_iodata)

/* --- A tuple built in C ---------------------------------------------------
** pair_elem decodes an integer Index and looks it up in the tuple {10, 20}
** assembled in C (no term of its own): an index past it fails with the
** tuple shown, not with the unset term 0. */
typedef struct pair_elem {
    int64_t value;
} pair_elem;

static bool cnif_decode_pair_elem(cnif_env *env, ERL_NIF_TERM term,
                                  pair_elem *out)
{
    ERL_NIF_TERM items[2] = {cnif_encode_int64_t(env, 10),
                             cnif_encode_int64_t(env, 20)};
    cnif_tuple pair = {items, 2, 0};
    int index;

    return cnif_decode_int(env, term, &index)
           && CNIF_TUPLE_GET(env, pair, index, int64_t, &out->value);
}

static int64_t pair_at(cnif_env *env, pair_elem e)
{
    (void)env;
    return e.value;
}
CNIF_EXPORT(pair_at, int64_t, pair_elem)

/* A user decoder that fails on an unset term, as a slip in C would. */
typedef struct unset_fail {
    int unused;
} unset_fail;

static bool cnif_decode_unset_fail(cnif_env *env, ERL_NIF_TERM term,
                                   unset_fail *out)
{
    (void)term, (void)out;
    return cnif_decode_fail(env, 0, "a term that was never set");
}

static void takes_unset(cnif_env *env, unset_fail u)
{
    (void)env, (void)u;
}
CNIF_EXPORT(takes_unset, void, unset_fail)

/* --- An encoder that returns no term ---------------------------------------
** unset_out's encoder forgets to set its result, a common C slip: the call
** panics naming the encoder, alone, in an array, or from a raw NIF. */
typedef struct unset_out {
    int unused;
} unset_out;

static bool cnif_decode_unset_out(cnif_env *env, ERL_NIF_TERM term,
                                  unset_out *out)
{
    (void)term;
    out->unused = 0;
    return cnif_decode_fail(env, term, "nothing: unset_out is only returned");
}
static ERL_NIF_TERM cnif_encode_unset_out(cnif_env *env, unset_out value)
{
    ERL_NIF_TERM never_set = 0;
    (void)env, (void)value;
    return never_set;
}
CNIF_DEFINE_ARRAY(unset_out)

static unset_out give_unset(cnif_env *env)
{
    (void)env;
    return (unset_out){0};
}
CNIF_EXPORT(give_unset, unset_out) /* site:give_unset */

static cnif_array_unset_out give_unset_list(cnif_env *env, size_t n)
{
    cnif_array_unset_out a = {cnif_alloc(env, n * sizeof(unset_out)), n};
    return a;
}
CNIF_EXPORT(give_unset_list, cnif_array_unset_out, size_t) /* site:give_unset_list */

static ERL_NIF_TERM raw_unset(cnif_env *env, int argc, const ERL_NIF_TERM argv[])
{
    (void)env, (void)argc, (void)argv;
    return 0;
}
CNIF_EXPORT_RAW(raw_unset, 0) /* site:raw_unset */

/* The array of bool, by the name a user writes. */
static cnif_array_bool echo_bools(cnif_env *env, cnif_array_bool bools)
{
    (void)env;
    return bools;
}
CNIF_EXPORT(echo_bools, cnif_array_bool, cnif_array_bool)

/* --- Recursive one-of ------------------------------------------------------
** expr = integer | [expr], and twin = [twin] | [twin] | integer, whose
** two list alternatives both decode the whole rest of the term. The
** integer leaves are decoded by a counting codec, so a test sees how much
** work a decode did: it must grow linearly with the depth. */
static atomic_long leaf_decodes;

typedef struct counted {
    int64_t value;
} counted;

static bool cnif_decode_counted(cnif_env *env, ERL_NIF_TERM term,
                                counted *out)
{
    atomic_fetch_add(&leaf_decodes, 1);
    return cnif_decode_int64_t(env, term, &out->value);
}
static ERL_NIF_TERM cnif_encode_counted(cnif_env *env, counted value)
{
    return cnif_encode_int64_t(env, value.value);
}
CNIF_CODEC(counted)

#define RECURSIVE_ONE_OF(T, ALTERNATIVES)                                     \
    typedef struct T T;                                                       \
    typedef struct T##_list {                                                 \
        T *items;                                                             \
        size_t len;                                                           \
    } T##_list;                                                               \
    typedef T##_list T##_items;                                               \
    static bool cnif_decode_##T##_items(cnif_env *, ERL_NIF_TERM,             \
                                        T##_list *);                          \
    static ERL_NIF_TERM cnif_encode_##T##_items(cnif_env *, T##_list);        \
    CNIF_CODEC(T##_items)                                                     \
    typedef enum { T##_LEAF, T##_LIST, T##_LIST2 } T##_kind;                  \
    struct T {                                                                \
        T##_kind kind;                                                        \
        union {                                                               \
            counted leaf;                                                     \
            T##_list list;                                                    \
        };                                                                    \
    };                                                                        \
    CNIF_DEFINE_ONE_OF(T, kind, ALTERNATIVES)                                 \
    CNIF_DEFINE_ARRAY_AS(T##_array, T##_list, T)                              \
    static bool cnif_decode_##T##_items(cnif_env *env, ERL_NIF_TERM term,     \
                                        T##_list *out)                        \
    {                                                                         \
        return cnif_decode_##T##_array(env, term, out);                       \
    }                                                                         \
    static ERL_NIF_TERM cnif_encode_##T##_items(cnif_env *env, T##_list v)    \
    {                                                                         \
        return cnif_encode_##T##_array(env, v);                               \
    }                                                                         \
    static T echo_##T(cnif_env *env, T value)                                 \
    {                                                                         \
        (void)env;                                                            \
        return value;                                                         \
    }                                                                         \
    CNIF_EXPORT(echo_##T, T, T)

#define EXPR_ALTERNATIVES(ALT)                                                \
    ALT(expr_LEAF, counted, leaf) ALT(expr_LIST, expr_items, list)
RECURSIVE_ONE_OF(expr, EXPR_ALTERNATIVES)

#define TWIN_ALTERNATIVES(ALT)                                                \
    ALT(twin_LIST, twin_items, list) ALT(twin_LIST2, twin_items, list)        \
    ALT(twin_LEAF, counted, leaf)
RECURSIVE_ONE_OF(twin, TWIN_ALTERNATIVES)

static int64_t leaf_count(cnif_env *env)
{
    (void)env;
    return atomic_exchange(&leaf_decodes, 0);
}
CNIF_EXPORT(leaf_count, int64_t)

/* --- Atoms with NUL ------------------------------------------------------- */
typedef enum { RED, GREEN } color;
static const cnif_enum_entry color_atoms[] = {
    {RED, "red"}, {GREEN, "green"}, {0, NULL}};
CNIF_DEFINE_ENUM(color, color_atoms)

static color echo_color(cnif_env *env, color c)
{
    (void)env;
    return c;
}
CNIF_EXPORT(echo_color, color, color)

static cnif_atom echo_atom(cnif_env *env, cnif_atom a)
{
    (void)env;
    return a;
}
CNIF_EXPORT(echo_atom, cnif_atom, cnif_atom)

/* An atom from a name (test only: encoding makes the atom). */
static cnif_atom atom_named(cnif_env *env, cnif_cstr name)
{
    (void)env;
    return name;
}
CNIF_EXPORT(atom_named, cnif_atom, cnif_cstr)

/* The value of the key named `name` of a map, found without making the
** atom: `missing` if there is no such atom or key. */
static cnif_term key_value(cnif_env *env, cnif_map map, cnif_cstr name)
{
    cnif_term value;
    if (!CNIF_MAP_GET(env, map, name, cnif_term, &value))
        return enif_make_atom(cnif_nif_env(env), "missing");
    return value;
}
CNIF_EXPORT(key_value, cnif_term, cnif_map, cnif_cstr)

/* cnif_enum_decode, the run-time table form. */
static int64_t color_index(cnif_env *env, cnif_term term)
{
    int value;
    if (!cnif_enum_decode(env, term, color_atoms, &value))
        return -1;
    return value;
}
CNIF_EXPORT(color_index, int64_t, cnif_term)

/* --- A value that looks like a bad-argument report ------------------------ */
static cnif_term echo_term(cnif_env *env, cnif_term t)
{
    (void)env;
    return t;
}
CNIF_EXPORT(echo_term, cnif_term, cnif_term)

/* --- cnif_raise_badarg's argument number ------------------------------------ */
static void raise_badarg_at(cnif_env *env, int argno, int64_t unused)
{
    (void)unused;
    cnif_raise_badarg(env, argno, "argument %d is wrong", argno); /* site:raise_badarg */
}
CNIF_EXPORT(raise_badarg_at, void, int, int64_t)

static void raise_badarg_arity0(cnif_env *env)
{
    cnif_raise_badarg(env, 1, "no argument to blame"); /* site:raise_badarg0 */
}
CNIF_EXPORT(raise_badarg_arity0, void)

/* --- Inside cnif_try, the outer call's state -------------------------------
** try_sees_yield: a yielding step spins until its slice is used up, then
** asks cnif_yield_due inside a cnif_try. try_sees_cancel: a job waits for
** its caller to die, then asks cnif_job_cancelled inside a cnif_try; the
** answer is kept for try_cancel_seen. */
static ERL_NIF_TERM ask_yield_due(cnif_env *inner, void *arg)
{
    (void)arg;
    return cnif_encode_bool(inner, cnif_yield_due(inner));
}

typedef struct spin_state {
    int done;
} spin_state;

static void try_sees_yield_init(cnif_env *env, spin_state *s, bool go)
{
    (void)env;
    s->done = !go;
}

static bool try_sees_yield_step(cnif_env *env, spin_state *s, bool *result)
{
    ERL_NIF_TERM seen;
    (void)s;
    while (!cnif_yield_due(env))
        ;
    if (!cnif_try(env, ask_yield_due, NULL, &seen))
        cnif_raise(env, seen);
    *result = seen == cnif_encode_bool(env, true);
    return true;
}
CNIF_EXPORT_YIELDING(try_sees_yield, bool, spin_state, bool)

static atomic_int cancel_seen = -1;

static ERL_NIF_TERM ask_cancelled(cnif_env *inner, void *arg)
{
    (void)arg;
    return cnif_encode_bool(inner, cnif_job_cancelled(inner));
}

static bool try_sees_cancel(cnif_env *env, int64_t timeout_ms)
{
    ERL_NIF_TERM seen;
    ErlNifTime until =
        enif_monotonic_time(ERL_NIF_MSEC) + (ErlNifTime)timeout_ms;

    while (!cnif_job_cancelled(env) && enif_monotonic_time(ERL_NIF_MSEC) < until)
        ;
    if (!cnif_try(env, ask_cancelled, NULL, &seen))
        cnif_raise(env, seen);
    atomic_store(&cancel_seen, seen == cnif_encode_bool(env, true));
    return true;
}
CNIF_EXPORT_THREADED(try_sees_cancel, bool, int64_t)

static int64_t try_cancel_seen(cnif_env *env)
{
    (void)env;
    return atomic_exchange(&cancel_seen, -1);
}
CNIF_EXPORT(try_cancel_seen, int64_t)

/* cnif_job_cancelled and cnif_yield_due inside cnif_try in a plain call:
** both false, as outside the try. */
static bool try_plain(cnif_env *env)
{
    ERL_NIF_TERM cancelled, due;
    return cnif_try(env, ask_cancelled, NULL, &cancelled)
           && cnif_try(env, ask_yield_due, NULL, &due)
           && cancelled == cnif_encode_bool(env, false)
           && due == cnif_encode_bool(env, false);
}
CNIF_EXPORT(try_plain, bool)

/* --- A yielding call's cleanup with an env of its own -----------------------
** defer_env_yield(Forever): init registers a cleanup that allocates and
** panics through the env it is given. The call yields once and completes,
** or (Forever) yields until its process is killed, so that the cleanup
** runs in the destructor of the call's state. */
typedef struct yield_twice {
    bool forever;
    int slices;
} yield_twice;

static void failing_cleanup(cnif_env *now, void *arg)
{
    (void)arg;
    cnif_alloc(now, 64);
    cnif_panic(now, "cleanup with its own env"); /* site:defer_env */
}

static void defer_env_yield_init(cnif_env *env, yield_twice *s, bool forever)
{
    s->forever = forever;
    cnif_defer_env(env, failing_cleanup, NULL);
}

static bool defer_env_yield_step(cnif_env *env, yield_twice *s, bool *result)
{
    (void)env;
    *result = true;
    return !s->forever && ++s->slices > 1;
}
CNIF_EXPORT_YIELDING(defer_env_yield, bool, yield_twice, bool)

/* --- A callback that registered a cleanup, then panicked -------------------- */
typedef struct fragile {
    int unused;
} fragile;

static void noop(void *arg)
{
    (void)arg;
}

static void fragile_destroy(cnif_env *env, fragile *f)
{
    (void)f;
    cnif_defer(env, noop, NULL);
    cnif_panic(env, "destroy failed"); /* site:fragile_destroy */
}
CNIF_DEFINE_RESOURCE(fragile, .destroy = fragile_destroy)

static void fragile_drop(cnif_env *env)
{
    cnif_resource_new(env, fragile);
}
CNIF_EXPORT(fragile_drop, void)

/* --- cnif_priv in a threaded NIF's body ------------------------------------ */
static int64_t the_answer = 42;

static int load(cnif_env *env, void **priv, ERL_NIF_TERM info)
{
    (void)env, (void)info;
    *priv = &the_answer;
    return 0;
}

static int64_t priv_in_pool(cnif_env *env)
{
    return *(int64_t *)cnif_priv(env);
}
CNIF_EXPORT_THREADED(priv_in_pool, int64_t)

static int64_t priv_in_thread(cnif_env *env)
{
    return *(int64_t *)cnif_priv(env);
}
CNIF_EXPORT_THREAD(priv_in_thread, int64_t)

/* --- Calls that need a process, where there is none ---------------------------
** A job's thread and a destructor run for no process: charging a
** timeslice does nothing there, and a select, which would notify no one,
** panics. */
static bool slice_in_job(cnif_env *env)
{
    return cnif_timeslice_consume(env, 50);
}
CNIF_EXPORT_THREADED(slice_in_job, bool)

static atomic_int slice_in_destroy_said = -1;

typedef struct sliced {
    int unused;
} sliced;

static void sliced_destroy(cnif_env *env, sliced *s)
{
    (void)s;
    atomic_store(&slice_in_destroy_said, cnif_timeslice_consume(env, 50));
}
CNIF_DEFINE_RESOURCE(sliced, .destroy = sliced_destroy)

static void sliced_drop(cnif_env *env)
{
    cnif_resource_new(env, sliced);
}
CNIF_EXPORT(sliced_drop, void)

static int64_t slice_in_destroy(cnif_env *env)
{
    (void)env;
    return atomic_exchange(&slice_in_destroy_said, -1);
}
CNIF_EXPORT(slice_in_destroy, int64_t)

static void select_in_job(cnif_env *env)
{
    cnif_select(env, 0, CNIF_SELECT_READ, cnif_resource_new(env, sliced),
                CNIF_UNDEFINED);
}
CNIF_EXPORT_THREADED(select_in_job, void) /* site:select_in_job */

CNIF_MODULE(regress_nif, load, NULL, NULL)
