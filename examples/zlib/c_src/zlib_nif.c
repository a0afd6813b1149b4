/* zlib_nif.c -- the system zlib (Debian's zlib1g, linked with -lz) as the
** NIFs of the Erlang module cnif_zlib.
**
**   compress/2, uncompress/2  one shot, zlib, gzip or raw deflate format
**   crc32/2, adler32/2        checksums with an initial value
**   deflate_open/1, deflate_feed/2, deflate_finish/1
**   inflate_open/1, inflate_feed/2, inflate_finish/1
**                             streams: a z_stream inside a resource
**   stats/0, version/0        zlib's live streams and bytes; its version
**
** Where the work runs. zlib costs tens of nanoseconds per byte to deflate
** and a few per byte to inflate, so a 50 MB call takes up to a second:
** far past the millisecond a normal scheduler may be held.
**   - compress, uncompress and the stream feeds run on dirty CPU
**     schedulers. They are CPU-bound loops over memory the call already
**     holds (the input binary, one growing output binary), which is what
**     the dirty CPU pool exists for. Yielding instead would mean keeping
**     the input alive across slices and returning mid-stream, for no gain
**     in throughput; the dirty hop costs microseconds, small next to any
**     compression.
**   - crc32 and adler32 yield on the normal scheduler, as the BIFs
**     erlang:crc32/2 and erlang:adler32/2 do. Checksums are mostly taken
**     of small inputs, where a dirty hop would cost more than the sum
**     itself; their state is one integer, so cutting them into slices is
**     trivial, and only a call that really yields pays for keeping its
**     input (see checksum_keep).
*/

/* zlib.h declares compress() and uncompress(). cnif names each NIF after
** its C function, and those are the names the Erlang side wants, so
** zlib's two declarations are renamed out of the way: this file calls
** deflate() and inflate() directly, never those two. */
#define ZLIB_CONST /* next_in points to const bytes: the caller's binary */
#define compress zlib_compress_unused
#define uncompress zlib_uncompress_unused
#include <zlib.h>
#undef compress
#undef uncompress

#include <cnif.h>
#include <string.h>

/* --- zlib's memory ---------------------------------------------------------
** Every byte zlib allocates comes from enif_alloc, so erlang:memory() sees
** it, and is counted, so stats/0 can show that a stream collected without
** being finished gave everything back. */
static uint64_t zlib_bytes, zlib_streams;

/* enif_alloc aligns to 8 bytes, not to max_align_t as malloc does: an
** 8-byte header keeps that, which is all zlib's types need. */
typedef union zhead {
    size_t size;
    void *align;
} zhead;

static voidpf zlib_alloc(voidpf opaque, uInt items, uInt size)
{
    size_t n = (size_t)items * size; /* two 32-bit factors: no overflow */
    zhead *h = enif_alloc(sizeof *h + n);

    (void)opaque;
    if (!h)
        return Z_NULL; /* zlib reports Z_MEM_ERROR */
    h->size = n;
    __atomic_add_fetch(&zlib_bytes, n, __ATOMIC_RELAXED);
    return h + 1;
}

static void zlib_free(voidpf opaque, voidpf p)
{
    zhead *h = (zhead *)p - 1;

    (void)opaque;
    if (!p)
        return;
    __atomic_sub_fetch(&zlib_bytes, h->size, __ATOMIC_RELAXED);
    enif_free(h);
}

/* Codes that no input can cause (a bad parameter, no memory, a mismatched
** library) are failures of this program, not of the data: they panic. */
static _Noreturn void zlib_panic(cnif_env *env, const char *what, int rc,
                                 const z_stream *z)
{
    cnif_panic(env, "zlib %s failed: %s", what,
               z->msg ? z->msg : zError(rc));
}

/* --- Options ---------------------------------------------------------------
** A level is an integer 0..9 or one of zlib's names for its levels, as in
** OTP's zlib module: a codec of our own, since neither the integer nor
** the enum codec alone says "either". */
typedef int zlevel;
static const cnif_enum_entry level_names[] = {
    {Z_NO_COMPRESSION, "none"},
    {Z_DEFAULT_COMPRESSION, "default"},
    {Z_BEST_SPEED, "best_speed"},
    {Z_BEST_COMPRESSION, "best_compression"},
    {0, NULL}};

static bool cnif_decode_zlevel(cnif_env *env, ERL_NIF_TERM term, zlevel *out)
{
    ErlNifEnv *nif = cnif_nif_env(env);

    if (enif_get_int(nif, term, out) && *out >= 0 && *out <= 9)
        return true;
    if (enif_is_atom(nif, term) && cnif_enum_decode(env, term, level_names, out))
        return true;
    return cnif_decode_fail(env, term, "an integer in 0..9, none, default, "
                                       "best_speed or best_compression");
}

static ERL_NIF_TERM cnif_encode_zlevel(cnif_env *env, zlevel level)
{
    if (level == Z_DEFAULT_COMPRESSION)
        return cnif_enum_encode(env, level_names, level);
    return enif_make_int(cnif_nif_env(env), level);
}
CNIF_CODEC(zlevel)

/* A format is zlib's windowBits argument: 15 for a zlib header and trailer,
** +16 for gzip, negative for raw deflate, +32 to detect zlib or gzip. */
enum { FORMAT_ZLIB = 15, FORMAT_GZIP = 31, FORMAT_RAW = -15, FORMAT_AUTO = 47 };

typedef int deflate_format;
static const cnif_enum_entry deflate_formats[] = {
    {FORMAT_ZLIB, "zlib"}, {FORMAT_GZIP, "gzip"}, {FORMAT_RAW, "raw"}, {0, NULL}};
CNIF_DEFINE_ENUM(deflate_format, deflate_formats)

typedef int inflate_format;
static const cnif_enum_entry inflate_formats[] = {
    {FORMAT_ZLIB, "zlib"}, {FORMAT_GZIP, "gzip"}, {FORMAT_RAW, "raw"},
    {FORMAT_AUTO, "auto"}, {0, NULL}};
CNIF_DEFINE_ENUM(inflate_format, inflate_formats)

typedef int zstrategy;
static const cnif_enum_entry strategies[] = {
    {Z_DEFAULT_STRATEGY, "default"}, {Z_FILTERED, "filtered"},
    {Z_HUFFMAN_ONLY, "huffman_only"}, {Z_RLE, "rle"}, {Z_FIXED, "fixed"},
    {0, NULL}};
CNIF_DEFINE_ENUM(zstrategy, strategies)

/* Options are maps whose keys may all be left out; a key that is no
** option is a bad argument rather than silently ignored (a typo such as
** `levle` would otherwise compress at the default level). */
typedef struct deflate_opts {
    zlevel level;
    deflate_format format;
    zstrategy strategy;
} deflate_opts;
static const deflate_opts deflate_defaults = {Z_DEFAULT_COMPRESSION,
                                              FORMAT_ZLIB, Z_DEFAULT_STRATEGY};
#define DEFLATE_OPTS(F)                                                       \
    F(zlevel, level, .optional = true)                                        \
    F(deflate_format, format, .optional = true)                               \
    F(zstrategy, strategy, .optional = true)
CNIF_DEFINE_STRUCT(deflate_opts, DEFLATE_OPTS, .as = CNIF_AS_MAP,
                   .reject_unknown = true, .defaults = &deflate_defaults)

/* max_size bounds the inflated output: a few kilobytes can inflate to
** gigabytes, and a server inflating what clients send wants a limit. */
typedef struct inflate_opts {
    inflate_format format;
    size_t max_size;
} inflate_opts;
static const inflate_opts inflate_defaults = {FORMAT_ZLIB, SIZE_MAX};
#define INFLATE_OPTS(F)                                                       \
    F(inflate_format, format, .optional = true)                               \
    F(size_t, max_size, .optional = true)
CNIF_DEFINE_STRUCT(inflate_opts, INFLATE_OPTS, .as = CNIF_AS_MAP,
                   .reject_unknown = true, .defaults = &inflate_defaults)

/* --- Results ---------------------------------------------------------------
** What bad input can cause comes back as {error, Reason}. Two of zlib's
** codes can (Z_DATA_ERROR, Z_NEED_DICT: a stream made with a preset
** dictionary, which this binding does not take); the rest are the
** binding's own names for conditions zlib reports vaguely or not at all.
** Z_BUF_ERROR in particular means "no progress possible", which at the end
** of the input is "truncated". */
typedef enum zerror {
    ZLIB_OK = Z_OK,
    ZLIB_DATA_ERROR = Z_DATA_ERROR,
    ZLIB_NEED_DICT = Z_NEED_DICT,
    ZLIB_TRUNCATED = 100,     /* the input ended inside the stream        */
    ZLIB_TRAILING_DATA = 101, /* bytes after the end of a zlib/raw stream */
    ZLIB_TOO_LARGE = 102      /* the output would pass max_size           */
} zerror;
static const cnif_enum_entry zerror_names[] = {
    {ZLIB_DATA_ERROR, "data_error"}, {ZLIB_NEED_DICT, "need_dict"},
    {ZLIB_TRUNCATED, "truncated"}, {ZLIB_TRAILING_DATA, "trailing_data"},
    {ZLIB_TOO_LARGE, "too_large"}, {0, NULL}};
CNIF_DEFINE_ENUM(zerror, zerror_names)

CNIF_DEFINE_RESULT(bin_result, cnif_bin, zerror) /* {ok, Bin} | {error, E} */
CNIF_DEFINE_STATUS(end_status, zerror)           /* ok | {error, E}        */

/* --- Output ----------------------------------------------------------------
** zlib writes straight into a binary the VM will own (cnif_bin_alloc),
** grown as needed and trimmed at the end: no buffer of our own, no copy.
** If the call fails or panics first, cnif releases the binary. */
typedef struct outbuf {
    cnif_bin_builder *bin;
    size_t len, cap;
    size_t max;   /* more output than this is ZLIB_TOO_LARGE */
    size_t limit; /* the capacity never grows past max + 1 */
} outbuf;

static outbuf out_new(cnif_env *env, size_t guess, size_t max)
{
    size_t limit = max == SIZE_MAX ? SIZE_MAX : max + 1;
    size_t cap = guess < 256 ? 256 : guess;

    if (cap > limit)
        cap = limit;
    return (outbuf){cnif_bin_alloc(env, cap), 0, cap, max, limit};
}

static bool out_grow(cnif_env *env, outbuf *out)
{
    if (out->cap == out->limit)
        return false;
    out->cap = out->cap > out->limit / 2 ? out->limit : out->cap * 2;
    cnif_bin_realloc(env, out->bin, out->cap);
    return true;
}

static cnif_bin out_finish(cnif_env *env, outbuf *out)
{
    cnif_bin_realloc(env, out->bin, out->len); /* cnif_bin_finish hands over */
    return cnif_bin_finish(env, out->bin);     /* the builder's whole size  */
}

/* Run step (deflate or inflate) over *in, writing to out, until zlib has
** taken all the input and has nothing more to write for this flush mode
** (Z_OK), the stream ended (Z_STREAM_END; *in keeps what follows it),
** zlib failed (its code), or out reached its limit (Z_BUF_ERROR).
** zlib counts in 32-bit uInt, so larger inputs and outputs go through in
** pieces. */
static int pump(cnif_env *env, z_stream *z, int (*step)(z_streamp, int),
                int flush, cnif_bin *in, outbuf *out)
{
    for (;;) {
        uInt in_now = in->size > UINT_MAX ? UINT_MAX : (uInt)in->size;
        size_t room;
        uInt out_now;
        int rc;

        if (out->len == out->cap && !out_grow(env, out))
            return Z_BUF_ERROR;
        room = out->cap - out->len;
        out_now = room > UINT_MAX ? UINT_MAX : (uInt)room;
        z->next_in = in->data;
        z->avail_in = in_now;
        z->next_out = cnif_bin_data(out->bin) + out->len;
        z->avail_out = out_now;
        rc = step(z, in->size > in_now ? Z_NO_FLUSH : flush);
        if (z->avail_in != in_now) { /* no arithmetic on an empty input's NULL */
            in->data += in_now - z->avail_in;
            in->size -= in_now - z->avail_in;
        }
        out->len += out_now - z->avail_out;
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return rc;
        /* Room left over means zlib has written all it had. */
        if (in->size == 0 && z->avail_out != 0 && flush != Z_FINISH)
            return Z_OK;
        if (rc == Z_BUF_ERROR && z->avail_out != 0)
            return Z_STREAM_ERROR; /* no progress with input and room */
    }
}

/* Inflate *in into out. A gzip file may hold several members one after
** another (RFC 1952), so with gzip or auto, input after the end of a
** member starts the next one; after a zlib or raw stream it is an error.
** *at_end says whether the input so far ends exactly at a stream's end. */
static zerror inflate_some(cnif_env *env, z_stream *z, int format, cnif_bin *in,
                           outbuf *out, bool *at_end)
{
    while (in->size > 0) {
        int rc;

        if (*at_end) {
            if (format == FORMAT_ZLIB || format == FORMAT_RAW)
                return ZLIB_TRAILING_DATA;
            inflateReset(z);
        }
        rc = pump(env, z, inflate, Z_NO_FLUSH, in, out);
        *at_end = rc == Z_STREAM_END;
        if (out->len > out->max)
            return ZLIB_TOO_LARGE;
        if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT)
            return (zerror)rc;
        if (rc != Z_OK && rc != Z_STREAM_END)
            zlib_panic(env, "inflate", rc, z);
    }
    return ZLIB_OK;
}

/* A first guess at the output: inflating often gives several times the
** input; the buffer doubles from there as needed. */
static size_t inflate_guess(size_t size)
{
    return size > SIZE_MAX / 4 ? SIZE_MAX : size * 4;
}

/* --- Setting up a z_stream -------------------------------------------------
** A z_stream points to its own state and zlib checks that the state points
** back (deflateStateCheck), so a z_stream must never be moved or copied
** once initialised: it lives in call-scoped memory or in a resource, both
** of which stay put. */
static void deflate_setup(cnif_env *env, z_stream *z, deflate_opts opts)
{
    int rc;

    z->zalloc = zlib_alloc;
    z->zfree = zlib_free;
    rc = deflateInit2(z, opts.level, Z_DEFLATED, opts.format, 8, opts.strategy);
    if (rc != Z_OK)
        zlib_panic(env, "deflateInit2", rc, z);
}

static void inflate_setup(cnif_env *env, z_stream *z, inflate_format format)
{
    int rc;

    z->zalloc = zlib_alloc;
    z->zfree = zlib_free;
    rc = inflateInit2(z, format);
    if (rc != Z_OK)
        zlib_panic(env, "inflateInit2", rc, z);
}

/* deflateEnd and inflateEnd as cleanups. Ending a stream that was never
** initialised (its state is NULL) does nothing, so the cleanup can be
** registered first and no path leaves an initialised stream behind. */
static void deflate_end_cleanup(void *z) { deflateEnd(z); }
static void inflate_end_cleanup(void *z) { inflateEnd(z); }

/* A zeroed z_stream for one call, ended when the call ends however it
** ends: returned, failed with {error, _} or panicked. */
static z_stream *call_stream(cnif_env *env, void (*end)(void *))
{
    z_stream *z = cnif_alloc(env, sizeof *z);

    memset(z, 0, sizeof *z);
    cnif_defer(env, end, z);
    return z;
}

/* --- One shot --------------------------------------------------------------
** deflateBound is zlib's worst case for the whole input, so one output
** allocation always suffices; the binary is trimmed to what was written. */
static cnif_bin compress(cnif_env *env, cnif_iodata data, deflate_opts opts)
{
    z_stream *z = call_stream(env, deflate_end_cleanup);
    outbuf out;
    int rc;

    deflate_setup(env, z, opts);
    out = out_new(env, deflateBound(z, data.size), SIZE_MAX);
    rc = pump(env, z, deflate, Z_FINISH, &data, &out);
    if (rc != Z_STREAM_END)
        zlib_panic(env, "deflate", rc, z);
    return out_finish(env, &out);
}
CNIF_EXPORT_FLAGS(compress, CNIF_DIRTY_CPU, cnif_bin, cnif_iodata, deflate_opts)

static bin_result uncompress(cnif_env *env, cnif_iodata data, inflate_opts opts)
{
    z_stream *z = call_stream(env, inflate_end_cleanup);
    bool at_end = false;
    outbuf out;
    zerror e;

    inflate_setup(env, z, opts.format);
    out = out_new(env, inflate_guess(data.size), opts.max_size);
    e = inflate_some(env, z, opts.format, &data, &out, &at_end);
    if (e == ZLIB_OK && !at_end)
        e = ZLIB_TRUNCATED;
    if (e != ZLIB_OK)
        return CNIF_ERR(bin_result, e);
    return CNIF_OK(bin_result, out_finish(env, &out));
}
CNIF_EXPORT_FLAGS(uncompress, CNIF_DIRTY_CPU, bin_result, cnif_iodata, inflate_opts)

/* --- Streams ---------------------------------------------------------------
** A stream is a z_stream in a resource. Deflaters and inflaters are two
** resource types over one struct, so passing an inflater where a deflater
** is expected is a bad argument the codec reports, like any wrong type.
**
** A stream is used by the process that opened it, as with OTP's zlib: the
** feeds run on dirty schedulers, where two processes could otherwise work
** on one z_stream at the same time and corrupt it. */
typedef enum stream_state {
    STREAM_CLOSED, /* not initialised yet, or finished: nothing to end */
    STREAM_OPEN,
    STREAM_BUSY /* a call is working on it; still so if that call panicked */
} stream_state;

typedef struct zstream {
    z_stream z;
    stream_state state;
    ErlNifPid owner;
    int format;
    size_t produced, max_size; /* inflaters: output so far and its limit */
    bool at_end;               /* inflaters: the input ends a stream     */
    zerror error;              /* inflaters: the first error, kept       */
} zstream;

typedef zstream deflater;
typedef zstream inflater;

static void stream_close(zstream *s, int (*end)(z_streamp))
{
    if (s->state != STREAM_CLOSED) {
        end(&s->z);
        s->state = STREAM_CLOSED;
        __atomic_sub_fetch(&zlib_streams, 1, __ATOMIC_RELAXED);
    }
}

/* Collected without being finished: end it here. */
static void deflater_destroy(cnif_env *env, deflater *d)
{
    (void)env;
    stream_close(d, deflateEnd);
}
static void inflater_destroy(cnif_env *env, inflater *i)
{
    (void)env;
    stream_close(i, inflateEnd);
}
CNIF_DEFINE_RESOURCE(deflater, .destroy = deflater_destroy)
CNIF_DEFINE_RESOURCE(inflater, .destroy = inflater_destroy)

/* Called once the z_stream is initialised: from here on destroy ends it. */
static void stream_opened(cnif_env *env, zstream *s, int format)
{
    enif_self(cnif_nif_env(env), &s->owner);
    s->format = format;
    s->state = STREAM_OPEN;
    __atomic_add_fetch(&zlib_streams, 1, __ATOMIC_RELAXED);
}

/* Misuse is a bad argument naming the stream (argument 1), never a crash. */
static void stream_enter(cnif_env *env, zstream *s, const char *kind)
{
    ErlNifPid self;

    if (!enif_self(cnif_nif_env(env), &self)
        || enif_compare_pids(&self, &s->owner) != 0)
        cnif_raise_badarg(env, 1, "the %s stream belongs to another process",
                          kind);
    if (s->state == STREAM_CLOSED)
        cnif_raise_badarg(env, 1, "the %s stream is finished", kind);
    /* Some output of the failed call is lost: the stream cannot go on. */
    if (s->state == STREAM_BUSY)
        cnif_raise_badarg(env, 1, "the %s stream was broken by a call that "
                                  "panicked", kind);
    s->state = STREAM_BUSY;
}

static cnif_res_deflater deflate_open(cnif_env *env, deflate_opts opts)
{
    deflater *d = cnif_resource_new(env, deflater);

    deflate_setup(env, &d->z, opts);
    stream_opened(env, d, opts.format);
    return d;
}
CNIF_EXPORT(deflate_open, cnif_res_deflater, deflate_opts)

/* Deflate buffers its input, so a chunk usually gives little output. */
static cnif_bin deflate_feed(cnif_env *env, cnif_res_deflater d, cnif_iodata data)
{
    cnif_bin result;
    outbuf out;
    int rc;

    stream_enter(env, d, "deflate");
    out = out_new(env, data.size / 4, SIZE_MAX);
    rc = pump(env, &d->z, deflate, Z_NO_FLUSH, &data, &out);
    if (rc != Z_OK)
        zlib_panic(env, "deflate", rc, &d->z);
    result = out_finish(env, &out);
    d->state = STREAM_OPEN;
    return result;
}
CNIF_EXPORT_FLAGS(deflate_feed, CNIF_DIRTY_CPU, cnif_bin, cnif_res_deflater,
                  cnif_iodata)

static cnif_bin deflate_finish(cnif_env *env, cnif_res_deflater d)
{
    static const unsigned char nothing[1];
    cnif_bin none = {nothing, 0, 0}, result;
    outbuf out;
    int rc;

    stream_enter(env, d, "deflate");
    out = out_new(env, 0, SIZE_MAX);
    rc = pump(env, &d->z, deflate, Z_FINISH, &none, &out);
    if (rc != Z_STREAM_END)
        zlib_panic(env, "deflate", rc, &d->z);
    result = out_finish(env, &out);
    stream_close(d, deflateEnd);
    return result;
}
CNIF_EXPORT_FLAGS(deflate_finish, CNIF_DIRTY_CPU, cnif_bin, cnif_res_deflater)

static cnif_res_inflater inflate_open(cnif_env *env, inflate_opts opts)
{
    inflater *i = cnif_resource_new(env, inflater);

    inflate_setup(env, &i->z, opts.format);
    stream_opened(env, i, opts.format);
    i->max_size = opts.max_size;
    return i;
}
CNIF_EXPORT(inflate_open, cnif_res_inflater, inflate_opts)

/* After an error every call returns the same error: zlib cannot resync. */
static bin_result inflate_feed(cnif_env *env, cnif_res_inflater i, cnif_iodata data)
{
    cnif_bin result = {0};
    outbuf out;

    stream_enter(env, i, "inflate");
    if (i->error == ZLIB_OK) {
        out = out_new(env, inflate_guess(data.size), i->max_size - i->produced);
        i->error = inflate_some(env, &i->z, i->format, &data, &out, &i->at_end);
        if (i->error == ZLIB_OK)
            result = out_finish(env, &out);
    }
    i->produced += result.size;
    i->state = STREAM_OPEN;
    if (i->error != ZLIB_OK)
        return CNIF_ERR(bin_result, i->error);
    return CNIF_OK(bin_result, result);
}
CNIF_EXPORT_FLAGS(inflate_feed, CNIF_DIRTY_CPU, bin_result, cnif_res_inflater,
                  cnif_iodata)

/* Inflate writes all it can as input arrives, so finishing only checks
** that the input ended where a stream does, and gives zlib's memory back. */
static end_status inflate_finish(cnif_env *env, cnif_res_inflater i)
{
    zerror e;

    stream_enter(env, i, "inflate");
    e = i->error != ZLIB_OK ? i->error : i->at_end ? ZLIB_OK : ZLIB_TRUNCATED;
    stream_close(i, inflateEnd);
    if (e != ZLIB_OK)
        return CNIF_ERR(end_status, e);
    return CNIF_OK_STATUS(end_status);
}
CNIF_EXPORT(inflate_finish, end_status, cnif_res_inflater)

/* --- Checksums -------------------------------------------------------------
** Yielding NIFs (CNIF_EXPORT_YIELDING): init takes the arguments, step sums
** one slice's worth and returns false to be called again in a later one. */
typedef uLong (*checksum_fn)(uLong sum, const Bytef *data, z_size_t size);

typedef struct checksum {
    checksum_fn fn;
    uLong sum;
    const unsigned char *data; /* what is left to sum */
    size_t size;
    ERL_NIF_TERM term; /* the input binary: valid in the first slice only */
    ErlNifEnv *keep;   /* holds the input once the call has yielded */
} checksum;

static void checksum_init(checksum *s, checksum_fn fn, uint32_t initial,
                          cnif_iodata data)
{
    s->fn = fn;
    s->sum = initial;
    s->data = data.data;
    s->size = data.size;
    s->term = data.term;
}

static void checksum_free(void *arg)
{
    checksum *s = arg;
    if (s->keep)
        enif_free_env(s->keep);
}

/* The input is the caller's, and a decoded binary is valid for one slice
** only. A call that yields keeps it in an environment of its own: copying
** a binary's term there shares its bytes (large binaries are reference
** counted); an iolist was flattened into memory of this slice, so what is
** still to be summed is copied. The cleanup frees the environment when
** the call ends, also if the caller dies between slices. */
static void checksum_keep(cnif_env *env, checksum *s)
{
    ErlNifBinary bin;
    ERL_NIF_TERM kept;
    unsigned char *copy;

    cnif_defer(env, checksum_free, s);
    s->keep = enif_alloc_env();
    if (!s->keep)
        cnif_panic(env, "out of memory: cannot keep the input");
    if (s->term) {
        kept = enif_make_copy(s->keep, s->term);
        enif_inspect_binary(s->keep, kept, &bin);
        s->data = bin.data + (bin.size - s->size);
    } else {
        copy = enif_make_new_binary(s->keep, s->size, &kept);
        if (!copy)
            cnif_panic(env, "out of memory: cannot keep the input");
        memcpy(copy, s->data, s->size);
        s->data = copy;
    }
}

/* 64 KB at a time, reporting the time it took: a timeslice is about a
** millisecond, so every 10 us is one percent of it. */
#define CHECKSUM_CHUNK ((size_t)64 * 1024)

static bool checksum_step(cnif_env *env, checksum *s, uint32_t *result)
{
    ErlNifTime last = enif_monotonic_time(ERL_NIF_USEC);

    while (s->size > 0) {
        size_t n = s->size < CHECKSUM_CHUNK ? s->size : CHECKSUM_CHUNK;
        ErlNifTime now;

        s->sum = s->fn(s->sum, s->data, n);
        s->data += n;
        s->size -= n;
        now = enif_monotonic_time(ERL_NIF_USEC);
        if (s->size > 0
            && cnif_timeslice_consume(env, (int)((now - last) / 10) + 1)) {
            if (!s->keep)
                checksum_keep(env, s);
            return false;
        }
        last = now;
    }
    *result = (uint32_t)s->sum;
    return true;
}

/* CNIF_EXPORT_YIELDING wants name_init and name_step: one pair per zlib
** checksum function, both passing on to the code above. */
#define CHECKSUM_NIF(name, sum_fn)                                            \
    static void name##_init(cnif_env *env, checksum *s, uint32_t initial,     \
                            cnif_iodata data)                                 \
    {                                                                         \
        (void)env;                                                            \
        checksum_init(s, sum_fn, initial, data);                              \
    }                                                                         \
    static bool name##_step(cnif_env *env, checksum *s, uint32_t *result)     \
    {                                                                         \
        return checksum_step(env, s, result);                                 \
    }                                                                         \
    CNIF_EXPORT_YIELDING(name, uint32_t, checksum, uint32_t, cnif_iodata)

CHECKSUM_NIF(crc32, crc32_z)
CHECKSUM_NIF(adler32, adler32_z)

/* --- Introspection ---------------------------------------------------------
** stats() is #{streams => open stream resources, bytes => what zlib holds}. */
typedef struct zlib_stats {
    uint64_t streams, bytes;
} zlib_stats;
#define ZLIB_STATS(F) F(uint64_t, streams) F(uint64_t, bytes)
CNIF_DEFINE_STRUCT(zlib_stats, ZLIB_STATS, .as = CNIF_AS_MAP)

static zlib_stats stats(cnif_env *env)
{
    (void)env;
    return (zlib_stats){__atomic_load_n(&zlib_streams, __ATOMIC_RELAXED),
                        __atomic_load_n(&zlib_bytes, __ATOMIC_RELAXED)};
}
CNIF_EXPORT(stats, zlib_stats)

/* The zlib actually loaded, which may be newer than the zlib.h compiled
** against. */
static cnif_str version(cnif_env *env)
{
    (void)env;
    return cnif_str_from(zlibVersion());
}
CNIF_EXPORT(version, cnif_str)

CNIF_MODULE(cnif_zlib, NULL, NULL, NULL)
