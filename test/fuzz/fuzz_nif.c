/* fuzz_nif.c -- the NIFs `make fuzz` throws arbitrary terms at: one per
** codec of cnif.h (sections 7 and 8, and typed resources). Almost all are
** echoes: decode the argument, encode the value again, so the fuzzer sees
** both directions and can check the result against its Erlang model
** (test/fuzz/fuzz_model.erl describes each type again, independently).
** The C types here and the schemas in fuzz_model.erl must stay in step. */
#include <cnif.h>

/* name: a NIF that returns its argument of type T, exported by EXPORT. */
#define ECHO_BY(EXPORT, name, T)                                              \
    static T name(cnif_env *env, T value)                                     \
    {                                                                         \
        (void)env;                                                            \
        return value;                                                         \
    }                                                                         \
    EXPORT(name, T, T)
#define ECHO_AS(name, T) ECHO_BY(CNIF_EXPORT, echo_##name, T)
#define ECHO(T) ECHO_AS(T, T)

/* --- Section 7: the built-in codecs --------------------------------------- */
ECHO(int8_t)
ECHO(int16_t)
ECHO(int32_t)
ECHO(int64_t)
ECHO(uint8_t)
ECHO(uint16_t)
ECHO(uint32_t)
ECHO(uint64_t)
ECHO(int)
ECHO(unsigned)
ECHO(long)
ECHO(size_t)
ECHO(ssize_t)
ECHO(double)
ECHO(float)
ECHO_AS(bool, bool) /* ECHO(bool) would expand bool to _Bool first */
ECHO(cnif_atom)
ECHO(cnif_bin)
ECHO(cnif_iodata)
ECHO(cnif_str)
ECHO(cnif_iotext)
ECHO(cnif_cstr)
ECHO(cnif_tuple)
ECHO(cnif_map)
ECHO(cnif_pid)
ECHO(cnif_ref)
ECHO(cnif_term)
ECHO(cnif_value)

typedef enum color { RED, GREEN, BLUE } color;
static const cnif_enum_entry color_atoms[] = {
    {RED, "red"}, {GREEN, "green"}, {BLUE, "blue"}, {0, NULL}};
CNIF_DEFINE_ENUM(color, color_atoms)
ECHO(color)

ECHO(cnif_array_int64_t)
ECHO(cnif_array_uint8_t)
ECHO(cnif_array_double)
ECHO(cnif_array_bool)
ECHO(cnif_array_cnif_str)
ECHO(cnif_array_cnif_atom)
CNIF_DEFINE_ARRAY(cnif_array_int32_t)
ECHO(cnif_array_cnif_array_int32_t)

/* --- Structs: one C struct in the four forms ------------------------------
** z is optional: point fills it from point_defaults and rejects unknown
** keys; point_lax zeroes it and ignores them. */
typedef struct point {
    double x, y;
    int32_t z;
} point;
#define POINT_FIELDS(F) F(double, x) F(double, y) F(int32_t, z, .optional = true)
static const point point_defaults = {.z = 7};
CNIF_DEFINE_STRUCT(point, POINT_FIELDS, .as = CNIF_AS_MAP,
                   .defaults = &point_defaults, .reject_unknown = true)
CNIF_DEFINE_STRUCT_AS(point_lax, point, POINT_FIELDS, .as = CNIF_AS_MAP)
CNIF_DEFINE_STRUCT_AS(point_ex, point, POINT_FIELDS, .as = CNIF_AS_STRUCT,
                      .module = "Elixir.Fuzz.Point", .reject_unknown = true)
CNIF_DEFINE_STRUCT_AS(point_rec, point, POINT_FIELDS, .as = CNIF_AS_RECORD,
                      .tag = "point")
CNIF_DEFINE_STRUCT_AS(point_tup, point, POINT_FIELDS, .as = CNIF_AS_TUPLE)
CNIF_DEFINE_ARRAY(point_rec)
ECHO(point)
ECHO(point_lax)
ECHO(point_ex)
ECHO(point_rec)
ECHO(point_tup)
ECHO(cnif_array_point_rec)

/* --- Tagged union ---------------------------------------------------------- */
typedef struct rect {
    double w, h;
} rect;
#define RECT_FIELDS(F) F(double, w) F(double, h)
CNIF_DEFINE_STRUCT(rect, RECT_FIELDS, .as = CNIF_AS_MAP)

typedef enum shape_kind {
    SHAPE_EMPTY = 3,
    SHAPE_CIRCLE,
    SHAPE_RECT,
    SHAPE_AT,
    SHAPE_BYTES
} shape_kind;
typedef struct shape {
    shape_kind kind;
    union {
        double r;
        rect box;
        point_rec at;
        cnif_array_uint8_t bytes;
    };
} shape;
#define SHAPE_VARIANTS(TAG, VALUE)                                            \
    TAG(empty, SHAPE_EMPTY) VALUE(circle, SHAPE_CIRCLE, double, r)            \
        VALUE(rect, SHAPE_RECT, rect, box) VALUE(at, SHAPE_AT, point_rec, at) \
            VALUE(bytes, SHAPE_BYTES, cnif_array_uint8_t, bytes)
CNIF_DEFINE_UNION(shape, kind, SHAPE_VARIANTS)
ECHO(shape)

/* --- One-of ----------------------------------------------------------------
** num: the first alternative that decodes wins; a #point{} record with a
** bad field fails with that field's report. */
typedef struct num {
    int kind;
    union {
        int64_t i;
        double f;
        point p;
        cnif_str s;
    };
} num;
#define NUM_ALTERNATIVES(ALT)                                                 \
    ALT(0, int64_t, i) ALT(1, double, f) ALT(2, point_rec, p)                 \
        ALT(3, cnif_str, s)
CNIF_DEFINE_ONE_OF(num, kind, NUM_ALTERNATIVES)
ECHO(num)

/* A recursive type T holds a list of T: the list type T_list_t and T's
** codecs are declared before T is complete, the list's codecs after. */
#define FORWARD_LIST(T)                                                       \
    typedef struct T T;                                                       \
    typedef struct T##_list {                                                 \
        T *items;                                                             \
        size_t len;                                                           \
    } T##_list_t;                                                             \
    static inline bool cnif_decode_##T(cnif_env *env, ERL_NIF_TERM term,      \
                                       T *out);                               \
    static inline ERL_NIF_TERM cnif_encode_##T(cnif_env *env, T value);
#define DEFINE_LIST(T) CNIF_DEFINE_ARRAY_AS(T##_list, T##_list_t, T)

/* expr = integer() | [expr()]: a recursive one-of through an array. */
FORWARD_LIST(expr)
struct expr {
    int kind;
    union {
        int64_t n;
        expr_list_t items;
    };
};
DEFINE_LIST(expr)
#define EXPR_ALTERNATIVES(ALT) ALT(0, int64_t, n) ALT(1, expr_list, items)
CNIF_DEFINE_ONE_OF(expr, kind, EXPR_ALTERNATIVES)
ECHO(expr)

/* --- Optionals, results ---------------------------------------------------- */
CNIF_DEFINE_OPTIONAL(maybe_int, int64_t, CNIF_UNDEFINED)
CNIF_DEFINE_OPTIONAL(opt_point, point, CNIF_NIL)
CNIF_DEFINE_RESULT(res_u16, uint16_t, cnif_atom)
CNIF_DEFINE_STATUS(status, cnif_str)
ECHO(maybe_int)
ECHO(opt_point)
ECHO(res_u16)
ECHO(status)

/* --- A struct of everything: renamed, optional and nested fields ----------- */
typedef struct inner {
    bool flag;
    uint8_t level;
} inner;
#define INNER_FIELDS(F) F(bool, flag) F(uint8_t, level, .optional = true)
CNIF_DEFINE_STRUCT(inner, INNER_FIELDS, .as = CNIF_AS_MAP)

typedef struct doc {
    cnif_str title;
    color ink;
    cnif_array_point_rec pts;
    point_tup origin;
    maybe_int weight;
    cnif_array_cnif_atom tags;
    shape outline;
    inner meta;
    res_u16 state;
} doc;
#define DOC_FIELDS(F)                                                         \
    F(cnif_str, title, .key = "name") F(color, ink, .optional = true)         \
        F(cnif_array_point_rec, pts) F(point_tup, origin)                     \
            F(maybe_int, weight, .optional = true)                            \
                F(cnif_array_cnif_atom, tags, .optional = true)               \
                    F(shape, outline) F(inner, meta, .optional = true)        \
                        F(res_u16, state)
static const doc doc_defaults = {.ink = BLUE, .meta = {true, 3}};
CNIF_DEFINE_STRUCT(doc, DOC_FIELDS, .as = CNIF_AS_MAP, .defaults = &doc_defaults)
CNIF_DEFINE_STRUCT_AS(doc_rec, doc, DOC_FIELDS, .as = CNIF_AS_RECORD,
                      .tag = "doc")
ECHO(doc)
ECHO(doc_rec)

/* tree = #{v := int16, kids => [tree()]}: a recursive struct. */
FORWARD_LIST(tree)
struct tree {
    int16_t v;
    tree_list_t kids;
};
DEFINE_LIST(tree)
#define TREE_FIELDS(F) F(int16_t, v) F(tree_list, kids, .optional = true)
CNIF_DEFINE_STRUCT(tree, TREE_FIELDS, .as = CNIF_AS_MAP)
ECHO(tree)

/* --- Resources --------------------------------------------------------------
** res_new makes a counter; the fuzzer hands counters, resources of another
** type, and every other kind of term to res_get and echo_res. */
typedef struct counter {
    int64_t value;
} counter;
CNIF_DEFINE_RESOURCE(counter)
typedef struct other {
    int64_t value;
} other;
CNIF_DEFINE_RESOURCE(other)

static cnif_res_counter res_new(cnif_env *env, int64_t value)
{
    counter *c = cnif_resource_new(env, counter);
    c->value = value;
    return c;
}
CNIF_EXPORT(res_new, cnif_res_counter, int64_t)

static cnif_res_other other_new(cnif_env *env)
{
    return cnif_resource_new(env, other);
}
CNIF_EXPORT(other_new, cnif_res_other)

static int64_t res_get(cnif_env *env, cnif_res_counter c)
{
    (void)env;
    return c->value;
}
CNIF_EXPORT(res_get, int64_t, cnif_res_counter)
ECHO_AS(res, cnif_res_counter)

/* --- Sizes from the caller ---------------------------------------------------
** A binary of any size the caller asks for: made, or a panic ("out of
** memory") when it cannot be; never an abort of the VM. The bytes are left
** as they are (the size is what is under test), and only the size comes
** back. */
static size_t bin_new_size(cnif_env *env, size_t size)
{
    unsigned char *data;
    return cnif_bin_new(env, size, &data).size;
}
CNIF_EXPORT(bin_new_size, size_t, size_t)

static size_t bin_alloc_size(cnif_env *env, size_t size)
{
    cnif_bin_builder *b = cnif_bin_alloc(env, 0);
    cnif_bin_realloc(env, b, size);
    return cnif_bin_finish(env, b).size;
}
CNIF_EXPORT(bin_alloc_size, size_t, size_t)

/* Out-of-range positions panic, however large. */
static cnif_bin bin_sub(cnif_env *env, cnif_bin bin, size_t pos, size_t size)
{
    return cnif_bin_sub(env, bin, pos, size);
}
CNIF_EXPORT(bin_sub, cnif_bin, cnif_bin, size_t, size_t)

/* --- Off the scheduler: a dirty scheduler; a job, its arguments copied in
** and its result sent back --------------------------------------------- */
#define EXPORT_DIRTY(name, ...) CNIF_EXPORT_FLAGS(name, CNIF_DIRTY_CPU, __VA_ARGS__)
ECHO_BY(EXPORT_DIRTY, echo_value_dirty, cnif_value)
ECHO_BY(CNIF_EXPORT_THREADED, echo_value_job, cnif_value)
ECHO_BY(CNIF_EXPORT_THREAD, echo_map_thread, cnif_map)

/* --- Several arguments: the first bad one is named ------------------------- */
typedef struct triple {
    uint8_t a;
    double b;
    cnif_str c;
} triple;
#define TRIPLE_FIELDS(F) F(uint8_t, a) F(double, b) F(cnif_str, c)
CNIF_DEFINE_STRUCT(triple, TRIPLE_FIELDS, .as = CNIF_AS_TUPLE)

static triple make_triple(cnif_env *env, uint8_t a, double b, cnif_str c)
{
    (void)env;
    return (triple){a, b, c};
}
CNIF_EXPORT(make_triple, triple, uint8_t, double, cnif_str)

CNIF_MODULE(fuzz_nif, NULL, NULL, NULL)
