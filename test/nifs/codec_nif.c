/* codec_nif.c -- the NIFs behind test/codec_tests.erl: one per codec concern.
** Most are echoes (decode, then encode the same value), so a test sees both
** directions of a codec and every rejection the decoder makes. The rest
** exercise the codec functions a NIF body calls (sub-binaries, builders,
** map building and iteration) and encoders that must panic, not crash. */
#include <cnif.h>
#include <math.h>
#include <string.h>

/* --- Echoes ----------------------------------------------------------------
** echo_T/1 decodes its argument as T and returns it encoded again. */
#define ECHO(T)                                                               \
    static T echo_##T(cnif_env *env, T value)                                 \
    {                                                                         \
        (void)env;                                                            \
        return value;                                                         \
    }                                                                         \
    CNIF_EXPORT(echo_##T, T, T)

ECHO(int8_t)
ECHO(int16_t)
ECHO(int32_t)
ECHO(int64_t)
ECHO(uint8_t)
ECHO(uint16_t)
ECHO(uint32_t)
ECHO(uint64_t)
ECHO(size_t)
ECHO(ssize_t)
ECHO(int)
ECHO(unsigned)
ECHO(long)
ECHO(double)
ECHO(float)
ECHO(bool)
ECHO(cnif_atom)
ECHO(cnif_bin)
ECHO(cnif_iodata)
ECHO(cnif_str)
ECHO(cnif_iotext)
ECHO(cnif_cstr)
ECHO(cnif_array_int64_t)
ECHO(cnif_array_double)
ECHO(cnif_array_cnif_str)
ECHO(cnif_tuple)
ECHO(cnif_map)
ECHO(cnif_pid)
ECHO(cnif_ref)
ECHO(cnif_term)

/* Arrays nest once their element type has an array type of its own. */
CNIF_DEFINE_ARRAY(cnif_array_int64_t)
ECHO(cnif_array_cnif_array_int64_t)

/* --- Enums ---------------------------------------------------------------- */
typedef enum { RED, GREEN, BLUE } color;
static const cnif_enum_entry color_atoms[] = {
    {RED, "red"}, {GREEN, "green"}, {BLUE, "blue"}, {0, NULL}};
CNIF_DEFINE_ENUM(color, color_atoms)
ECHO(color)

/* A value outside the table: its encoder must panic, not make an atom. */
static color color_from_int(cnif_env *env, int value)
{
    (void)env;
    return (color)value;
}
CNIF_EXPORT(color_from_int, color, int)

/* --- Floats the VM cannot hold ---------------------------------------------
** Erlang has no NaN or infinity, so encoding one is a panic in the encode
** phase; the name picks which. */
typedef enum { POS_INF, NEG_INF, NOT_A_NUMBER } special;
static const cnif_enum_entry special_atoms[] = {
    {POS_INF, "inf"}, {NEG_INF, "neg_inf"}, {NOT_A_NUMBER, "nan"}, {0, NULL}};
CNIF_DEFINE_ENUM(special, special_atoms)

static double special_value(special which)
{
    return which == POS_INF ? INFINITY : which == NEG_INF ? -INFINITY : NAN;
}

static double special_double(cnif_env *env, special which)
{
    (void)env;
    return special_value(which);
}
CNIF_EXPORT(special_double, double, special)

static float special_float(cnif_env *env, special which)
{
    (void)env;
    return (float)special_value(which);
}
CNIF_EXPORT(special_float, float, special)

/* --- Binaries ------------------------------------------------------------- */
/* iodata: a binary is cut in place, an iolist made a binary first. */
static cnif_bin bin_sub(cnif_env *env, cnif_iodata bin, size_t pos, size_t size)
{
    return cnif_bin_sub(env, bin, pos, size);
}
CNIF_EXPORT(bin_sub, cnif_bin, cnif_iodata, size_t, size_t)

static cnif_bin bin_new(cnif_env *env, size_t size, uint8_t byte)
{
    unsigned char *data;
    cnif_bin bin = cnif_bin_new(env, size, &data);
    memset(data, byte, size);
    return bin;
}
CNIF_EXPORT(bin_new, cnif_bin, size_t, uint8_t)

/* The concatenation of parts, grown one part at a time from an empty
** builder: every append goes through cnif_bin_realloc. */
static cnif_bin bin_concat(cnif_env *env, cnif_array_cnif_bin parts)
{
    cnif_bin_builder *b = cnif_bin_alloc(env, 0);
    size_t size = 0;
    for (size_t i = 0; i < parts.len; i++) {
        cnif_bin_realloc(env, b, size + parts.items[i].size);
        memcpy(cnif_bin_data(b) + size, parts.items[i].data,
               parts.items[i].size);
        size += parts.items[i].size;
    }
    return cnif_bin_finish(env, b);
}
CNIF_EXPORT(bin_concat, cnif_bin, cnif_array_cnif_bin)

/* A builder filled, grown, then abandoned by a panic: the call's cleanup
** must release it (the leak test calls this many times). */
static void bin_abandon(cnif_env *env, size_t size)
{
    cnif_bin_builder *b = cnif_bin_alloc(env, size);
    memset(cnif_bin_data(b), 1, size);
    cnif_bin_realloc(env, b, 2 * size);
    cnif_panic(env, "abandoned a builder of %zu bytes", 2 * size);
}
CNIF_EXPORT(bin_abandon, void, size_t)

/* Misuse: a builder is handed to the VM once only. */
static cnif_bin bin_finish_twice(cnif_env *env)
{
    cnif_bin_builder *b = cnif_bin_alloc(env, 8);
    cnif_bin_finish(env, b);
    return cnif_bin_finish(env, b);
}
CNIF_EXPORT(bin_finish_twice, cnif_bin)

/* Adler-32 (RFC 1950) of a binary, to compare with erlang:adler32/1 over
** 100 MB. Dirty: it takes longer than a normal scheduler slice. */
static uint32_t bin_adler32(cnif_env *env, cnif_bin bin)
{
    /* 5552 bytes is the most that cannot overflow the 32-bit sums. */
    uint32_t a = 1, b = 0;
    (void)env;
    for (size_t i = 0; i < bin.size;) {
        size_t end = i + 5552 < bin.size ? i + 5552 : bin.size;
        for (; i < end; i++) {
            a += bin.data[i];
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    return (b << 16) | a;
}
CNIF_EXPORT_FLAGS(bin_adler32, CNIF_DIRTY_CPU, uint32_t, cnif_bin)

/* --- Strings -------------------------------------------------------------- */
static size_t cstr_len(cnif_env *env, cnif_cstr text)
{
    (void)env;
    return strlen(text);
}
CNIF_EXPORT(cstr_len, size_t, cnif_cstr)

/* A C string literal out: 7 bytes of UTF-8 for 5 characters. */
static cnif_cstr cstr_const(cnif_env *env)
{
    (void)env;
    return "gr\xc3\xbc\xc3\x9f" "e";
}
CNIF_EXPORT(cstr_const, cnif_cstr)

/* Bytes from C that are not UTF-8 must never reach Erlang as a string. */
static cnif_str str_invalid(cnif_env *env)
{
    (void)env;
    return cnif_str_from("ok\xff");
}
CNIF_EXPORT(str_invalid, cnif_str)

/* --- A recursive user codec -------------------------------------------------
** nest: an integer, or a list of nests. Decoded to its depth. The array
** decoder checks its own level only and leaves it before the elements are
** decoded here, so this codec brackets the recursion itself. */
typedef struct {
    int64_t depth;
} nest;

static bool cnif_decode_nest(cnif_env *env, ERL_NIF_TERM term, nest *out)
{
    cnif_array_cnif_term items;
    int64_t leaf;
    bool ok = true;

    out->depth = 0;
    if (!enif_is_list(cnif_nif_env(env), term))
        return cnif_decode_int64_t(env, term, &leaf);
    if (!cnif_decode_cnif_array_cnif_term(env, term, &items)
        || !cnif_depth_enter(env))
        return false;
    for (size_t i = 0; ok && i < items.len; i++) {
        nest item;
        ok = CNIF_DECODE_AT_INDEX(env, nest, items.items[i], i, &item);
        if (ok && item.depth > out->depth)
            out->depth = item.depth;
    }
    cnif_depth_leave(env);
    out->depth++;
    return ok;
}

static int64_t nest_depth(cnif_env *env, nest value)
{
    (void)env;
    return value.depth;
}
CNIF_EXPORT(nest_depth, int64_t, nest)

/* --- Tuples ---------------------------------------------------------------
** point: {X, Y, Z} of integers, decoded element by element so a short tuple
** and a bad element each get their own report. */
typedef struct {
    int64_t x, y, z;
} point;

static bool cnif_decode_point(cnif_env *env, ERL_NIF_TERM term, point *out)
{
    cnif_tuple t;
    return cnif_decode_cnif_tuple(env, term, &t)
        && CNIF_TUPLE_GET(env, t, 0, int64_t, &out->x)
        && CNIF_TUPLE_GET(env, t, 1, int64_t, &out->y)
        && CNIF_TUPLE_GET(env, t, 2, int64_t, &out->z);
}

static ERL_NIF_TERM cnif_encode_point(cnif_env *env, point p)
{
    ERL_NIF_TERM items[3] = {cnif_encode_int64_t(env, p.x),
                             cnif_encode_int64_t(env, p.y),
                             cnif_encode_int64_t(env, p.z)};
    return cnif_tuple_make(env, 3, items);
}

CNIF_DEFINE_ARRAY(point)
ECHO(cnif_array_point)

/* A tuple with no term behind it: encoding builds it from its items. */
static cnif_tuple tuple_reverse(cnif_env *env, cnif_tuple t)
{
    ERL_NIF_TERM *items = cnif_alloc(env, (size_t)t.arity * sizeof *items);
    for (int i = 0; i < t.arity; i++)
        items[i] = t.items[t.arity - 1 - i];
    return (cnif_tuple){items, t.arity, 0};
}
CNIF_EXPORT(tuple_reverse, cnif_tuple, cnif_tuple)

/* --- Maps -----------------------------------------------------------------
** opts: #{x := integer(), y := float()}, read by key name. */
typedef struct {
    int64_t x;
    double y;
} opts;

static bool cnif_decode_opts(cnif_env *env, ERL_NIF_TERM term, opts *out)
{
    cnif_map m;
    return cnif_decode_cnif_map(env, term, &m)
        && CNIF_MAP_GET(env, m, "x", int64_t, &out->x)
        && CNIF_MAP_GET(env, m, "y", double, &out->y);
}

static double opts_sum(cnif_env *env, opts o)
{
    (void)env;
    return (double)o.x + o.y;
}
CNIF_EXPORT(opts_sum, double, opts)

/* The integer at the atom key named `key` of a map, by name. */
static bool decode_keyed(cnif_env *env, ERL_NIF_TERM term, const char *key,
                         int64_t *out)
{
    cnif_map m;
    return cnif_decode_cnif_map(env, term, &m)
        && CNIF_MAP_GET(env, m, key, int64_t, out);
}

/* ghost: read by a key name no Erlang code mentions, so the atom does not
** exist; decoding must fail without creating it. */
typedef int64_t ghost;
static bool cnif_decode_ghost(cnif_env *env, ERL_NIF_TERM term, ghost *out)
{
    return decode_keyed(env, term, "codec_nif_never_an_atom", out);
}

static int64_t ghost_value(cnif_env *env, ghost g)
{
    (void)env;
    return g;
}
CNIF_EXPORT(ghost_value, int64_t, ghost)

/* accented: key names are UTF-8, like every name cnif takes from C. */
typedef int64_t accented;
static bool cnif_decode_accented(cnif_env *env, ERL_NIF_TERM term,
                                 accented *out)
{
    return decode_keyed(env, term, "h\xc3\xa9llo", out);
}

static int64_t accented_value(cnif_env *env, accented a)
{
    (void)env;
    return a;
}
CNIF_EXPORT(accented_value, int64_t, accented)

CNIF_DEFINE_RESULT(found, cnif_term, cnif_atom)

static found map_find(cnif_env *env, cnif_map m, cnif_term key)
{
    ERL_NIF_TERM value;
    if (cnif_map_find(env, m, key, &value))
        return CNIF_OK(found, value);
    return CNIF_ERR(found, "not_found");
}
CNIF_EXPORT(map_find, found, cnif_map, cnif_term)

static size_t map_count(cnif_env *env, cnif_map m)
{
    return cnif_map_size(env, m);
}
CNIF_EXPORT(map_count, size_t, cnif_map)

/* The sum of a map's values by iteration. A value that is not an integer
** cuts the loop short with a panic; the iterator is still released. */
static int64_t map_sum(cnif_env *env, cnif_map m)
{
    cnif_map_iter it = cnif_map_iter_start(env, m);
    ERL_NIF_TERM key, value;
    int64_t sum = 0, v = 0;
    while (cnif_map_iter_next(env, it, &key, &value)) {
        if (!cnif_decode_int64_t(env, value, &v))
            cnif_panic(env, "map_sum: a value is not an integer");
        sum += v;
    }
    return sum;
}
CNIF_EXPORT(map_sum, int64_t, cnif_map)

static cnif_map map_put(cnif_env *env, cnif_map m, cnif_term key,
                        cnif_term value)
{
    return cnif_map_put(env, m, key, value);
}
CNIF_EXPORT(map_put, cnif_map, cnif_map, cnif_term, cnif_term)

static cnif_map map_new(cnif_env *env)
{
    return cnif_map_new(env);
}
CNIF_EXPORT(map_new, cnif_map)

static cnif_map map_from_lists(cnif_env *env, cnif_array_cnif_term keys,
                               cnif_array_cnif_term values)
{
    if (keys.len != values.len)
        cnif_raise_badarg(env, 2, "expected %zu values, got %zu", keys.len,
                          values.len);
    return cnif_map_from_arrays(env, keys.items, values.items, keys.len);
}
CNIF_EXPORT(map_from_lists, cnif_map, cnif_array_cnif_term, cnif_array_cnif_term)

/* --- Results and void ------------------------------------------------------ */
CNIF_DEFINE_RESULT(quotient, int64_t, cnif_atom)

static quotient checked_div(cnif_env *env, int64_t a, int64_t b)
{
    (void)env;
    if (b == 0)
        return CNIF_ERR(quotient, "divide_by_zero");
    return CNIF_OK(quotient, a / b);
}
CNIF_EXPORT(checked_div, quotient, int64_t, int64_t)

static void ignore(cnif_env *env, cnif_term term)
{
    (void)env;
    (void)term;
}
CNIF_EXPORT(ignore, void, cnif_term)

CNIF_MODULE(codec_nif, NULL, NULL, NULL)
