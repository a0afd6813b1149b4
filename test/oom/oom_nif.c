/* oom_nif.c -- representative calls of every cnif feature, for the
** allocation-failure sweep of oom_tests.erl. Each NIF is one feature's
** "call under test": its allocations are what oom_wrap.c fails one by one.
** Most are echoes or small bodies with a known result, so a call that
** completes can be checked exactly. */
#include <cnif.h>
#include <stdatomic.h>
#include <string.h>

/* --- Codecs ---------------------------------------------------------------- */
/* echo_T/1: decoded as T and encoded back. */
#define ECHO(T)                                                               \
    static T echo_##T(cnif_env *env, T v) { return (void)env, v; }            \
    CNIF_EXPORT(echo_##T, T, T)

ECHO(int64_t)
ECHO(double)
ECHO(cnif_atom)

typedef enum { RED, GREEN, BLUE } color;
static const cnif_enum_entry color_atoms[] = {
    {RED, "red"}, {GREEN, "green"}, {BLUE, "blue"}, {0, NULL}};
CNIF_DEFINE_ENUM(color, color_atoms)
ECHO(color)

/* Bytes and text from iolists: flattened into call-scoped memory, encoded
** into new binaries. A C string is a binary's text copied with its NUL. */
ECHO(cnif_iodata)
ECHO(cnif_iotext)
ECHO(cnif_cstr)
ECHO(cnif_array_cnif_cstr)
CNIF_DEFINE_ARRAY(cnif_array_int64_t)
ECHO(cnif_array_cnif_array_int64_t)

/* Any term as a tree: big integers go through the external term format. */
ECHO(cnif_value)

/* bin's bytes in reverse order, in a binary made by cnif_bin_new. */
static cnif_bin bin_reverse(cnif_env *env, cnif_bin bin)
{
    unsigned char *out;
    cnif_bin reversed = cnif_bin_new(env, bin.size, &out);
    for (size_t i = 0; i < bin.size; i++)
        out[i] = bin.data[bin.size - 1 - i];
    return reversed;
}
CNIF_EXPORT(bin_reverse, cnif_bin, cnif_bin)

/* bin repeated `times`, in a builder that starts at one copy and doubles
** its capacity whenever the next copy does not fit: it reallocates. */
static cnif_bin bin_repeat(cnif_env *env, cnif_bin bin, size_t times)
{
    size_t capacity = bin.size, used = 0;
    cnif_bin_builder *b = cnif_bin_alloc(env, capacity);
    while (times--) {
        if (used + bin.size > capacity)
            cnif_bin_realloc(env, b, capacity *= 2);
        memcpy(cnif_bin_data(b) + used, bin.data, bin.size);
        used += bin.size;
    }
    cnif_bin_realloc(env, b, used); /* trimmed to what was written */
    return cnif_bin_finish(env, b);
}
CNIF_EXPORT(bin_repeat, cnif_bin, cnif_bin, size_t)

/* A sub-binary of an iolist: flattened, copied into a binary, then cut. */
static cnif_bin bin_sub(cnif_env *env, cnif_iodata bin, size_t pos, size_t size)
{
    return cnif_bin_sub(env, bin, pos, size);
}
CNIF_EXPORT(bin_sub, cnif_bin, cnif_iodata, size_t, size_t)

/* A user codec built on the tuple codec: {A, B} with B an integer. A
** shorter tuple fails in CNIF_TUPLE_GET, whose message is made in
** call-scoped memory. Encoded with cnif_tuple_make, swapped. */
typedef struct pair {
    ERL_NIF_TERM a;
    int64_t b;
} pair;

static bool cnif_decode_pair(cnif_env *env, ERL_NIF_TERM term, pair *out)
{
    cnif_tuple t;
    return cnif_decode_cnif_tuple(env, term, &t)
           && CNIF_TUPLE_GET(env, t, 0, cnif_term, &out->a)
           && CNIF_TUPLE_GET(env, t, 1, int64_t, &out->b);
}

static ERL_NIF_TERM cnif_encode_pair(cnif_env *env, pair p)
{
    ERL_NIF_TERM *items = cnif_alloc(env, 2 * sizeof *items);
    items[0] = cnif_encode_int64_t(env, p.b);
    items[1] = p.a;
    return cnif_tuple_make(env, 2, items);
}
ECHO(pair)

/* A map from a list of {Key, Value}, one cnif_map_put at a time; and the
** same with cnif_map_from_arrays. */
typedef struct kv {
    cnif_term key, value;
} kv;
#define KV_FIELDS(F) F(cnif_term, key) F(cnif_term, value)
CNIF_DEFINE_STRUCT(kv, KV_FIELDS, .as = CNIF_AS_TUPLE)
CNIF_DEFINE_ARRAY(kv)

static cnif_map map_build(cnif_env *env, cnif_array_kv pairs)
{
    cnif_map map = cnif_map_new(env);
    for (size_t i = 0; i < pairs.len; i++)
        map = cnif_map_put(env, map, pairs.items[i].key, pairs.items[i].value);
    return map;
}
CNIF_EXPORT(map_build, cnif_map, cnif_array_kv)

static cnif_map map_from_pairs(cnif_env *env, cnif_array_kv pairs)
{
    ERL_NIF_TERM *keys = cnif_alloc(env, pairs.len * sizeof *keys);
    ERL_NIF_TERM *values = cnif_alloc(env, pairs.len * sizeof *values);
    for (size_t i = 0; i < pairs.len; i++) {
        keys[i] = pairs.items[i].key;
        values[i] = pairs.items[i].value;
    }
    return cnif_map_from_arrays(env, keys, values, pairs.len);
}
CNIF_EXPORT(map_from_pairs, cnif_map, cnif_array_kv)

/* The sum of a map's integer values, by iteration. */
static int64_t map_sum(cnif_env *env, cnif_map map)
{
    cnif_map_iter it = cnif_map_iter_start(env, map);
    ERL_NIF_TERM k, v;
    int64_t sum = 0, x;
    while (cnif_map_iter_next(env, it, &k, &v))
        if (cnif_decode_int64_t(env, v, &x))
            sum += x;
    return sum;
}
CNIF_EXPORT(map_sum, int64_t, cnif_map)

/* The same after pad bytes of call-scoped memory: some pad puts the end of
** a chunk between the iterator's creation and its cleanup's registration. */
static int64_t map_sum_padded(cnif_env *env, cnif_map map, size_t pad)
{
    memset(cnif_alloc(env, pad), 0, pad);
    return map_sum(env, map);
}
CNIF_EXPORT(map_sum_padded, int64_t, cnif_map, size_t)

/* A user codec built on the map codec: the value under the atom key
** `size` (a missing key is a bad argument, its message made in call-scoped
** memory). */
typedef int64_t sized;

static bool cnif_decode_sized(cnif_env *env, ERL_NIF_TERM term, sized *out)
{
    cnif_map map;
    return cnif_decode_cnif_map(env, term, &map)
           && CNIF_MAP_GET(env, map, "size", int64_t, out);
}
#define cnif_encode_sized cnif_encode_int64_t
ECHO(sized)

/* --- Structs in every form, unions, optionals, results ----------------------
** Their text is cnif_iotext: an iolist gives each form's decode an
** allocation (its flattening) to fail, where a binary is borrowed. */
typedef struct point {
    double x, y;
    cnif_iotext label;
} point;
#define POINT_FIELDS(F) F(double, x) F(double, y) F(cnif_iotext, label, .optional = true)
CNIF_DEFINE_STRUCT(point, POINT_FIELDS, .as = CNIF_AS_MAP, .reject_unknown = true)
CNIF_DEFINE_STRUCT_AS(point_rec, point, POINT_FIELDS, .as = CNIF_AS_RECORD,
                      .tag = "point")
CNIF_DEFINE_STRUCT_AS(point_ex, point, POINT_FIELDS, .as = CNIF_AS_STRUCT,
                      .module = "Elixir.Oom.Point")
CNIF_DEFINE_STRUCT_AS(point_tup, point, POINT_FIELDS, .as = CNIF_AS_TUPLE)
CNIF_DEFINE_ARRAY(point)
ECHO(point)
ECHO(point_rec)
ECHO(point_ex)
ECHO(point_tup)
ECHO(cnif_array_point)

typedef enum { SHAPE_EMPTY, SHAPE_CIRCLE, SHAPE_AT } shape_kind;
typedef struct shape {
    shape_kind kind;
    union {
        double r;
        point at;
    };
} shape;
#define SHAPE_VARIANTS(TAG, VALUE)                                            \
    TAG(empty, SHAPE_EMPTY) VALUE(circle, SHAPE_CIRCLE, double, r)            \
    VALUE(at, SHAPE_AT, point, at)
CNIF_DEFINE_UNION(shape, kind, SHAPE_VARIANTS)
CNIF_DEFINE_ARRAY(shape)
ECHO(cnif_array_shape)

typedef enum { ID_NUM, ID_NAME, ID_POINT } id_kind;
typedef struct id {
    id_kind kind;
    union {
        int64_t num;
        cnif_iotext name;
        point_rec pt;
    };
} id;
#define ID_ALTERNATIVES(ALT)                                                  \
    ALT(ID_NUM, int64_t, num) ALT(ID_NAME, cnif_iotext, name) ALT(ID_POINT, point_rec, pt)
CNIF_DEFINE_ONE_OF(id, kind, ID_ALTERNATIVES)
CNIF_DEFINE_ARRAY(id)
ECHO(cnif_array_id)

CNIF_DEFINE_OPTIONAL(maybe_point, point, CNIF_UNDEFINED)
ECHO(maybe_point)
CNIF_DEFINE_RESULT(str_result, cnif_iotext, cnif_atom)
ECHO(str_result)

/* --- The error path ---------------------------------------------------------- */

/* A bad-argument report made in the body. */
static void refuse(cnif_env *env, int64_t n)
{
    cnif_raise_badarg(env, 1, "%lld is not welcome here", (long long)n);
}
CNIF_EXPORT(refuse, void, int64_t)

/* A panic after the body made some call-scoped memory. */
static void give_up(cnif_env *env, size_t scratch)
{
    memset(cnif_alloc(env, scratch), 0, scratch);
    cnif_panic(env, "gave up after %zu bytes", scratch);
}
CNIF_EXPORT(give_up, void, size_t)

/* A cleanup that panics, after a body that returns a new binary. */
static void panicking_cleanup(void *arg)
{
    cnif_panic(NULL, "cleanup %s panicked", (const char *)arg);
}

static cnif_bin cleanup_panics(cnif_env *env, cnif_cstr name)
{
    unsigned char *data;
    cnif_bin bin = cnif_bin_new(env, strlen(name), &data);
    memcpy(data, name, strlen(name));
    cnif_defer(env, panicking_cleanup, (void *)name);
    return bin;
}
CNIF_EXPORT(cleanup_panics, cnif_bin, cnif_cstr)

/* error:<<Text>>, encoded in the encode phase. */
static void raise_text(cnif_env *env, cnif_cstr text)
{
    CNIF_RAISE(env, cnif_cstr, text);
}
CNIF_EXPORT(raise_text, void, cnif_cstr)

/* A nested guard that panics; its exception is raised again. */
static ERL_NIF_TERM inner_panics(cnif_env *inner, void *arg)
{
    memset(cnif_alloc(inner, 5000), 0, 5000);
    cnif_panic(inner, "inner call %s panicked", (const char *)arg);
}

static void try_reraise(cnif_env *env, cnif_cstr name)
{
    ERL_NIF_TERM exception;
    if (!cnif_try(env, inner_panics, (void *)name, &exception))
        cnif_raise(env, exception);
}
CNIF_EXPORT(try_reraise, void, cnif_cstr)

/* --- Resources ---------------------------------------------------------------- */
static atomic_long downs;

typedef struct blob {
    int64_t id;
    bool panic_on_destroy;
    unsigned char bytes[64];
} blob;

static void blob_destroy(cnif_env *env, blob *b)
{
    memset(cnif_alloc(env, 6000), 0, 6000);
    if (b->panic_on_destroy)
        cnif_panic(env, "blob %lld refused to go", (long long)b->id);
}

static void blob_down(cnif_env *env, blob *b, cnif_pid pid, ErlNifMonitor mon)
{
    (void)pid, (void)mon;
    memset(cnif_alloc(env, 7000), 0, 7000);
    b->id = -b->id;
    atomic_fetch_add(&downs, 1);
}
CNIF_DEFINE_RESOURCE(blob, .destroy = blob_destroy, .down = blob_down)

static cnif_res_blob blob_new(cnif_env *env, int64_t id, bool panic_on_destroy)
{
    blob *b = cnif_resource_new(env, blob);
    *b = (blob){.id = id, .panic_on_destroy = panic_on_destroy};
    return b;
}
CNIF_EXPORT(blob_new, cnif_res_blob, int64_t, bool)

static int64_t blob_id(cnif_env *env, cnif_res_blob b)
{
    (void)env;
    return b->id;
}
CNIF_EXPORT(blob_id, int64_t, cnif_res_blob)

/* A fresh blob's bytes as a binary that keeps it alive. */
static cnif_bin blob_bytes(cnif_env *env, uint8_t fill)
{
    blob *b = cnif_resource_new(env, blob);
    memset(b->bytes, fill, sizeof b->bytes);
    return cnif_resource_binary(env, b, b->bytes, sizeof b->bytes);
}
CNIF_EXPORT(blob_bytes, cnif_bin, uint8_t)

/* A fresh blob watching pid: {Blob, 0 | 1}. */
typedef struct watched {
    cnif_res_blob blob;
    int rc;
} watched;
#define WATCHED_FIELDS(F) F(cnif_res_blob, blob) F(int, rc)
CNIF_DEFINE_STRUCT(watched, WATCHED_FIELDS, .as = CNIF_AS_TUPLE)

static watched blob_watch(cnif_env *env, int64_t id, cnif_pid pid)
{
    ErlNifMonitor mon;
    blob *b = cnif_resource_new(env, blob);
    b->id = id;
    return (watched){b, cnif_resource_monitor(env, b, &pid, &mon)};
}
CNIF_EXPORT(blob_watch, watched, int64_t, cnif_pid)

static int64_t down_count(cnif_env *env)
{
    (void)env;
    return atomic_load(&downs);
}
CNIF_EXPORT(down_count, int64_t)

/* --- Long work -------------------------------------------------------------- */

/* Sum 0..n-1 in slices of `chunk`, yielding after each; every slice takes
** fresh call-scoped memory (a chunk of its own); the result is a binary
** "sum=N". */
typedef struct ysum_state {
    int64_t n, chunk, i, acc;
} ysum_state;

static void ysum_init(cnif_env *env, ysum_state *s, int64_t n, int64_t chunk)
{
    memset(cnif_alloc(env, 5000), 0, 5000);
    s->n = n;
    s->chunk = chunk;
}

static bool ysum_step(cnif_env *env, ysum_state *s, cnif_cstr *result)
{
    char *text;
    memset(cnif_alloc(env, 5000), 0, 5000);
    for (int64_t end = s->i + s->chunk; s->i < s->n && s->i < end; s->i++)
        s->acc += s->i;
    if (s->i < s->n)
        return false;
    text = cnif_alloc(env, 32);
    snprintf(text, 32, "sum=%lld", (long long)s->acc);
    *result = text;
    return true;
}
CNIF_EXPORT_YIELDING(ysum, cnif_cstr, ysum_state, int64_t, int64_t)

/* A job: the bytes of parts joined, repeated `times`, via call-scoped
** memory on the job's thread (a chunk of its own, whatever the size);
** `fail` makes it panic there instead. */
static cnif_bin job_work(cnif_env *env, cnif_array_cnif_bin parts, size_t times,
                         bool fail)
{
    size_t size = 0, at = 0;
    unsigned char *out, *data;
    for (size_t i = 0; i < parts.len; i++)
        size += parts.items[i].size;
    out = cnif_alloc(env, size * times + 8000);
    for (size_t t = 0; t < times; t++)
        for (size_t i = 0; i < parts.len; i++) {
            memcpy(out + at, parts.items[i].data, parts.items[i].size);
            at += parts.items[i].size;
        }
    if (fail)
        cnif_panic(env, "job of %zu bytes gave up", at);
    cnif_bin bin = cnif_bin_new(env, at, &data);
    memcpy(data, out, at);
    return bin;
}

static cnif_bin pool_work(cnif_env *env, cnif_array_cnif_bin parts, size_t times,
                          bool fail)
{
    return job_work(env, parts, times, fail);
}
CNIF_EXPORT_THREADED(pool_work, cnif_bin, cnif_array_cnif_bin, size_t, bool)

static cnif_bin thread_work(cnif_env *env, cnif_array_cnif_bin parts,
                            size_t times, bool fail)
{
    return job_work(env, parts, times, fail);
}
CNIF_EXPORT_THREAD(thread_work, cnif_bin, cnif_array_cnif_bin, size_t, bool)

/* --- Messages ---------------------------------------------------------------- */
static void free_msg_env(void *msg_env)
{
    enif_free_env(msg_env);
}

/* Send {oom_msg, Term} to `to` from an env of the call's own. */
static bool send_copy(cnif_env *env, cnif_pid to, cnif_term term)
{
    ErlNifEnv *msg_env = enif_alloc_env();
    if (!msg_env)
        cnif_panic(env, "out of memory: cannot allocate a message env");
    cnif_defer(env, free_msg_env, msg_env);
    return cnif_send(env, &to, msg_env,
                     enif_make_tuple2(msg_env, enif_make_atom(msg_env, "oom_msg"),
                                      enif_make_copy(msg_env, term)));
}

static bool send_normal(cnif_env *env, cnif_pid to, cnif_term term)
{
    return send_copy(env, to, term);
}
CNIF_EXPORT(send_normal, bool, cnif_pid, cnif_term)

static bool send_pool(cnif_env *env, cnif_pid to, cnif_term term)
{
    return send_copy(env, to, term);
}
CNIF_EXPORT_THREADED(send_pool, bool, cnif_pid, cnif_term)

CNIF_MODULE(oom_nif, NULL, NULL, NULL)
