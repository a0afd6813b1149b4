/* cover_nif.c -- the NIFs behind test/cover_tests.erl: the documented
** behaviours the other suites leave unexercised, found by `make coverage`
** (docs/coverage.md). Each NIF drives one public entry point into one edge:
** a message cut at the size limit, a decoder that fails after the call has
** settled, a tuple built in C, a map built off the schedulers, a union
** whose kind is not an int, a resource type that was never opened...
**
** Panics raised by cnif on a NIF's behalf are located at its export line
** (a resource's callbacks: at its definition), marked "site:NAME" for the
** tests to find. */
#include <cnif.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static ERL_NIF_TERM atom(cnif_env *env, const char *name)
{
    return enif_make_atom(cnif_nif_env(env), name);
}

/* Bytes as a NUL-terminated string in call-scoped memory, whatever they
** hold (the NIFs below hand cnif names and keys that are not UTF-8). */
static char *c_string(cnif_env *env, cnif_bin bytes)
{
    char *s = cnif_alloc(env, bytes.size + 1);
    memcpy(s, bytes.data, bytes.size);
    s[bytes.size] = '\0';
    return s;
}

/* name/1 decodes its argument as T and returns it encoded again. */
#define ECHO(name, T)                                                         \
    static T name(cnif_env *env, T value)                                     \
    {                                                                         \
        (void)env;                                                            \
        return value;                                                         \
    }                                                                         \
    CNIF_EXPORT(name, T, T)

/* --- Hooks -----------------------------------------------------------------
** Normally a plain load. The child VMs of cover_tests set CNIF_COVER_LOAD
** to make the load hook raise a term or a bad argument (decoding its load
** info as an integer), and CNIF_COVER_UNLOAD to make the unload hook panic. load_info/0 returns the term the load hook was given. */
static ErlNifEnv *load_info_env;
static ERL_NIF_TERM load_info_seen;
static const char *unload_mode;

static int load(cnif_env *env, void **priv_data, ERL_NIF_TERM info)
{
    const char *mode = getenv("CNIF_COVER_LOAD");

    (void)priv_data;
    unload_mode = getenv("CNIF_COVER_UNLOAD");
    if (mode && strcmp(mode, "raise") == 0)
        cnif_raise(env, atom(env, "refused"));
    if (mode && strcmp(mode, "badarg") == 0) {
        int64_t not_an_int;
        CNIF_ARG(env, &info, 0, int64_t, &not_an_int);
    }
    if (!load_info_env)
        load_info_env = enif_alloc_env();
    load_info_seen = enif_make_copy(load_info_env, info);
    return 0;
}

static void unload(cnif_env *env, void *priv_data)
{
    (void)priv_data;
    if (unload_mode && strcmp(unload_mode, "panic") == 0)
        cnif_panic(env, "unload refused"); /* site:unload */
}

static cnif_term load_info(cnif_env *env)
{
    return enif_make_copy(cnif_nif_env(env), load_info_seen);
}
CNIF_EXPORT(load_info, cnif_term)

CNIF_MODULE(cover_nif, load, NULL, unload)

/* --- Messages cut at CNIF_MESSAGE_MAX ------------------------------------- */

static void panic_text(cnif_env *env, cnif_bin text)
{
    cnif_panic(env, "%.*s", (int)text.size, (const char *)text.data); /* site:panic_text */
}
CNIF_EXPORT(panic_text, void, cnif_bin)

/* cnif_panic_at with a file name of its own: the location is cut too. */
static void panic_at(cnif_env *env, cnif_cstr file, int line)
{
    cnif_panic_at(env, file, line, "placed");
}
CNIF_EXPORT(panic_at, void, cnif_cstr, int)

/* cnif_raise_badarg naming an argument this one-argument NIF lacks. */
static void badarg_argno(cnif_env *env, int argno)
{
    cnif_raise_badarg(env, argno, "argument %d is wrong", argno); /* site:badarg_argno */
}
CNIF_EXPORT(badarg_argno, void, int)

/* --- Decoders of the NIF's own -------------------------------------------- */

/* Fails without saying why, which a decoder should not do. */
typedef struct { char unused; } silent;
static bool cnif_decode_silent(cnif_env *env, ERL_NIF_TERM term, silent *out)
{
    (void)env, (void)term, (void)out;
    return false;
}
static ERL_NIF_TERM cnif_encode_silent(cnif_env *env, silent value)
{
    (void)value;
    return atom(env, "silent");
}
CNIF_CODEC(silent)

static bool silent_arg(cnif_env *env, silent s)
{
    (void)env, (void)s;
    return true;
}
CNIF_EXPORT(silent_arg, bool, silent)

/* An even integer; an odd one fails with a reason, not an expectation. */
typedef int64_t even;
static bool cnif_decode_even(cnif_env *env, ERL_NIF_TERM term, even *out)
{
    if (!cnif_decode_int64_t(env, term, out))
        return false;
    if (*out % 2 != 0)
        return cnif_decode_fail_reason(env, "%lld is odd", (long long)*out);
    return true;
}
static ERL_NIF_TERM cnif_encode_even(cnif_env *env, even value)
{
    return cnif_encode_int64_t(env, value);
}
CNIF_CODEC(even)
CNIF_DEFINE_ARRAY(even)

/* Fails 40 levels down a path of 100-byte keys: more segments than
** CNIF_PATH_MAX and more text than a path keeps. */
typedef struct { char unused; } long_path;
static bool cnif_decode_long_path(cnif_env *env, ERL_NIF_TERM term,
                                  long_path *out)
{
    static char key[101];
    (void)out;
    memset(key, 'k', 100);
    cnif_decode_fail(env, term, "nothing");
    for (int i = 0; i < 40; i++)
        cnif_path_key(env, key);
    return false;
}

static void long_path_arg(cnif_env *env, long_path p)
{
    (void)env, (void)p;
}
CNIF_EXPORT(long_path_arg, void, long_path)

/* --- One-of alternatives -------------------------------------------------- */

/* An array of even integers, or an integer: [2, 3] fails inside the
** array (".[1]: 3 is odd"), which says more than "a list or an integer". */
typedef enum { EVENS_LIST, EVENS_ONE } evens_kind;
typedef struct {
    evens_kind kind;
    union {
        cnif_array_even list;
        int64_t one;
    };
} evens;
#define EVENS_ALTS(ALT) ALT(EVENS_LIST, cnif_array_even, list) ALT(EVENS_ONE, int64_t, one)
CNIF_DEFINE_ONE_OF(evens, kind, EVENS_ALTS)

ECHO(evens_echo, evens)

/* A silent alternative is "a valid value" in the list of expectations. */
typedef enum { QUIET_SILENT, QUIET_INT } quiet_kind;
typedef struct {
    quiet_kind kind;
    union {
        silent s;
        int64_t i;
    };
} quiet;
#define QUIET_ALTS(ALT) ALT(QUIET_SILENT, silent, s) ALT(QUIET_INT, int64_t, i)
CNIF_DEFINE_ONE_OF(quiet, kind, QUIET_ALTS)

ECHO(quiet_echo, quiet)

/* {Inner, Int}, {Inner, Str} or {Inner2, Atom}, Inner an integer or a
** string, Inner2 an integer or an atom: the first alternative decodes
** Inner and then fails on the second element, so the second alternative
** finds Inner decoded already. A list of them fills the table of decoded
** one-ofs, where both inner one-ofs keep entries, past its first sizes. */
typedef enum { INNER_NUM, INNER_NAME } inner_kind;
typedef struct {
    inner_kind kind;
    union {
        int64_t num;
        cnif_str name;
    };
} inner;
#define INNER_ALTS(ALT) ALT(INNER_NUM, int64_t, num) ALT(INNER_NAME, cnif_str, name)
CNIF_DEFINE_ONE_OF(inner, kind, INNER_ALTS)

typedef struct { inner a; int64_t b; } with_int;
#define WITH_INT_FIELDS(F) F(inner, a) F(int64_t, b)
CNIF_DEFINE_STRUCT(with_int, WITH_INT_FIELDS, .as = CNIF_AS_TUPLE)

typedef struct { inner a; cnif_str b; } with_str;
#define WITH_STR_FIELDS(F) F(inner, a) F(cnif_str, b)
CNIF_DEFINE_STRUCT(with_str, WITH_STR_FIELDS, .as = CNIF_AS_TUPLE)

typedef enum { INNER2_NUM, INNER2_ATOM } inner2_kind;
typedef struct {
    inner2_kind kind;
    union {
        int64_t num;
        cnif_atom name;
    };
} inner2;
#define INNER2_ALTS(ALT) ALT(INNER2_NUM, int64_t, num) ALT(INNER2_ATOM, cnif_atom, name)
CNIF_DEFINE_ONE_OF(inner2, kind, INNER2_ALTS)

typedef struct { inner2 a; cnif_atom b; } with_atom;
#define WITH_ATOM_FIELDS(F) F(inner2, a) F(cnif_atom, b)
CNIF_DEFINE_STRUCT(with_atom, WITH_ATOM_FIELDS, .as = CNIF_AS_TUPLE)

typedef enum { OUTER_INT, OUTER_STR, OUTER_ATOM } outer_kind;
typedef struct {
    outer_kind kind;
    union {
        with_int wi;
        with_str ws;
        with_atom wa;
    };
} outer;
#define OUTER_ALTS(ALT)                                                       \
    ALT(OUTER_INT, with_int, wi) ALT(OUTER_STR, with_str, ws) ALT(OUTER_ATOM, with_atom, wa)
CNIF_DEFINE_ONE_OF(outer, kind, OUTER_ALTS)
CNIF_DEFINE_ARRAY(outer)

/* Each element's alternative, as the atom int, str or atom. */
static cnif_term outer_kinds(cnif_env *env, cnif_array_outer xs)
{
    static const char *const names[] = {"int", "str", "atom"};
    ErlNifEnv *nif = cnif_nif_env(env);
    ERL_NIF_TERM list = enif_make_list(nif, 0);
    for (size_t i = xs.len; i > 0; i--)
        list = enif_make_list_cell(nif, atom(env, names[xs.items[i - 1].kind]), list);
    return list;
}
CNIF_EXPORT(outer_kinds, cnif_term, cnif_array_outer)

ECHO(outer_echo, cnif_array_outer)

/* --- Unions whose kind is not an int --------------------------------------- */

typedef enum { W_NONE, W_SOME } w_kind;
#define W_VARIANTS(TAG, VALUE) TAG(none, W_NONE) VALUE(some, W_SOME, int64_t, v)

typedef struct {
    int16_t kind;
    union {
        int64_t v;
    };
} narrow;
CNIF_DEFINE_UNION(narrow, kind, W_VARIANTS)

typedef struct {
    int64_t kind;
    union {
        int64_t v;
    };
} wide;
CNIF_DEFINE_UNION(wide, kind, W_VARIANTS)

ECHO(narrow_echo, narrow)

ECHO(wide_echo, wide)

/* A hand-made descriptor whose kind field is kind_size bytes. */
static void union_init(cnif_env *env, size_t kind_size)
{
    static const cnif_variant variants[] = {{"only", 0, 0, NULL, NULL}};
    static ERL_NIF_TERM tags[1];
    cnif_union d = {"odd", variants, 1, tags, 0, kind_size, 16};
    cnif_union_init(env, &d);
}
CNIF_EXPORT(union_init, void, size_t) /* site:union_init */

/* --- Structs --------------------------------------------------------------- */

typedef struct { int64_t x, y; } pt;
#define PT_FIELDS(F) F(int64_t, x) F(int64_t, y)
CNIF_DEFINE_STRUCT(pt, PT_FIELDS, .as = CNIF_AS_RECORD, .tag = "pt")

ECHO(pt_echo, pt)

/* A recursive struct, {Value, [Child]}, through an array type of its own
** declared ahead: nesting deep enough runs out of CNIF_MAX_DEPTH at a
** struct (a level of nesting is a struct, the next its list of kids). */
typedef struct node node;
typedef struct node_list_s {
    node *items;
    size_t len;
} node_list_s;
CNIF__INLINE bool cnif_decode_node_list(cnif_env *env, ERL_NIF_TERM term,
                                        node_list_s *out);
CNIF__INLINE ERL_NIF_TERM cnif_encode_node_list(cnif_env *env,
                                                node_list_s value);
struct node {
    int64_t value;
    node_list_s kids;
};
#define NODE_FIELDS(F) F(int64_t, value) F(node_list, kids)
CNIF_DEFINE_STRUCT(node, NODE_FIELDS, .as = CNIF_AS_TUPLE)
CNIF_DEFINE_ARRAY_AS(node_list, node_list_s, node)

/* How many nodes down the first kids go. */
static int64_t node_depth(cnif_env *env, node n)
{
    int64_t depth = 1;
    (void)env;
    for (const node *p = &n; p->kids.len; p = &p->kids.items[0])
        depth++;
    return depth;
}
CNIF_EXPORT(node_depth, int64_t, node)

/* --- Atoms and enums --------------------------------------------------------
** atom_encode(Bytes) encodes the bytes as an atom name; nil for NULL. */
static cnif_atom atom_encode(cnif_env *env, cnif_term name)
{
    cnif_bin bytes;
    if (name == atom(env, "nil"))
        return NULL;
    if (!cnif_decode_cnif_bin(env, name, &bytes))
        cnif_raise_badarg(env, 1, "not bytes");
    return c_string(env, bytes);
}
CNIF_EXPORT(atom_encode, cnif_atom, cnif_term) /* site:atom_encode */

ECHO(atom_echo, cnif_atom)

/* {Map, Key}: the value of the atom key named by the bytes Key, through
** CNIF_MAP_GET (a key of any bytes, not only UTF-8 ones). */
typedef struct { cnif_term value; } keyed;
static bool cnif_decode_keyed(cnif_env *env, ERL_NIF_TERM term, keyed *out)
{
    const ERL_NIF_TERM *parts;
    int arity;
    cnif_bin key;
    if (!enif_get_tuple(cnif_nif_env(env), term, &arity, &parts) || arity != 2
        || !cnif_decode_cnif_bin(env, parts[1], &key))
        return cnif_decode_fail(env, term, "{Map, Key}");
    return CNIF_MAP_GET(env, (cnif_map){parts[0]}, c_string(env, key), cnif_term,
                        &out->value);
}

static cnif_term map_get_key(cnif_env *env, keyed k)
{
    (void)env;
    return k.value;
}
CNIF_EXPORT(map_get_key, cnif_term, keyed)

/* A run-time enum table through cnif_enum_decode / cnif_enum_encode. */
static const cnif_enum_entry shade_table[] = {
    {10, "light"}, {20, "dark"}, {0, NULL}};
typedef int shade;
static bool cnif_decode_shade(cnif_env *env, ERL_NIF_TERM term, shade *out)
{
    return cnif_enum_decode(env, term, shade_table, out);
}
static ERL_NIF_TERM cnif_encode_shade(cnif_env *env, shade value)
{
    return cnif_enum_encode(env, shade_table, value);
}

ECHO(shade_echo, shade)

static shade shade_of(cnif_env *env, int value)
{
    (void)env;
    return value;
}
CNIF_EXPORT(shade_of, shade, int) /* site:shade_of */

/* --- Strings and binaries -------------------------------------------------- */

/* A string of size bytes at NULL. */
static cnif_str str_at_null(cnif_env *env, size_t size)
{
    (void)env;
    return (cnif_str){NULL, size, 0};
}
CNIF_EXPORT(str_at_null, cnif_str, size_t) /* site:str_at_null */

static cnif_cstr cstr_null(cnif_env *env)
{
    (void)env;
    return NULL;
}
CNIF_EXPORT(cstr_null, cnif_cstr) /* site:cstr_null */

/* Lists of binaries, of C strings and of any terms, both ways. */
ECHO(bins_echo, cnif_array_cnif_bin)
ECHO(cstrs_echo, cnif_array_cnif_cstr)
ECHO(terms_echo, cnif_array_cnif_term)

static bool utf8_valid(cnif_env *env, cnif_bin bytes)
{
    (void)env;
    return cnif_utf8_valid(bytes.data, bytes.size);
}
CNIF_EXPORT(utf8_valid, bool, cnif_bin)

/* cnif_bin_realloc after the builder was handed to the VM. */
static cnif_bin builder_after_finish(cnif_env *env)
{
    cnif_bin_builder *b = cnif_bin_alloc(env, 4);
    cnif_bin bin;
    memcpy(cnif_bin_data(b), "abcd", 4);
    bin = cnif_bin_finish(env, b);
    cnif_bin_realloc(env, b, 8);
    return bin;
}
CNIF_EXPORT(builder_after_finish, cnif_bin) /* site:builder_after_finish */

/* --- Tuples built in C ------------------------------------------------------
** {Mode, Index}: element Index of a tuple assembled in C, as CNIF_TUPLE_GET
** decodes it: items {1, 2}; empty, no items and arity 0; null, arity 3 and
** no items; negative, arity -1. */
typedef struct { int64_t value; } c_elem;
static bool cnif_decode_c_elem(cnif_env *env, ERL_NIF_TERM term, c_elem *out)
{
    static const char *const modes[] = {"items", "empty", "null", "negative"};
    ErlNifEnv *nif = cnif_nif_env(env);
    ERL_NIF_TERM items[2] = {enif_make_int(nif, 1), enif_make_int(nif, 2)};
    cnif_tuple t = {items, 2, 0};
    const ERL_NIF_TERM *parts;
    int arity, index;
    size_t m = 0;

    if (!enif_get_tuple(nif, term, &arity, &parts) || arity != 2
        || !enif_get_int(nif, parts[1], &index))
        return cnif_decode_fail(env, term, "{Mode, Index}");
    while (m < 4 && !enif_is_identical(parts[0], atom(env, modes[m])))
        m++;
    if (m == 1)
        t = (cnif_tuple){NULL, 0, 0};
    else if (m == 2)
        t = (cnif_tuple){NULL, 3, 0};
    else if (m == 3)
        t = (cnif_tuple){items, -1, 0};
    return CNIF_TUPLE_GET(env, t, index, int64_t, &out->value);
}

static int64_t c_tuple_get(cnif_env *env, c_elem e)
{
    (void)env;
    return e.value;
}
CNIF_EXPORT(c_tuple_get, int64_t, c_elem)

static cnif_term tuple_make(cnif_env *env, int n)
{
    return cnif_tuple_make(env, n, NULL);
}
CNIF_EXPORT(tuple_make, cnif_term, int) /* site:tuple_make */

/* --- Maps ------------------------------------------------------------------ */

static cnif_term map_put_not_map(cnif_env *env, cnif_term not_map)
{
    return cnif_map_put(env, (cnif_map){not_map}, atom(env, "k"), not_map).term;
}
CNIF_EXPORT(map_put_not_map, cnif_term, cnif_term) /* site:map_put_not_map */

static cnif_term iter_not_map(cnif_env *env, cnif_term not_map)
{
    cnif_map_iter_start(env, (cnif_map){not_map});
    return not_map;
}
CNIF_EXPORT(iter_not_map, cnif_term, cnif_term) /* site:iter_not_map */

/* {Pairs, After}: the pairs iterated, and what two more calls of
** cnif_map_iter_next return once the iteration has ended. */
static cnif_term iter_past_end(cnif_env *env, cnif_map map)
{
    ErlNifEnv *nif = cnif_nif_env(env);
    cnif_map_iter it = cnif_map_iter_start(env, map);
    ERL_NIF_TERM k, v;
    int64_t pairs = 0;
    bool again, once_more;

    while (cnif_map_iter_next(env, it, &k, &v))
        pairs++;
    again = cnif_map_iter_next(env, it, &k, &v);
    once_more = cnif_map_iter_next(env, it, &k, &v);
    return enif_make_tuple2(nif, enif_make_int64(nif, pairs),
                            enif_make_list2(nif, cnif_encode_bool(env, again),
                                            cnif_encode_bool(env, once_more)));
}
CNIF_EXPORT(iter_past_end, cnif_term, cnif_map)

/* cnif_map_from_arrays on a job's thread, where erts must not sort keys. */
static cnif_map map_build(cnif_env *env, cnif_array_cnif_term keys,
                          cnif_array_cnif_term values)
{
    if (keys.len != values.len)
        cnif_raise_badarg(env, 2, "%zu keys, %zu values", keys.len, values.len);
    return cnif_map_from_arrays(env, keys.items, values.items, keys.len);
}
CNIF_EXPORT_THREADED(map_build, cnif_map, cnif_array_cnif_term, cnif_array_cnif_term) /* site:map_build */

/* A threaded NIF whose argument fails to decode: the report is made in the
** caller's env from the job's copy of the argument. */
static int64_t job_int(cnif_env *env, int64_t i)
{
    (void)env;
    return i;
}
CNIF_EXPORT_THREADED(job_int, int64_t, int64_t)

/* --- Cleanups of a call that has already ended badly -----------------------
** settled(How, Term) registers a cleanup, then ends as How says: raise,
** badarg (decoding Term as a list of integers) or a panic. The cleanup
** then tries to record failures of its own: a reason, a one-of that fails
** inside Term, an argument that does not decode. None may change how the
** call ends. */
static void settled_cleanup(cnif_env *now, void *arg)
{
    ERL_NIF_TERM *term = arg;
    evens e;
    int64_t i;
    cnif_decode_fail_reason(now, "a reason from a cleanup");
    cnif_decode_evens(now, *term, &e);
    CNIF_ARG(now, term, 0, int64_t, &i);
}

static ERL_NIF_TERM settled(cnif_env *env, int argc, const ERL_NIF_TERM argv[])
{
    ERL_NIF_TERM *term = cnif_alloc(env, sizeof *term);
    cnif_array_int64_t list;
    (void)argc;
    *term = argv[1];
    cnif_defer_env(env, settled_cleanup, term);
    if (enif_is_identical(argv[0], atom(env, "raise")))
        cnif_raise(env, enif_make_tuple2(cnif_nif_env(env), atom(env, "raised"), argv[1]));
    if (enif_is_identical(argv[0], atom(env, "badarg")))
        CNIF_ARG(env, argv, 1, cnif_array_int64_t, &list);
    cnif_panic(env, "settled"); /* site:settled */
}
CNIF_EXPORT_RAW(settled, 2)

/* --- Resources --------------------------------------------------------------
** ghost: a resource type that no load ever opened. */
static cnif_resource_type ghost = {"ghost", NULL, {0}, NULL};

static cnif_term ghost_new(cnif_env *env)
{
    return cnif_resource_encode(env, cnif_resource_alloc(env, &ghost, 16));
}
CNIF_EXPORT(ghost_new, cnif_term) /* site:ghost_new */

typedef void *ghost_ref;
static bool cnif_decode_ghost_ref(cnif_env *env, ERL_NIF_TERM term, ghost_ref *out)
{
    return cnif_resource_decode(env, &ghost, term, out);
}

static bool ghost_check(cnif_env *env, ghost_ref g)
{
    (void)env, (void)g;
    return true;
}
CNIF_EXPORT(ghost_check, bool, ghost_ref)

/* poll: cnif_select on a descriptor that cannot be one. */
typedef struct { int unused; } poll_res;
static void poll_stop(cnif_env *env, poll_res *p, ErlNifEvent event, bool direct)
{
    (void)env, (void)p, (void)event, (void)direct;
}
CNIF_DEFINE_RESOURCE(poll_res, .stop = poll_stop)

static int select_fd(cnif_env *env, int fd)
{
    poll_res *p = cnif_resource_new(env, poll_res);
    return cnif_select(env, (ErlNifEvent)fd, CNIF_SELECT_READ, p,
                       atom(env, "undefined"));
}
CNIF_EXPORT(select_fd, int, int) /* site:select_fd */

/* mailer: its destructor sends without a message env, which only a NIF
** call may. */
typedef struct { cnif_pid to; } mailer;
static void mailer_destroy(cnif_env *env, mailer *m)
{
    cnif_send(env, &m->to, NULL, atom(env, "from_destroy"));
}
CNIF_DEFINE_RESOURCE(mailer, .destroy = mailer_destroy) /* site:mailer */

static void mailer_drop(cnif_env *env, cnif_pid to)
{
    mailer *m = cnif_resource_new(env, mailer);
    m->to = to;
}
CNIF_EXPORT(mailer_drop, void, cnif_pid)

/* target: its dynamic call panics. job_call calls it from a job's thread,
** which is no scheduler: the failure is reported from there. */
typedef struct { int unused; } target;
static void target_dyncall(cnif_env *env, target *t, void *data)
{
    (void)t, (void)data;
    cnif_panic(env, "dyncall refused"); /* site:target_dyncall */
}
CNIF_DEFINE_RESOURCE(target, .dyncall = target_dyncall)

static cnif_res_target target_new(cnif_env *env)
{
    return cnif_resource_new(env, target);
}
CNIF_EXPORT(target_new, cnif_res_target)

static bool job_call(cnif_env *env, cnif_term resource)
{
    return cnif_resource_call(env, "cover_nif", "target", resource, NULL);
}
CNIF_EXPORT_THREADED(job_call, bool, cnif_term)

/* --- A list too long for its element type ---------------------------------
** Elements of 2^50 bytes (never made: a list of them only counts them, and
** no element decodes): 16384 of them are more bytes than a size_t counts. */
typedef struct { char bytes[(size_t)1 << 50]; } vast;
static bool cnif_decode_vast(cnif_env *env, ERL_NIF_TERM term, vast *out)
{
    (void)out;
    return cnif_decode_fail(env, term, "nothing");
}
static ERL_NIF_TERM cnif_encode_vast(cnif_env *env, vast value)
{
    (void)value;
    return atom(env, "vast");
}
CNIF_DEFINE_ARRAY(vast)

static size_t vast_count(cnif_env *env, cnif_array_vast xs)
{
    (void)env;
    return xs.len;
}
CNIF_EXPORT(vast_count, size_t, cnif_array_vast) /* site:vast_count */

/* --- A yielding call whose process dies between slices ----------------------
** linger(Pid) tells Pid {lingering, Self} in its first slice and then
** yields forever. Its cleanup runs when the killed process's state is
** collected, in a callback with no NIF to blame: a panic cnif raises
** there is located in the library. */
typedef struct { cnif_pid to; int64_t slices; } linger_state;

static void linger_cleanup(cnif_env *now, void *arg)
{
    (void)arg;
    cnif_tuple_make(now, -1, NULL);
}

static void linger_init(cnif_env *env, linger_state *s, cnif_pid to)
{
    s->to = to;
    cnif_defer_env(env, linger_cleanup, NULL);
}

static bool linger_step(cnif_env *env, linger_state *s, int64_t *result)
{
    ErlNifEnv *nif = cnif_nif_env(env);
    cnif_pid self;
    if (s->slices++ == 0 && enif_self(nif, &self))
        cnif_send(env, &s->to, NULL,
                  enif_make_tuple2(nif, atom(env, "lingering"), enif_make_pid(nif, &self)));
    *result = s->slices;
    return false;
}
CNIF_EXPORT_YIELDING(linger, int64_t, linger_state, cnif_pid)

/* --- Time slices ------------------------------------------------------------
** cnif_timeslice_consume for each percentage in turn. */
static cnif_term timeslice(cnif_env *env, cnif_array_int percents)
{
    ErlNifEnv *nif = cnif_nif_env(env);
    ERL_NIF_TERM *out = cnif_alloc(env, percents.len * sizeof *out);
    for (size_t i = 0; i < percents.len; i++)
        out[i] = cnif_encode_bool(env, cnif_timeslice_consume(env, percents.items[i]));
    return enif_make_list_from_array(nif, out, (unsigned)percents.len);
}
CNIF_EXPORT(timeslice, cnif_term, cnif_array_int)

/* --- Dynamic values ---------------------------------------------------------
** A big integer whose magnitude the external term format cannot hold
** (more than 2^32 bytes), in memory mapped but never touched but for its
** top byte. */
#define BIGINT_TOO_BIG (((size_t)1 << 32) + 1)
static void unmap_4g(void *m)
{
    munmap(m, BIGINT_TOO_BIG);
}

static cnif_value bigint_too_big(cnif_env *env)
{
    size_t size = BIGINT_TOO_BIG;
    unsigned char *m = mmap(NULL, size, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    cnif_value v = {.kind = CNIF_VALUE_BIGINT};
    if (m == MAP_FAILED)
        cnif_raise(env, atom(env, "no_address_space"));
    cnif_defer(env, unmap_4g, m);
    m[size - 1] = 1;
    v.bigint.magnitude = m;
    v.bigint.size = size;
    return v;
}
CNIF_EXPORT(bigint_too_big, cnif_value) /* site:bigint_too_big */
