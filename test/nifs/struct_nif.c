/* struct_nif.c -- the NIFs behind test/struct_tests.erl and
** test/elixir/struct_test.exs: section 8 of cnif.h (structs in their four
** forms, enums, tagged unions, one-of, optionals, results, user codecs and
** dynamic term values), and encoders that panic halfway through a large
** nested return value. Most NIFs are echoes (decode, then encode the same
** value), so a test sees both directions of a codec and every rejection. */
#include <cnif.h>
#include <math.h>
#include <string.h>

#define ECHO(T)                                                               \
    static T echo_##T(cnif_env *env, T value)                                 \
    {                                                                         \
        (void)env;                                                            \
        return value;                                                         \
    }                                                                         \
    CNIF_EXPORT(echo_##T, T, T)

/* --- One struct, four forms ---------------------------------------------- */
typedef struct point {
    double x, y;
} point;
#define POINT_FIELDS(F) F(double, x) F(double, y)
CNIF_DEFINE_STRUCT(point, POINT_FIELDS, .as = CNIF_AS_MAP)
CNIF_DEFINE_STRUCT_AS(point_rec, point, POINT_FIELDS, .as = CNIF_AS_RECORD,
                      .tag = "point")
CNIF_DEFINE_STRUCT_AS(point_ex, point, POINT_FIELDS, .as = CNIF_AS_STRUCT,
                      .module = "Elixir.StructTest.Point",
                      .reject_unknown = true)
CNIF_DEFINE_STRUCT_AS(point_tup, point, POINT_FIELDS, .as = CNIF_AS_TUPLE)
CNIF_DEFINE_ARRAY(point)
CNIF_DEFINE_ARRAY(point_rec)

/* Fields declared against term order, one key ('Alpha') before
** __struct__: the encoders hand erts the keys sorted. */
typedef struct ordered {
    int64_t zeta, mid, alpha;
} ordered;
#define ORDERED_FIELDS(F) F(int64_t, zeta) F(int64_t, mid) F(int64_t, alpha, .key = "Alpha")
CNIF_DEFINE_STRUCT(ordered, ORDERED_FIELDS, .as = CNIF_AS_STRUCT,
                   .module = "Elixir.StructTest.Ordered")
CNIF_DEFINE_STRUCT_AS(ordered_map, ordered, ORDERED_FIELDS, .as = CNIF_AS_MAP)
ECHO(ordered)
ECHO(ordered_map)
ECHO(point)
ECHO(point_rec)
ECHO(point_ex)
ECHO(point_tup)
ECHO(cnif_array_point)
ECHO(cnif_array_point_rec)

/* One C value, every form: the same point returned four ways. */
typedef struct point_forms {
    point map;
    point_rec rec;
    point_ex ex;
    point_tup tup;
} point_forms;
#define POINT_FORMS_FIELDS(F)                                                 \
    F(point, map) F(point_rec, rec) F(point_ex, ex) F(point_tup, tup)
CNIF_DEFINE_STRUCT(point_forms, POINT_FORMS_FIELDS, .as = CNIF_AS_TUPLE)

static point_forms point_all_forms(cnif_env *env, double x, double y)
{
    point p = {x, y};
    (void)env;
    return (point_forms){p, p, p, p};
}
CNIF_EXPORT(point_all_forms, point_forms, double, double)

/* An Elixir struct made of Elixir structs. */
typedef struct line {
    point_ex from, to;
} line;
#define LINE_FIELDS(F) F(point_ex, from) F(point_ex, to)
CNIF_DEFINE_STRUCT(line, LINE_FIELDS, .as = CNIF_AS_STRUCT,
                   .module = "Elixir.StructTest.Line")
ECHO(line)

/* The length of a line: a struct argument the body reads. */
static double line_length(cnif_env *env, line l)
{
    (void)env;
    return hypot(l.to.x - l.from.x, l.to.y - l.from.y);
}
CNIF_EXPORT(line_length, double, line)

/* --- Enums ---------------------------------------------------------------- */
typedef enum color { RED, GREEN, BLUE } color;
static const cnif_enum_entry color_atoms[] = {
    {RED, "red"}, {GREEN, "green"}, {BLUE, "blue"}, {0, NULL}};
CNIF_DEFINE_ENUM(color, color_atoms)
ECHO(color)

/* --- Field options: renames, defaults, unknown keys ---------------------- */
typedef struct label {
    cnif_str text;
    int64_t size;
    color ink;
} label;
#define LABEL_FIELDS(F)                                                       \
    F(cnif_str, text, .key = "name") F(int64_t, size, .optional = true)       \
        F(color, ink, .key = "color", .optional = true)
static const label label_defaults = {.size = 12, .ink = BLUE};
CNIF_DEFINE_STRUCT(label, LABEL_FIELDS, .as = CNIF_AS_MAP,
                   .defaults = &label_defaults, .reject_unknown = true)
/* The same fields, lenient: no defaults (zero), unknown keys ignored. */
CNIF_DEFINE_STRUCT_AS(label_lax, label, LABEL_FIELDS, .as = CNIF_AS_MAP)
ECHO(label)
ECHO(label_lax)

/* --- Optionals: nil for Elixir, undefined for Erlang, per type ----------- */
CNIF_DEFINE_OPTIONAL(opt_point, point, CNIF_NIL)
CNIF_DEFINE_OPTIONAL(maybe_int, int64_t, CNIF_UNDEFINED)
CNIF_DEFINE_OPTIONAL(opt_points, cnif_array_point, CNIF_NIL)
CNIF_DEFINE_ARRAY(opt_point)
ECHO(opt_point)
ECHO(maybe_int)
ECHO(opt_points)
ECHO(cnif_array_opt_point)

/* --- User codecs: a vertex codec used inside a polygon codec -------------- */
/* {X, Y}, built from the built-in tuple and double codecs. */
typedef struct vec {
    double x, y;
} vec;

static bool cnif_decode_vec(cnif_env *env, ERL_NIF_TERM term, vec *out)
{
    cnif_tuple t;
    if (!cnif_decode_cnif_tuple(env, term, &t) || t.arity != 2)
        return cnif_decode_fail(env, term, "an {X, Y} tuple");
    return CNIF_TUPLE_GET(env, t, 0, double, &out->x)
           && CNIF_TUPLE_GET(env, t, 1, double, &out->y);
}

static ERL_NIF_TERM cnif_encode_vec(cnif_env *env, vec v)
{
    return enif_make_tuple2(cnif_nif_env(env), cnif_encode_double(env, v.x),
                            cnif_encode_double(env, v.y));
}
CNIF_CODEC(vec)
CNIF_DEFINE_ARRAY(vec)

/* {Name, [{X, Y}, ...]} with at least three vertices. Its encoder refuses
** a vertex equal to the one before it (a degenerate edge): a bug that
** panics halfway through the vertex list. */
typedef struct polygon {
    cnif_str name;
    cnif_array_vec vertices;
} polygon;

static bool cnif_decode_polygon(cnif_env *env, ERL_NIF_TERM term,
                                polygon *out)
{
    cnif_tuple t;
    if (!cnif_decode_cnif_tuple(env, term, &t) || t.arity != 2)
        return cnif_decode_fail(env, term, "a {Name, Vertices} tuple");
    if (!CNIF_TUPLE_GET(env, t, 0, cnif_str, &out->name)
        || !CNIF_TUPLE_GET(env, t, 1, cnif_array_vec, &out->vertices))
        return false;
    if (out->vertices.len < 3)
        return cnif_decode_fail(env, t.items[1], "at least 3 vertices")
               || cnif_path_index(env, 1);
    return true;
}

static ERL_NIF_TERM cnif_encode_polygon(cnif_env *env, polygon p)
{
    ErlNifEnv *nif = cnif_nif_env(env);
    ERL_NIF_TERM name = cnif_encode_cnif_str(env, p.name);
    ERL_NIF_TERM *items = cnif_alloc(env, p.vertices.len * sizeof *items);
    const vec *v = p.vertices.items;

    for (size_t i = 0; i < p.vertices.len; i++) {
        if (i > 0 && v[i].x == v[i - 1].x && v[i].y == v[i - 1].y)
            cnif_panic(env, "polygon vertex %zu of %zu repeats vertex %zu", /* POLYGON_PANIC */
                       i, p.vertices.len, i - 1);
        items[i] = cnif_encode_vec(env, v[i]);
    }
    return enif_make_tuple2(
        nif, name, enif_make_list_from_array(nif, items, (unsigned)p.vertices.len));
}
CNIF_CODEC(polygon)
ECHO(polygon)

/* A regular n-gon named by a binary of name_size bytes; vertex bad_at (if
** below n) repeats the vertex before it. */
static polygon polygon_ring(cnif_env *env, size_t n, size_t name_size,
                            size_t bad_at)
{
    polygon p;
    char *name = cnif_alloc(env, name_size);
    vec *v = cnif_alloc(env, n * sizeof *v);

    memset(name, 'p', name_size);
    for (size_t i = 0; i < n; i++) {
        double a = 2 * M_PI * (double)i / (double)n;
        v[i] = i == bad_at && i > 0 ? v[i - 1] : (vec){cos(a), sin(a)};
    }
    p.name = (cnif_str){name, name_size, 0};
    p.vertices = (cnif_array_vec){v, n};
    return p;
}
CNIF_EXPORT(polygon_ring, polygon, size_t, size_t, size_t)

/* --- Tagged unions and one-of --------------------------------------------- */
typedef struct rect {
    double w, h;
} rect;
#define RECT_FIELDS(F) F(double, w) F(double, h)
CNIF_DEFINE_STRUCT(rect, RECT_FIELDS, .as = CNIF_AS_MAP)

typedef enum shape_kind {
    SHAPE_EMPTY = 10,
    SHAPE_CIRCLE = 20,
    SHAPE_RECT = 30,
    SHAPE_POLY = 40,
    SHAPE_AT = 50
} shape_kind;
typedef struct shape {
    shape_kind kind;
    union {
        double r;
        rect box;
        polygon poly;
        point_rec at;
    };
} shape;
#define SHAPE_VARIANTS(TAG, VALUE)                                            \
    TAG(empty, SHAPE_EMPTY) VALUE(circle, SHAPE_CIRCLE, double, r)            \
        VALUE(rect, SHAPE_RECT, rect, box)                                    \
            VALUE(poly, SHAPE_POLY, polygon, poly)                            \
                VALUE(at, SHAPE_AT, point_rec, at)
CNIF_DEFINE_UNION(shape, kind, SHAPE_VARIANTS)
CNIF_DEFINE_ARRAY(shape)
ECHO(shape)
ECHO(cnif_array_shape)

/* A shape whose kind no variant has: its encoder must panic. */
static shape shape_of_kind(cnif_env *env, int kind)
{
    (void)env;
    return (shape){.kind = (shape_kind)kind, .r = 1.0};
}
CNIF_EXPORT(shape_of_kind, shape, int)

/* The kind field may be any integer type; this one is a byte between two
** others that the union codec must not touch. */
typedef struct token {
    uint8_t before;
    uint8_t kind;
    uint8_t after;
    union {
        int64_t n;
        cnif_atom word;
    };
} token;
#define TOKEN_VARIANTS(TAG, VALUE)                                            \
    TAG(eof, 0) VALUE(num, 1, int64_t, n) VALUE(word, 2, cnif_atom, word)
CNIF_DEFINE_UNION(token, kind, TOKEN_VARIANTS)

/* {Before, After, Token}: a token decoded into a struct whose neighbouring
** bytes were 0xAA and 0x55, which the union codec must leave alone. */
static ERL_NIF_TERM token_bytes(cnif_env *env, int argc,
                                const ERL_NIF_TERM argv[])
{
    token t;
    (void)argc;
    memset(&t, 0, sizeof t);
    t.before = 0xAA;
    t.after = 0x55;
    CNIF_ARG(env, argv, 0, token, &t);
    return enif_make_tuple3(cnif_nif_env(env), cnif_encode_uint8_t(env, t.before),
                            cnif_encode_uint8_t(env, t.after),
                            cnif_encode_token(env, t));
}
CNIF_EXPORT_RAW(token_bytes, 1)

/* One-of: the first alternative that decodes wins. double accepts
** integers, so the order decides what 5 becomes. */
typedef struct num_fi {
    int kind;
    union {
        double f;
        int64_t i;
    };
} num_fi;
#define NUM_FI_ALTERNATIVES(ALT) ALT(0, double, f) ALT(1, int64_t, i)
CNIF_DEFINE_ONE_OF(num_fi, kind, NUM_FI_ALTERNATIVES)
typedef num_fi num_if;
#define NUM_IF_ALTERNATIVES(ALT) ALT(1, int64_t, i) ALT(0, double, f)
CNIF_DEFINE_ONE_OF(num_if, kind, NUM_IF_ALTERNATIVES)
ECHO(num_fi)
ECHO(num_if)

/* Which alternative a term decoded as: {Kind, Value}. */
static cnif_tuple num_if_kind(cnif_env *env, num_if n)
{
    ERL_NIF_TERM out[2] = {cnif_encode_int(env, n.kind),
                           cnif_encode_num_if(env, n)};
    return (cnif_tuple){out, 2, cnif_tuple_make(env, 2, out)};
}
CNIF_EXPORT(num_if_kind, cnif_tuple, num_if)

/* A point in any of its forms, or a label; each comes back in its form. */
typedef enum any_kind {
    ANY_EX,
    ANY_REC,
    ANY_TUP,
    ANY_MAP,
    ANY_LABEL
} any_kind;
typedef struct any_point {
    any_kind kind;
    union {
        point p;
        label l;
    };
} any_point;
#define ANY_POINT_ALTERNATIVES(ALT)                                           \
    ALT(ANY_EX, point_ex, p) ALT(ANY_REC, point_rec, p)                       \
        ALT(ANY_TUP, point_tup, p) ALT(ANY_MAP, point, p)                     \
            ALT(ANY_LABEL, label, l)
CNIF_DEFINE_ONE_OF(any_point, kind, ANY_POINT_ALTERNATIVES)
ECHO(any_point)

/* Two Elixir structs: both alternatives fail with their own reason. */
typedef struct point_or_line {
    int kind;
    union {
        point p;
        line l;
    };
} point_or_line;
#define POINT_OR_LINE_ALTERNATIVES(ALT) ALT(0, point_ex, p) ALT(1, line, l)
CNIF_DEFINE_ONE_OF(point_or_line, kind, POINT_OR_LINE_ALTERNATIVES)
ECHO(point_or_line)

/* Text or a list of integers: a list is never taken for text. */
typedef struct text_or_ints {
    int kind;
    union {
        cnif_str text;
        cnif_array_int64_t ints;
    };
} text_or_ints;
#define TEXT_OR_INTS_ALTERNATIVES(ALT) ALT(0, cnif_str, text) ALT(1, cnif_array_int64_t, ints)
CNIF_DEFINE_ONE_OF(text_or_ints, kind, TEXT_OR_INTS_ALTERNATIVES)
ECHO(text_or_ints)

/* A one-of with a tagged union among its alternatives: the message lists
** the union's tags as items of its own list. */
typedef enum blob_kind { BLOB_BYTES, BLOB_NONE } blob_kind;
typedef struct blob {
    blob_kind kind;
    union {
        cnif_bin bytes;
    };
} blob;
#define BLOB_VARIANTS(TAG, VALUE)                                             \
    VALUE(blob, BLOB_BYTES, cnif_bin, bytes) TAG(undefined, BLOB_NONE)
CNIF_DEFINE_UNION(blob, kind, BLOB_VARIANTS)
typedef struct scalar {
    int kind;
    union {
        int64_t i;
        double f;
        cnif_str s;
        blob b;
    };
} scalar;
#define SCALAR_ALTERNATIVES(ALT)                                              \
    ALT(0, int64_t, i) ALT(1, double, f) ALT(2, cnif_str, s) ALT(3, blob, b)
CNIF_DEFINE_ONE_OF(scalar, kind, SCALAR_ALTERNATIVES)
ECHO(scalar)

/* Two enums that share an atom: red is listed once. */
typedef enum warm { WARM_RED, WARM_ORANGE } warm;
static const cnif_enum_entry warm_atoms[] = {
    {WARM_RED, "red"}, {WARM_ORANGE, "orange"}, {0, NULL}};
CNIF_DEFINE_ENUM(warm, warm_atoms)
typedef struct hue {
    int kind;
    union {
        color c;
        warm w;
    };
} hue;
#define HUE_ALTERNATIVES(ALT) ALT(0, color, c) ALT(1, warm, w)
CNIF_DEFINE_ONE_OF(hue, kind, HUE_ALTERNATIVES)
ECHO(hue)

/* --- Results and statuses ------------------------------------------------- */
CNIF_DEFINE_RESULT(div_result, double, cnif_atom)
CNIF_DEFINE_RESULT(point_result, point, label)
CNIF_DEFINE_STATUS(check_status, cnif_str)
ECHO(div_result)
ECHO(point_result)
ECHO(check_status)

/* The first point of a list, as a record; an empty list is an error. */
CNIF_DEFINE_RESULT(first_result, point_rec, cnif_atom)

static first_result first_point(cnif_env *env, cnif_array_point points)
{
    (void)env;
    return points.len ? CNIF_OK(first_result, points.items[0])
                      : CNIF_ERR(first_result, "empty");
}
CNIF_EXPORT(first_point, first_result, cnif_array_point)

/* ok for a label of a positive size, else {error, Why}. */
static check_status label_check(cnif_env *env, label l)
{
    (void)env;
    return l.size > 0 ? CNIF_OK_STATUS(check_status)
                      : CNIF_ERR(check_status, cnif_str_from("size must be positive"));
}
CNIF_EXPORT(label_check, check_status, label)

/* --- Everything nested in one map ------------------------------------------ */
typedef struct segment {
    point start, end;
} segment;
#define SEGMENT_FIELDS(F) F(point, start) F(point, end)
CNIF_DEFINE_STRUCT(segment, SEGMENT_FIELDS, .as = CNIF_AS_MAP)
CNIF_DEFINE_STRUCT_AS(segment_rec, segment, SEGMENT_FIELDS,
                      .as = CNIF_AS_RECORD, .tag = "segment")
CNIF_DEFINE_ARRAY(segment)
ECHO(segment_rec)

typedef struct drawing {
    cnif_str title;
    color ink;
    cnif_array_segment segments;
    opt_point anchor;
    point_rec corner;
    point_tup size;
    point_ex origin;
    cnif_array_shape shapes;
    maybe_int layer;
    polygon outline;
    label caption;
} drawing;
#define DRAWING_FIELDS(F)                                                     \
    F(cnif_str, title) F(color, ink) F(cnif_array_segment, segments)          \
        F(opt_point, anchor) F(point_rec, corner) F(point_tup, size)          \
            F(point_ex, origin) F(cnif_array_shape, shapes)                   \
                F(maybe_int, layer) F(polygon, outline)                       \
                    F(label, caption, .optional = true)
static const drawing drawing_defaults = {
    .caption = {.text = {"untitled", 8, 0}, .size = 10, .ink = RED}};
CNIF_DEFINE_STRUCT(drawing, DRAWING_FIELDS, .as = CNIF_AS_MAP,
                   .defaults = &drawing_defaults)
ECHO(drawing)

/* Structs as values of a plain map: a user codec reading the keys a and b
** with the map API. */
typedef struct endpoints {
    point a, b;
} endpoints;

static bool cnif_decode_endpoints(cnif_env *env, ERL_NIF_TERM term,
                                  endpoints *out)
{
    cnif_map m;
    return cnif_decode_cnif_map(env, term, &m)
           && CNIF_MAP_GET(env, m, "a", point, &out->a)
           && CNIF_MAP_GET(env, m, "b", point_ex, &out->b);
}

static point midpoint(cnif_env *env, endpoints e)
{
    (void)env;
    return (point){(e.a.x + e.b.x) / 2, (e.a.y + e.b.y) / 2};
}
CNIF_EXPORT(midpoint, point, endpoints)

/* --- Declarations checked at load --------------------------------------- */
/* cnif_struct_init / cnif_union_init run for every defined type at load; a
** bad hand-built descriptor shows what they reject. */
static void bad_declaration(cnif_env *env, cnif_atom which)
{
    static const cnif_field fields[] = {{.name = "x"},
                                        {.name = "y", .key = "x"}};
    static ERL_NIF_TERM atoms[3];
    static ERL_NIF_TERM tags[1];
    static const cnif_variant variants[] = {{"v", 0, 0, NULL, NULL}};
    cnif_struct s = {.name = "bad", .size = 16, .fields = fields, .count = 1,
                     .atoms = atoms};
    cnif_union u = {"bad_union", variants, 1, tags, 0, 3, 8};

    if (strcmp(which, "duplicate_key") == 0) {
        s.count = 2;
    } else if (strcmp(which, "struct_without_module") == 0) {
        s.as = CNIF_AS_STRUCT;
    } else if (strcmp(which, "record_without_tag") == 0) {
        s.as = CNIF_AS_RECORD;
    } else if (strcmp(which, "unknown_form") == 0) {
        s.as = (cnif_struct_as)7;
    } else {
        cnif_union_init(env, &u);
        return;
    }
    cnif_struct_init(env, &s);
}
CNIF_EXPORT(bad_declaration, void, cnif_atom)

/* --- Dynamic terms --------------------------------------------------------- */
ECHO(cnif_value)

static cnif_value value_atom(cnif_atom name)
{
    return (cnif_value){.kind = CNIF_VALUE_ATOM, .atom = name};
}

static cnif_value value_int(int64_t n)
{
    return (cnif_value){.kind = CNIF_VALUE_INTEGER, .integer = n};
}

static cnif_value value_tuple(cnif_env *env, size_t n, const cnif_value *items)
{
    cnif_value *copy = cnif_alloc(env, n * sizeof *copy);
    memcpy(copy, items, n * sizeof *copy);
    return (cnif_value){.kind = CNIF_VALUE_TUPLE, .tuple = {copy, n}};
}

static cnif_value value_describe(cnif_env *env, cnif_value v);

/* A list of the descriptions of n values. */
static cnif_value value_describe_all(cnif_env *env, const cnif_value *values,
                                     size_t n)
{
    cnif_value *items = cnif_alloc(env, n * sizeof *items);
    for (size_t i = 0; i < n; i++)
        items[i] = value_describe(env, values[i]);
    return (cnif_value){.kind = CNIF_VALUE_LIST, .list = {items, n, NULL}};
}

/* The C tree a term decodes to, spelled out as a term:
**   {integer, N} | {bigint, Negative, MagnitudeBytes} | {float, F}
**   | {atom, A} | {binary, B} | {list, Items, Tail | proper}
**   | {tuple, Items} | {map, [{Key, Value}]} | {term, T}               */
static cnif_value value_describe(cnif_env *env, cnif_value v)
{
    cnif_value *items;
    cnif_value list = {.kind = CNIF_VALUE_LIST};

    switch (v.kind) {
    case CNIF_VALUE_INTEGER:
        return value_tuple(env, 2, (cnif_value[]){value_atom("integer"), v});
    case CNIF_VALUE_BIGINT: {
        cnif_value sign = value_atom(v.bigint.negative ? "true" : "false");
        cnif_value bytes = {.kind = CNIF_VALUE_BINARY,
                            .binary = cnif_bin_copy(env, v.bigint.magnitude,
                                                    v.bigint.size)};
        return value_tuple(env, 3,
                           (cnif_value[]){value_atom("bigint"), sign, bytes});
    }
    case CNIF_VALUE_FLOAT:
        return value_tuple(env, 2, (cnif_value[]){value_atom("float"), v});
    case CNIF_VALUE_ATOM:
        return value_tuple(env, 2, (cnif_value[]){value_atom("atom"), v});
    case CNIF_VALUE_BINARY:
        return value_tuple(env, 2, (cnif_value[]){value_atom("binary"), v});
    case CNIF_VALUE_TERM:
        return value_tuple(env, 2, (cnif_value[]){value_atom("term"), v});
    case CNIF_VALUE_LIST:
        return value_tuple(
            env, 3,
            (cnif_value[]){value_atom("list"),
                           value_describe_all(env, v.list.items, v.list.len),
                           v.list.tail ? value_describe(env, *v.list.tail)
                                       : value_atom("proper")});
    case CNIF_VALUE_TUPLE:
        return value_tuple(
            env, 2,
            (cnif_value[]){value_atom("tuple"),
                           value_describe_all(env, v.tuple.items, v.tuple.len)});
    case CNIF_VALUE_MAP:
        items = cnif_alloc(env, v.map.len * sizeof *items);
        for (size_t i = 0; i < v.map.len; i++)
            items[i] = value_tuple(
                env, 2,
                (cnif_value[]){value_describe(env, v.map.keys[i]),
                               value_describe(env, v.map.values[i])});
        list.list.items = items;
        list.list.len = v.map.len;
        return value_tuple(env, 2, (cnif_value[]){value_atom("map"), list});
    }
    cnif_panic(env, "unknown value kind %d", (int)v.kind);
}
CNIF_EXPORT(value_describe, cnif_value, cnif_value)

/* A big integer built in C from its sign and magnitude bytes. */
static cnif_value value_bigint(cnif_env *env, bool negative, cnif_bin bytes)
{
    (void)env;
    return (cnif_value){.kind = CNIF_VALUE_BIGINT,
                        .bigint = {negative, bytes.data, bytes.size}};
}
CNIF_EXPORT(value_bigint, cnif_value, bool, cnif_bin)

/* A list nested depth levels deep around 0, built in C. */
static cnif_value value_nested(cnif_env *env, size_t depth)
{
    cnif_value v = value_int(0);
    for (size_t i = 0; i < depth; i++) {
        cnif_value *inner = cnif_alloc(env, sizeof *inner);
        *inner = v;
        v = (cnif_value){.kind = CNIF_VALUE_LIST, .list = {inner, 1, NULL}};
    }
    return v;
}
CNIF_EXPORT(value_nested, cnif_value, size_t)

/* --- Encoders that panic halfway through a large nested value ------------ */
/* A reading is a non-negative integer. The decoder enforces that; the
** encoder panics on a negative one a buggy body made. */
typedef struct reading {
    int64_t raw;
} reading;

static bool cnif_decode_reading(cnif_env *env, ERL_NIF_TERM term,
                                reading *out)
{
    if (!cnif_decode_int64_t(env, term, &out->raw) || out->raw < 0)
        return cnif_decode_fail(env, term, "a non-negative reading");
    return true;
}

static ERL_NIF_TERM cnif_encode_reading(cnif_env *env, reading r)
{
    if (r.raw < 0)
        cnif_panic(env, "reading %lld is negative", (long long)r.raw); /* READING_PANIC */
    return cnif_encode_int64_t(env, r.raw);
}
CNIF_CODEC(reading)

typedef struct sample {
    int64_t id;
    reading value;
    cnif_bin blob;
} sample;
#define SAMPLE_FIELDS(F) F(int64_t, id) F(reading, value) F(cnif_bin, blob)
CNIF_DEFINE_STRUCT(sample, SAMPLE_FIELDS, .as = CNIF_AS_MAP)
CNIF_DEFINE_ARRAY(sample)
ECHO(sample)

/* n samples; the last one, encoded first, carries a fresh binary of
** blob_size bytes (a leak of half-built terms would show as binary memory),
** sample bad_at a negative reading. */
static cnif_array_sample sample_series(cnif_env *env, size_t n,
                                       size_t blob_size, size_t bad_at)
{
    sample *s = cnif_alloc(env, n * sizeof *s);
    cnif_bin empty = cnif_bin_copy(env, "", 0);
    unsigned char *data;

    for (size_t i = 0; i < n; i++)
        s[i] = (sample){(int64_t)i,
                        {i == bad_at ? -(int64_t)i : (int64_t)i * 10}, empty};
    if (n > 0) {
        s[n - 1].blob = cnif_bin_new(env, blob_size, &data);
        memset(data, 's', blob_size);
    }
    return (cnif_array_sample){s, n};
}
CNIF_EXPORT(sample_series, cnif_array_sample, size_t, size_t, size_t)

/* A list of n maps #{id => I, score => I / 2, tags => [even | odd, <<>>]};
** the last item, encoded first, holds a fresh binary of blob_size bytes
** instead of <<>>; item bad_at is broken
** the way `how` says:
**   nan, inf            its score is not finite
**   bad_kind            its score node has a kind no value has
**   null_binary         its binary node claims 10 bytes at NULL
**   duplicate_keys      its map has the key id twice                    */
typedef enum tree_fault {
    FAULT_NAN,
    FAULT_INF,
    FAULT_BAD_KIND,
    FAULT_NULL_BINARY,
    FAULT_DUPLICATE_KEYS
} tree_fault;
static const cnif_enum_entry tree_fault_atoms[] = {
    {FAULT_NAN, "nan"},
    {FAULT_INF, "inf"},
    {FAULT_BAD_KIND, "bad_kind"},
    {FAULT_NULL_BINARY, "null_binary"},
    {FAULT_DUPLICATE_KEYS, "duplicate_keys"},
    {0, NULL}};
CNIF_DEFINE_ENUM(tree_fault, tree_fault_atoms)

static cnif_value value_tree(cnif_env *env, size_t n, size_t blob_size,
                             size_t bad_at, tree_fault how)
{
    cnif_value *items = cnif_alloc(env, n * sizeof *items);
    static const cnif_atom names[5] = {"id", "score", "tags", "even", "odd"};
    cnif_value atoms[5];
    cnif_bin empty = cnif_bin_copy(env, "", 0);

    /* Atoms made once and kept as terms: looking each one up again per
    ** item would cost more than the rest of the tree. */
    for (int j = 0; j < 5; j++)
        atoms[j] = (cnif_value){.kind = CNIF_VALUE_TERM,
                                .term = cnif_encode_cnif_atom(env, names[j])};
    for (size_t i = 0; i < n; i++) {
        cnif_value *k = cnif_alloc(env, 3 * sizeof *k);
        cnif_value *v = cnif_alloc(env, 3 * sizeof *v);
        cnif_value *tags = cnif_alloc(env, 2 * sizeof *tags);
        memcpy(k, atoms, 3 * sizeof *k);
        v[0] = value_int((int64_t)i);
        v[1] = (cnif_value){.kind = CNIF_VALUE_FLOAT, .flt = (double)i / 2};
        tags[0] = atoms[3 + i % 2];
        tags[1] = (cnif_value){.kind = CNIF_VALUE_BINARY, .binary = empty};
        v[2] = (cnif_value){.kind = CNIF_VALUE_LIST, .list = {tags, 2, NULL}};
        if (i == n - 1) {
            unsigned char *data;
            tags[1].binary = cnif_bin_new(env, blob_size, &data);
            memset(data, 't', blob_size);
        }
        if (i == bad_at) {
            switch (how) {
            case FAULT_NAN:
                v[1].flt = NAN;
                break;
            case FAULT_INF:
                v[1].flt = -INFINITY;
                break;
            case FAULT_BAD_KIND:
                v[1].kind = (cnif_value_kind)99;
                break;
            case FAULT_NULL_BINARY:
                tags[1].binary = (cnif_bin){NULL, 10, 0};
                break;
            case FAULT_DUPLICATE_KEYS:
                k[2] = k[0];
                break;
            }
        }
        items[i] = (cnif_value){.kind = CNIF_VALUE_MAP, .map = {k, v, 3}};
    }
    return (cnif_value){.kind = CNIF_VALUE_LIST, .list = {items, n, NULL}};
}
CNIF_EXPORT(value_tree, cnif_value, size_t, size_t, size_t, tree_fault)

/* --- Still alive ----------------------------------------------------------- */
static int64_t add(cnif_env *env, int64_t a, int64_t b)
{
    (void)env;
    return a + b;
}
CNIF_EXPORT(add, int64_t, int64_t, int64_t)

CNIF_MODULE(struct_nif, NULL, NULL, NULL)
