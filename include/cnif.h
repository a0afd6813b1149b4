/*
** cnif.h -- typed Erlang/Elixir NIFs in C that cannot crash the VM.
**
** This is the one public header of cnif. Every function and macro is
** documented where it is declared, and every claim made here is exercised by
** the test suite (test/).
**
** CONTENTS
**   1. Options            compile-time knobs (define before including)
**   2. The call env       cnif_env, phases
**   3. Declaring NIFs     CNIF_EXPORT, CNIF_EXPORT_RAW, CNIF_MODULE
**   4. The boundary       cnif_panic, CNIF_ASSERT, cnif_raise, cnif_try
**   5. Call-scoped memory cnif_alloc, cnif_defer
**   6. Bad arguments      cnif_decode_fail, paths, cnif_raise_badarg
**   7. Codecs             integers, floats, bool, atoms, enums, binaries,
**                         strings, arrays, tuples, maps, pids, refs, terms,
**                         results
**
** A NIF is a plain C function whose first parameter is the call env:
**
**     static int64_t add(cnif_env *env, int64_t a, int64_t b) { return a + b; }
**     CNIF_EXPORT(add, int64_t, int64_t, int64_t)
**     CNIF_MODULE(demo, NULL, NULL, NULL)
**
** Erlang side (see erlang/cnif_transform.erl): the module lists its NIFs once
** and gets generated wrappers that turn cnif's bad-argument reports into
** plain `error:badarg` with EEP-54 error_info:
**
**     -module(demo).
**     -include_lib("cnif/include/cnif.hrl").
**     -cnif_nifs([add/2]).
**
** Each exported C function `name` is registered with the VM as `name_nif`;
** the generated wrapper `name` calls it. Everything that can go wrong during
** the call (decoding, the body, encoding, building the exception, cleanup)
** ends as an Erlang exception, never as a crash:
**
**   error:badarg (with error_info)       a caller passed a bad argument
**   error:{nif_panicked, #{message := binary(), phase := atom(),
**                          location := <<"file.c:LINE">>}}
**                                        cnif_panic / CNIF_ASSERT / internal
**   error:Term                           cnif_raise(env, Term)
*/
#ifndef CNIF_H
#define CNIF_H

#include <erl_nif.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
** 1. OPTIONS
**
** These only affect the library build (src/); a NIF built against an
** installed libcnif.a sees the values the library was built with.
**
** CNIF_MAX_DEPTH        nesting bound for container codecs (default 512).
**                       Deeper input is a bad argument, not a stack overflow.
** CNIF_MESSAGE_MAX      bytes kept of a panic or bad-argument message,
**                       including the NUL (default 512).
** CNIF_PATH_MAX         path segments kept for a bad-argument report
**                       (default 32); deeper paths are shown from the
**                       innermost segment outwards, prefixed by "...".
** CNIF_USE_BUILTIN_SETJMP  use __builtin_setjmp/__builtin_longjmp instead of
**                       _setjmp/_longjmp for the guard (see bench/).
*/

/* ------------------------------------------------------------------------
** 2. THE CALL ENV
**
** A cnif_env lives for exactly one guarded call (a NIF invocation, a load
** hook, a cnif_try). It owns the call-scoped memory and cleanups and knows
** where to unwind to. It is always passed first. Never keep a pointer to it
** beyond the call.
*/
typedef struct cnif_env cnif_env;

/* What the guarded call is doing right now. It is reported as the `phase`
** of a nif_panicked exception, so a panic can be told apart by where it
** happened. */
typedef enum cnif_phase {
    CNIF_PHASE_DECODE,  /* decoding arguments                              */
    CNIF_PHASE_CALL,    /* running the NIF body                            */
    CNIF_PHASE_ENCODE,  /* encoding the return value or a raised value      */
    CNIF_PHASE_CLEANUP, /* running deferred cleanups at the end of the call */
    CNIF_PHASE_LOAD,    /* module load hook                                */
    CNIF_PHASE_UPGRADE, /* module upgrade hook                             */
    CNIF_PHASE_UNLOAD   /* module unload hook                              */
} cnif_phase;

/* The public head of every cnif_env. The rest of the struct is private. */
struct cnif__env_head {
    ErlNifEnv *nif;
    cnif_phase phase;
};

/* The erl_nif environment of this call, for direct enif_* calls. Terms made
** with it may be returned from the NIF. */
static inline ErlNifEnv *cnif_nif_env(cnif_env *env)
{
    return ((struct cnif__env_head *)env)->nif;
}

/* Set the phase reported if a panic happens from here on. The generated
** code sets decode/call/encode itself; user code rarely needs this. */
static inline void cnif_phase_set(cnif_env *env, cnif_phase phase)
{
    ((struct cnif__env_head *)env)->phase = phase;
}

/* ------------------------------------------------------------------------
** 3. DECLARING NIFS
**
** CNIF_EXPORT(name, Ret, Arg1, ..., ArgN)
**   Export the C function
**       static Ret name(cnif_env *env, Arg1 a1, ..., ArgN aN);
**   as the NIF `name_nif/N` (0 <= N <= 8). Each type must be a single
**   identifier T for which the codec functions cnif_decode_T (arguments)
**   and cnif_encode_T (return value) exist: the built-in ones below, or a
**   user's own following the same convention. Ret may be `void`, in which
**   case the NIF returns the atom `ok`.
**
**   Every argument is decoded before the body runs; the first one that
**   fails raises a bad argument naming its position, path and reason.
**
** CNIF_EXPORT_FLAGS(name, flags, Ret, Arg1, ..., ArgN)
**   The same, run on a dirty scheduler when flags is CNIF_DIRTY_CPU or
**   CNIF_DIRTY_IO (0 means a normal scheduler).
**
** CNIF_EXPORT_RAW(name, arity)
** CNIF_EXPORT_RAW_FLAGS(name, arity, flags)
**   Export a raw-term NIF
**       static ERL_NIF_TERM name(cnif_env *env, int argc,
**                                const ERL_NIF_TERM argv[]);
**   It runs inside the same guard as a typed one. Use CNIF_ARG to decode
**   an argument with the usual bad-argument report.
**
** CNIF_MODULE(name, load, upgrade, unload)
**   Declare the NIF library for the Erlang module `name`, once per shared
**   object. The hooks may be NULL; each runs inside the boundary:
**       int load(cnif_env *env, void **priv_data, ERL_NIF_TERM load_info);
**       int upgrade(cnif_env *env, void **priv_data, void **old_priv_data,
**                   ERL_NIF_TERM load_info);
**       void unload(cnif_env *env, void *priv_data);
**   load and upgrade return 0 on success. A panic in load or upgrade makes
**   the load fail; a panic in unload is reported on stderr.
**
** Exported functions are collected through the ELF section "cnif_nifs", so a
** module needs no central list. Link with the version script cnif.map
** (`pkg-config --libs cnif` adds it) and compile with -fvisibility=hidden
** (`pkg-config --cflags cnif`), and `nif_init` is the only symbol the
** shared object exports: several cnif libraries load side by side.
*/
#define CNIF_DIRTY_CPU ERL_NIF_DIRTY_JOB_CPU_BOUND
#define CNIF_DIRTY_IO ERL_NIF_DIRTY_JOB_IO_BOUND

#define CNIF_EXPORT(name, ...) CNIF_EXPORT_FLAGS(name, 0, __VA_ARGS__)

#define CNIF_EXPORT_FLAGS(name, flags, ...)                                   \
    static ERL_NIF_TERM cnif__invoke_##name(cnif_env *env, int argc,          \
                                            const ERL_NIF_TERM argv[])        \
    {                                                                         \
        (void)argc;                                                           \
        (void)argv;                                                           \
        CNIF__CAT(CNIF__INVOKE_, CNIF__IS_VOID(CNIF__FIRST(__VA_ARGS__)))     \
        (name, __VA_ARGS__)                                                   \
    }                                                                         \
    CNIF__REGISTER(name, CNIF__NARG(__VA_ARGS__), flags)

#define CNIF_EXPORT_RAW(name, arity) CNIF_EXPORT_RAW_FLAGS(name, arity, 0)

#define CNIF_EXPORT_RAW_FLAGS(name, arity, flags)                             \
    static ERL_NIF_TERM cnif__invoke_##name(cnif_env *env, int argc,          \
                                            const ERL_NIF_TERM argv[])        \
    {                                                                         \
        cnif_phase_set(env, CNIF_PHASE_CALL);                                 \
        return name(env, argc, argv);                                         \
    }                                                                         \
    CNIF__REGISTER(name, arity, flags)

/* Decode argv[index] as T into *out, or raise a bad argument for argument
** index+1. For raw-term NIFs. */
#define CNIF_ARG(env, argv, index, T, out)                                    \
    ((void)(cnif_decode_##T((env), (argv)[(index)], (out))                   \
            || (cnif__arg_fail((env), (index)), 0)))

typedef struct cnif_module {
    const char *name;
    int (*load)(cnif_env *env, void **priv_data, ERL_NIF_TERM load_info);
    int (*upgrade)(cnif_env *env, void **priv_data, void **old_priv_data,
                   ERL_NIF_TERM load_info);
    void (*unload)(cnif_env *env, void *priv_data);
} cnif_module;

#define CNIF_MODULE(name, load, upgrade, unload)                              \
    extern ErlNifFunc __start_cnif_nifs[]                                     \
        __attribute__((visibility("hidden")));                                \
    extern ErlNifFunc __stop_cnif_nifs[]                                      \
        __attribute__((visibility("hidden")));                                \
    static const cnif_module cnif__module = {#name, load, upgrade, unload};   \
    ERL_NIF_INIT_EXPORT ErlNifEntry *nif_init(void);                          \
    ERL_NIF_INIT_EXPORT ErlNifEntry *nif_init(void)                           \
    {                                                                         \
        return cnif_module_entry(&cnif__module, __start_cnif_nifs,            \
                                 __stop_cnif_nifs);                           \
    }

/* Build the erl_nif entry for a module from its exported functions. Called
** by CNIF_MODULE; not for direct use. */
ErlNifEntry *cnif_module_entry(const cnif_module *module, ErlNifFunc *first,
                               ErlNifFunc *last);

/* Run one NIF invocation inside a fresh guard. Called by the code that
** CNIF_EXPORT generates; not for direct use. */
ERL_NIF_TERM cnif_call(ErlNifEnv *nif, int argc, const ERL_NIF_TERM argv[],
                       ERL_NIF_TERM (*invoke)(cnif_env *, int,
                                              const ERL_NIF_TERM[]));

/* ------------------------------------------------------------------------
** 4. THE BOUNDARY
**
** Every guarded call records where to unwind to. cnif_panic and friends
** unwind to the innermost guard of the current thread, run the call's
** cleanups, release its memory, and make the call raise. They never return.
** Guards nest (cnif_try) and work on normal and dirty schedulers alike.
**
** Unwinding skips the C frames in between: a function that may be unwound
** through must keep what it owns in call-scoped memory or behind a
** cnif_defer cleanup, never only in a local variable.
*/

/* End the call with error:{nif_panicked, #{message => Msg, phase => Phase,
** location => <<"file.c:LINE">>}}, where Msg is the printf-style message
** (truncated to CNIF_MESSAGE_MAX - 1 bytes) and Phase the current phase.
** env may be NULL: the innermost guard of this thread is used. */
#define cnif_panic(env, ...) cnif_panic_at((env), __FILE__, __LINE__, __VA_ARGS__)

/* Panic with "assertion failed: <expr>" unless expr holds. */
#define CNIF_ASSERT(env, expr)                                                \
    ((expr) ? (void)0                                                         \
            : cnif_panic_at((env), __FILE__, __LINE__,                        \
                            "assertion failed: %s", #expr))

_Noreturn void cnif_panic_at(cnif_env *env, const char *file, int line,
                             const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* End the call with error:Term. Term must have been made in the call's
** nif env (cnif_nif_env). */
_Noreturn void cnif_raise(cnif_env *env, ERL_NIF_TERM term);

/* Encode value with cnif_encode_T (in the encode phase, so a panicking
** encoder is reported as such) and end the call with error:Encoded. */
#define CNIF_RAISE(env, T, value)                                             \
    do {                                                                      \
        cnif_phase_set((env), CNIF_PHASE_ENCODE);                             \
        cnif_raise((env), cnif_encode_##T((env), (value)));                   \
    } while (0)

/* Run fn(inner, arg) inside a nested guard with its own call-scoped memory
** and cleanups, which are released before cnif_try returns. Returns true
** and stores fn's result in *result if fn returned; returns false and
** stores the exception term the call would have raised (a nif_panicked
** tuple, a raised term, or a bad-argument report) in *result otherwise.
** The outer call goes on either way; re-raise with cnif_raise if wanted. */
bool cnif_try(cnif_env *env, ERL_NIF_TERM (*fn)(cnif_env *inner, void *arg),
              void *arg, ERL_NIF_TERM *result);

/* ------------------------------------------------------------------------
** 5. CALL-SCOPED MEMORY AND CLEANUPS
**
** Released when the call ends, whether it returned, raised or panicked, in
** the spirit of Redis modules' automatic memory.
*/

/* size bytes, aligned for any type, valid until the call ends. Never
** returns NULL: running out of memory panics. size 0 returns a valid,
** unique pointer. */
void *cnif_alloc(cnif_env *env, size_t size);

/* Run fn(arg) when the call ends, after the body and the encoding of its
** result, in reverse order of registration. A cleanup that panics stops
** only itself: the remaining cleanups still run, and the first panic of the
** call is the one reported (phase `cleanup` if the call had not already
** panicked). */
void cnif_defer(cnif_env *env, void (*fn)(void *arg), void *arg);

/* ------------------------------------------------------------------------
** 6. BAD ARGUMENTS
**
** A decoder that rejects a term calls cnif_decode_fail and returns false.
** A container that sees a child fail adds the child's place with
** cnif_path_index / cnif_path_key and returns false too. When the failure
** reaches an argument, the NIF raises a bad argument that the generated
** Erlang wrapper turns into
**     error:badarg with error_info, printed as
**     *** argument 2: .points[3].x: expected a float, got: <<"x">>
**
** Decoders never raise on their own: a caller may try another alternative.
*/

/* Record that term is not what was expected (a phrase such as
** "an integer" or "a list of floats") and return false. The expected string
** must outlive the call (a literal). */
bool cnif_decode_fail(cnif_env *env, ERL_NIF_TERM term, const char *expected);

/* Record a failure with a free-form printf-style reason instead of
** "expected ..., got: ..." and return false. */
bool cnif_decode_fail_reason(cnif_env *env, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prefix the recorded failure's path with "[index]" (a list or tuple
** element) or ".key" (a map key or field) and return false. */
bool cnif_path_index(cnif_env *env, size_t index);
bool cnif_path_key(cnif_env *env, const char *key);

/* Decode term as T into *out; on failure add "[index]" to the path. */
#define CNIF_DECODE_AT_INDEX(env, T, term, index, out)                        \
    (cnif_decode_##T((env), (term), (out)) || cnif_path_index((env), (index)))

/* Decode term as T into *out; on failure add ".key" to the path. */
#define CNIF_DECODE_AT_KEY(env, T, term, key, out)                            \
    (cnif_decode_##T((env), (term), (out)) || cnif_path_key((env), (key)))

/* Enter one level of container nesting; false (with a recorded failure)
** past CNIF_MAX_DEPTH. Every container codec brackets its children with
** cnif_depth_enter / cnif_depth_leave; user codecs that recurse must too. */
bool cnif_depth_enter(cnif_env *env);
void cnif_depth_leave(cnif_env *env);

/* End the call with a bad argument for argument number argno (1-based):
** "*** argument N: <reason>". For checks the types cannot express. */
_Noreturn void cnif_raise_badarg(cnif_env *env, int argno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Raise the recorded decode failure as a bad argument for argv[index].
** Used by the generated code and CNIF_ARG. */
_Noreturn void cnif__arg_fail(cnif_env *env, int index);

/* ------------------------------------------------------------------------
** 7. CODECS
**
** For every supported type T:
**     bool         cnif_decode_T(cnif_env *env, ERL_NIF_TERM term, T *out);
**     ERL_NIF_TERM cnif_encode_T(cnif_env *env, T value);
** A decoder returns false after recording why (section 6). An encoder that
** cannot represent its value panics in the encode phase. A user type joins
** the system by defining both functions for its typedef name; it can then
** be used in CNIF_EXPORT, arrays, results and other user codecs.
*/

/* The atoms cnif makes once at load, for codecs and exceptions. */
typedef struct cnif_atoms {
    ERL_NIF_TERM ok, error, true_, false_, undefined, nil, badarg;
    ERL_NIF_TERM nif_panicked, message, phase, location, cnif_badarg, expected;
    ERL_NIF_TERM phases[CNIF_PHASE_UNLOAD + 1];
} cnif_atoms;
extern cnif_atoms cnif__atoms;

/* --- Integers ------------------------------------------------------------
** Types: int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t
**        size_t ssize_t int unsigned long.
** Any Erlang integer in the C type's range decodes; anything else fails,
** never truncates: "expected an integer in 0..255, got: 256" or
** "expected an integer, got: foo".
*/
bool cnif__int_fail(cnif_env *env, ERL_NIF_TERM term, const char *range);

#define CNIF__INT_CODEC(T, wide, getter, maker, in_range, range)               \
    static inline bool cnif_decode_##T(cnif_env *env, ERL_NIF_TERM term,      \
                                       T *out)                                \
    {                                                                         \
        wide v;                                                               \
        if (getter(cnif_nif_env(env), term, &v) && (in_range)) {              \
            *out = (T)v;                                                      \
            return true;                                                      \
        }                                                                     \
        cnif__int_fail(env, term, range); /* false: lets CNIF_ARG callers */  \
        return false;                     /* see *out is always set      */  \
    }                                                                         \
    static inline ERL_NIF_TERM cnif_encode_##T(cnif_env *env, T value)        \
    {                                                                         \
        return maker(cnif_nif_env(env), (wide)value);                         \
    }

/* enif_get_int64 takes ErlNifSInt64 (long on LP64); these adapters make the
** integer codecs independent of that choice. */
static inline int cnif__get_i64(ErlNifEnv *e, ERL_NIF_TERM t, int64_t *v)
{
    ErlNifSInt64 x;
    int ok = enif_get_int64(e, t, &x);
    *v = (int64_t)x;
    return ok;
}
static inline int cnif__get_u64(ErlNifEnv *e, ERL_NIF_TERM t, uint64_t *v)
{
    ErlNifUInt64 x;
    int ok = enif_get_uint64(e, t, &x);
    *v = (uint64_t)x;
    return ok;
}
static inline ERL_NIF_TERM cnif__make_i64(ErlNifEnv *e, int64_t v)
{
    return enif_make_int64(e, (ErlNifSInt64)v);
}
static inline ERL_NIF_TERM cnif__make_u64(ErlNifEnv *e, uint64_t v)
{
    return enif_make_uint64(e, (ErlNifUInt64)v);
}

#define CNIF__SIGNED(T, lo, hi, range)                                        \
    CNIF__INT_CODEC(T, int64_t, cnif__get_i64, cnif__make_i64,                \
                    v >= (lo) && v <= (hi), "an integer in " range)
#define CNIF__UNSIGNED(T, hi, range)                                          \
    CNIF__INT_CODEC(T, uint64_t, cnif__get_u64, cnif__make_u64, v <= (hi),    \
                    "an integer in " range)

CNIF__SIGNED(int8_t, INT8_MIN, INT8_MAX, "-128..127")
CNIF__SIGNED(int16_t, INT16_MIN, INT16_MAX, "-32768..32767")
CNIF__SIGNED(int32_t, INT32_MIN, INT32_MAX, "-2147483648..2147483647")
CNIF__SIGNED(int64_t, INT64_MIN, INT64_MAX,
             "-9223372036854775808..9223372036854775807")
CNIF__UNSIGNED(uint8_t, UINT8_MAX, "0..255")
CNIF__UNSIGNED(uint16_t, UINT16_MAX, "0..65535")
CNIF__UNSIGNED(uint32_t, UINT32_MAX, "0..4294967295")
CNIF__UNSIGNED(uint64_t, UINT64_MAX, "0..18446744073709551615")
CNIF__SIGNED(int, INT_MIN, INT_MAX, "-2147483648..2147483647")
CNIF__UNSIGNED(unsigned, UINT_MAX, "0..4294967295")
#if SIZE_MAX == UINT64_MAX
CNIF__UNSIGNED(size_t, SIZE_MAX, "0..18446744073709551615")
CNIF__SIGNED(ssize_t, INT64_MIN, INT64_MAX,
             "-9223372036854775808..9223372036854775807")
CNIF__SIGNED(long, LONG_MIN, LONG_MAX,
             "-9223372036854775808..9223372036854775807")
#else
CNIF__UNSIGNED(size_t, SIZE_MAX, "0..4294967295")
CNIF__SIGNED(ssize_t, INT32_MIN, INT32_MAX, "-2147483648..2147483647")
CNIF__SIGNED(long, LONG_MIN, LONG_MAX, "-2147483648..2147483647")
#endif

/* --- Floats and bool -----------------------------------------------------
** double: a float, or an integer that converts exactly enough
**         (any integer in int64/uint64 range).
** float:  the same, and the value must be within float's finite range.
** Encoding a NaN or an infinity panics: Erlang floats are always finite.
** bool:   the atoms true and false.
*/
bool cnif_decode_double(cnif_env *env, ERL_NIF_TERM term, double *out);
ERL_NIF_TERM cnif_encode_double(cnif_env *env, double value);
bool cnif_decode_float(cnif_env *env, ERL_NIF_TERM term, float *out);
ERL_NIF_TERM cnif_encode_float(cnif_env *env, float value);

static inline bool cnif_decode_bool(cnif_env *env, ERL_NIF_TERM term,
                                    bool *out)
{
    if (term == cnif__atoms.true_ || term == cnif__atoms.false_) {
        *out = term == cnif__atoms.true_;
        return true;
    }
    cnif_decode_fail(env, term, "a boolean");
    return false; /* a literal false: see CNIF__INT_CODEC */
}
static inline ERL_NIF_TERM cnif_encode_bool(cnif_env *env, bool value)
{
    (void)env;
    return value ? cnif__atoms.true_ : cnif__atoms.false_;
}
/* `bool` is a macro for _Bool, so a type name passed through a macro can
** arrive spelled _Bool. */
#define cnif_decode__Bool cnif_decode_bool
#define cnif_encode__Bool cnif_encode_bool

/* --- Atoms and enums -----------------------------------------------------
** cnif_atom: an atom's name as a NUL-terminated UTF-8 string in call-scoped
** memory. Decoding reads an existing atom and never creates one. Encoding
** creates the atom if needed, so encode only names the program controls,
** never caller data (atoms are never garbage collected).
*/
typedef const char *cnif_atom;
bool cnif_decode_cnif_atom(cnif_env *env, ERL_NIF_TERM term, cnif_atom *out);
ERL_NIF_TERM cnif_encode_cnif_atom(cnif_env *env, cnif_atom value);

/* One C enum value and its atom name. A table ends with {0, NULL}. */
typedef struct cnif_enum_entry {
    int value;
    const char *name;
} cnif_enum_entry;

/* Map an atom to the value of its table entry; anything else fails with
** "expected one of red, green, blue, got: ...". */
bool cnif_enum_decode(cnif_env *env, ERL_NIF_TERM term,
                      const cnif_enum_entry *table, int *out);
/* The atom for value; a value not in the table panics. */
ERL_NIF_TERM cnif_enum_encode(cnif_env *env, const cnif_enum_entry *table,
                              int value);

/* Give the enum typedef T codecs driven by table:
**     typedef enum { RED, GREEN } color;
**     static const cnif_enum_entry color_atoms[] =
**         {{RED, "red"}, {GREEN, "green"}, {0, NULL}};
**     CNIF_DEFINE_ENUM(color, color_atoms)                                 */
#define CNIF_DEFINE_ENUM(T, table)                                            \
    static inline bool cnif_decode_##T(cnif_env *env, ERL_NIF_TERM term,      \
                                       T *out)                                \
    {                                                                         \
        int v;                                                                \
        if (!cnif_enum_decode(env, term, (table), &v))                        \
            return false;                                                     \
        *out = (T)v;                                                          \
        return true;                                                          \
    }                                                                         \
    static inline ERL_NIF_TERM cnif_encode_##T(cnif_env *env, T value)        \
    {                                                                         \
        return cnif_enum_encode(env, (table), (int)value);                    \
    }

/* --- Binaries ------------------------------------------------------------
** cnif_bin is a read-only view of bytes. Decoded from a binary it borrows
** the caller's bytes (zero copy) and keeps the term, so returning it, or a
** cnif_bin_sub of it, copies nothing. An iolist is accepted too; it is
** flattened once and valid until the call ends.
**
** To return new bytes without copying twice, write them straight into a
** binary the VM owns: cnif_bin_new (size known up front) or
** cnif_bin_alloc / cnif_bin_realloc / cnif_bin_finish (size found while
** writing). Both are released automatically if the call panics first.
*/
typedef struct cnif_bin {
    const unsigned char *data;
    size_t size;
    ERL_NIF_TERM term; /* the binary term, or 0 for bytes not yet in one */
} cnif_bin;

bool cnif_decode_cnif_bin(cnif_env *env, ERL_NIF_TERM term, cnif_bin *out);
ERL_NIF_TERM cnif_encode_cnif_bin(cnif_env *env, cnif_bin value);

/* A binary of size bytes to fill through *data before the call returns. */
cnif_bin cnif_bin_new(cnif_env *env, size_t size, unsigned char **data);

/* A view of bytes the program owns; encoding it copies them once. */
cnif_bin cnif_bin_copy(cnif_env *env, const void *data, size_t size);

/* The view of bin's bytes [pos, pos+size): a sub-binary sharing bin's
** memory. Out-of-range positions panic. */
cnif_bin cnif_bin_sub(cnif_env *env, cnif_bin bin, size_t pos, size_t size);

/* A growable binary owned by the call until cnif_bin_finish hands it to the
** VM without copying. */
typedef struct cnif_bin_builder cnif_bin_builder;
cnif_bin_builder *cnif_bin_alloc(cnif_env *env, size_t size);
unsigned char *cnif_bin_data(cnif_bin_builder *builder);
void cnif_bin_realloc(cnif_env *env, cnif_bin_builder *builder, size_t size);
cnif_bin cnif_bin_finish(cnif_env *env, cnif_bin_builder *builder);

/* --- Strings -------------------------------------------------------------
** cnif_str: UTF-8 text from a binary or iolist, validated (invalid UTF-8
** is a bad argument), not NUL-terminated; encodes to a binary.
** cnif_cstr: the same text copied into call-scoped memory with a NUL
** terminator, for C APIs; text containing a NUL byte is rejected.
** Encoding either checks the bytes are UTF-8 and panics otherwise.
*/
typedef struct cnif_str {
    const char *data;
    size_t size;
    ERL_NIF_TERM term; /* the binary term, or 0 */
} cnif_str;
typedef const char *cnif_cstr;

bool cnif_decode_cnif_str(cnif_env *env, ERL_NIF_TERM term, cnif_str *out);
ERL_NIF_TERM cnif_encode_cnif_str(cnif_env *env, cnif_str value);
bool cnif_decode_cnif_cstr(cnif_env *env, ERL_NIF_TERM term, cnif_cstr *out);
ERL_NIF_TERM cnif_encode_cnif_cstr(cnif_env *env, cnif_cstr value);

/* A cnif_str view of a C string (not copied; it must outlive the call). */
cnif_str cnif_str_from(const char *text);

/* True if the bytes are well-formed UTF-8 (no overlongs, no surrogates,
** nothing above U+10FFFF). */
bool cnif_utf8_valid(const void *data, size_t size);

/* --- Lists as C arrays ---------------------------------------------------
** CNIF_DEFINE_ARRAY(T) defines cnif_array_T, a proper list of T as a
** pointer and a length in call-scoped memory, with its codecs. An improper
** list fails with "expected a proper list"; a bad element fails with its
** index in the path. Arrays of every built-in type are predefined; define
** more for user types (they nest: an array of a struct holding arrays).
*/
bool cnif__list_begin(cnif_env *env, ERL_NIF_TERM term, size_t elem_size,
                      void **items, size_t *len);

#define CNIF_DEFINE_ARRAY(T)                                                  \
    typedef struct cnif_array_##T {                                           \
        T *items;                                                             \
        size_t len;                                                           \
    } cnif_array_##T;                                                         \
    static inline bool cnif_decode_cnif_array_##T(                            \
        cnif_env *env, ERL_NIF_TERM term, cnif_array_##T *out)                \
    {                                                                         \
        void *items;                                                          \
        ERL_NIF_TERM head;                                                    \
        ErlNifEnv *nif = cnif_nif_env(env);                                   \
        if (!cnif__list_begin(env, term, sizeof(T), &items, &out->len))       \
            return false;                                                     \
        out->items = (T *)items;                                              \
        for (size_t i = 0; i < out->len; i++) {                               \
            enif_get_list_cell(nif, term, &head, &term);                      \
            if (!CNIF_DECODE_AT_INDEX(env, T, head, i, &out->items[i])) {     \
                cnif_depth_leave(env);                                        \
                return false;                                                 \
            }                                                                 \
        }                                                                     \
        cnif_depth_leave(env);                                                \
        return true;                                                          \
    }                                                                         \
    static inline ERL_NIF_TERM cnif_encode_cnif_array_##T(                    \
        cnif_env *env, cnif_array_##T value)                                  \
    {                                                                         \
        ErlNifEnv *nif = cnif_nif_env(env);                                   \
        ERL_NIF_TERM list = enif_make_list(nif, 0);                           \
        for (size_t i = value.len; i > 0; i--)                                \
            list = enif_make_list_cell(                                       \
                nif, cnif_encode_##T(env, value.items[i - 1]), list);         \
        return list;                                                          \
    }

/* --- Tuples, maps, pids, references, raw terms --------------------------
** cnif_tuple: any tuple, as its elements (borrowed from the term).
** cnif_map: any map; look up, iterate and build with the functions below.
** cnif_pid: a local process identifier.
** cnif_ref: a reference (decoded and encoded as the term itself).
** cnif_term: any term, passed through untouched.
*/
typedef struct cnif_tuple {
    const ERL_NIF_TERM *items;
    int arity;
    ERL_NIF_TERM term;
} cnif_tuple;
typedef struct cnif_map {
    ERL_NIF_TERM term;
} cnif_map;
typedef ErlNifPid cnif_pid;
typedef struct cnif_ref {
    ERL_NIF_TERM term;
} cnif_ref;
typedef ERL_NIF_TERM cnif_term;

bool cnif_decode_cnif_tuple(cnif_env *env, ERL_NIF_TERM term, cnif_tuple *out);
ERL_NIF_TERM cnif_encode_cnif_tuple(cnif_env *env, cnif_tuple value);
bool cnif_decode_cnif_map(cnif_env *env, ERL_NIF_TERM term, cnif_map *out);
ERL_NIF_TERM cnif_encode_cnif_map(cnif_env *env, cnif_map value);
bool cnif_decode_cnif_pid(cnif_env *env, ERL_NIF_TERM term, cnif_pid *out);
ERL_NIF_TERM cnif_encode_cnif_pid(cnif_env *env, cnif_pid value);
bool cnif_decode_cnif_ref(cnif_env *env, ERL_NIF_TERM term, cnif_ref *out);
ERL_NIF_TERM cnif_encode_cnif_ref(cnif_env *env, cnif_ref value);

static inline bool cnif_decode_cnif_term(cnif_env *env, ERL_NIF_TERM term,
                                         cnif_term *out)
{
    (void)env;
    *out = term;
    return true;
}
static inline ERL_NIF_TERM cnif_encode_cnif_term(cnif_env *env,
                                                 cnif_term value)
{
    (void)env;
    return value;
}

/* Decode element index (0-based) of tuple as T; failures name "[index]".
** An index past the arity fails with "expected a tuple of at least N
** elements". */
#define CNIF_TUPLE_GET(env, tuple, index, T, out)                             \
    (cnif__tuple_has((env), (tuple), (index))                                 \
     && CNIF_DECODE_AT_INDEX(env, T, (tuple).items[(index)], (index), (out)))
bool cnif__tuple_has(cnif_env *env, cnif_tuple tuple, int index);

/* A tuple of n terms. */
ERL_NIF_TERM cnif_tuple_make(cnif_env *env, int n, const ERL_NIF_TERM *items);

/* Number of keys. */
size_t cnif_map_size(cnif_env *env, cnif_map map);

/* Look up key (any term); true and *value if present. */
bool cnif_map_find(cnif_env *env, cnif_map map, ERL_NIF_TERM key,
                   ERL_NIF_TERM *value);

/* Look up the atom key named `key` without creating the atom; decode its
** value as T. A missing key fails with "expected a map with key <key>", a
** bad value with ".key" in the path. */
#define CNIF_MAP_GET(env, map, key, T, out)                                   \
    __extension__({                                                           \
        ERL_NIF_TERM cnif__value;                                             \
        cnif__map_get_key((env), (map), (key), &cnif__value)                  \
            && CNIF_DECODE_AT_KEY(env, T, cnif__value, (key), (out));         \
    })
bool cnif__map_get_key(cnif_env *env, cnif_map map, const char *key,
                       ERL_NIF_TERM *value);

/* The empty map, and a map with key set to value (a new term; maps are
** immutable). A map built from n keys and values; duplicate keys panic. */
cnif_map cnif_map_new(cnif_env *env);
cnif_map cnif_map_put(cnif_env *env, cnif_map map, ERL_NIF_TERM key,
                      ERL_NIF_TERM value);
cnif_map cnif_map_from_arrays(cnif_env *env, const ERL_NIF_TERM *keys,
                              const ERL_NIF_TERM *values, size_t n);

/* Iterate a map. The iterator is released when the call ends even if the
** loop is cut short by a panic.
**     cnif_map_iter it = cnif_map_iter_start(env, map);
**     ERL_NIF_TERM k, v;
**     while (cnif_map_iter_next(env, it, &k, &v)) ...                      */
typedef struct cnif_map_iter_state *cnif_map_iter;
cnif_map_iter cnif_map_iter_start(cnif_env *env, cnif_map map);
bool cnif_map_iter_next(cnif_env *env, cnif_map_iter it, ERL_NIF_TERM *key,
                        ERL_NIF_TERM *value);

/* --- Results -------------------------------------------------------------
** CNIF_DEFINE_RESULT(Name, T, E) defines
**     typedef struct { bool ok; T value; E error; } Name;
** encoded as {ok, Value} or {error, Error}. Build one with
**     CNIF_OK(Name, value)  /  CNIF_ERR(Name, error).
** A NIF returning `void` returns the bare atom `ok`.
*/
#define CNIF_DEFINE_RESULT(Name, T, E)                                        \
    typedef struct Name {                                                     \
        bool ok;                                                              \
        T value;                                                              \
        E error;                                                              \
    } Name;                                                                   \
    static inline ERL_NIF_TERM cnif_encode_##Name(cnif_env *env, Name r)      \
    {                                                                         \
        ErlNifEnv *nif = cnif_nif_env(env);                                   \
        if (r.ok)                                                             \
            return enif_make_tuple2(nif, cnif__atoms.ok,                      \
                                    cnif_encode_##T(env, r.value));           \
        return enif_make_tuple2(nif, cnif__atoms.error,                       \
                                cnif_encode_##E(env, r.error));               \
    }
#define CNIF_OK(Name, v) ((Name){.ok = true, .value = (v)})
#define CNIF_ERR(Name, e) ((Name){.ok = false, .error = (e)})

/* Predefined arrays of the built-in types. */
CNIF_DEFINE_ARRAY(int8_t)
CNIF_DEFINE_ARRAY(int16_t)
CNIF_DEFINE_ARRAY(int32_t)
CNIF_DEFINE_ARRAY(int64_t)
CNIF_DEFINE_ARRAY(uint8_t)
CNIF_DEFINE_ARRAY(uint16_t)
CNIF_DEFINE_ARRAY(uint32_t)
CNIF_DEFINE_ARRAY(uint64_t)
CNIF_DEFINE_ARRAY(int)
CNIF_DEFINE_ARRAY(unsigned)
CNIF_DEFINE_ARRAY(long)
CNIF_DEFINE_ARRAY(size_t)
CNIF_DEFINE_ARRAY(ssize_t)
CNIF_DEFINE_ARRAY(double)
CNIF_DEFINE_ARRAY(float)
CNIF_DEFINE_ARRAY(bool)
CNIF_DEFINE_ARRAY(cnif_atom)
CNIF_DEFINE_ARRAY(cnif_bin)
CNIF_DEFINE_ARRAY(cnif_str)
CNIF_DEFINE_ARRAY(cnif_cstr)
CNIF_DEFINE_ARRAY(cnif_tuple)
CNIF_DEFINE_ARRAY(cnif_map)
CNIF_DEFINE_ARRAY(cnif_pid)
CNIF_DEFINE_ARRAY(cnif_ref)
CNIF_DEFINE_ARRAY(cnif_term)

/* ------------------------------------------------------------------------
** Private: the preprocessor machinery behind CNIF_EXPORT.
*/
#define CNIF__CAT(a, b) CNIF__CAT_(a, b)
#define CNIF__CAT_(a, b) a##b
#define CNIF__FIRST(...) CNIF__FIRST_(__VA_ARGS__, ~)
#define CNIF__FIRST_(a, ...) a
#define CNIF__SECOND(...) CNIF__SECOND_(__VA_ARGS__, ~, ~)
#define CNIF__SECOND_(a, b, ...) b
/* 1 if T is the token `void`, else 0. */
#define CNIF__IS_VOID(T) CNIF__SECOND(CNIF__CAT(CNIF__VOID_PROBE_, T), 0)
#define CNIF__VOID_PROBE_void ~, 1
/* Number of arguments after the return type (0..8). */
#define CNIF__NARG(...)                                                       \
    CNIF__NARG_(__VA_ARGS__, 8, 7, 6, 5, 4, 3, 2, 1, 0, ~)
#define CNIF__NARG_(r, a1, a2, a3, a4, a5, a6, a7, a8, n, ...) n

/* M(index, T) for each argument type; the list starts with the return
** type, which is skipped. */
#define CNIF__ARGS(M, ...)                                                    \
    CNIF__CAT(CNIF__ARGS_, CNIF__NARG(__VA_ARGS__))(M, __VA_ARGS__)
#define CNIF__ARGS_0(M, r)
#define CNIF__ARGS_1(M, r, a) M(0, a)
#define CNIF__ARGS_2(M, r, a, b) CNIF__ARGS_1(M, r, a) M(1, b)
#define CNIF__ARGS_3(M, r, a, b, c) CNIF__ARGS_2(M, r, a, b) M(2, c)
#define CNIF__ARGS_4(M, r, a, b, c, d) CNIF__ARGS_3(M, r, a, b, c) M(3, d)
#define CNIF__ARGS_5(M, r, a, b, c, d, e)                                     \
    CNIF__ARGS_4(M, r, a, b, c, d) M(4, e)
#define CNIF__ARGS_6(M, r, a, b, c, d, e, f)                                  \
    CNIF__ARGS_5(M, r, a, b, c, d, e) M(5, f)
#define CNIF__ARGS_7(M, r, a, b, c, d, e, f, g)                               \
    CNIF__ARGS_6(M, r, a, b, c, d, e, f) M(6, g)
#define CNIF__ARGS_8(M, r, a, b, c, d, e, f, g, h)                            \
    CNIF__ARGS_7(M, r, a, b, c, d, e, f, g) M(7, h)

#define CNIF__DECODE_ARG(i, T)                                                \
    T cnif__a##i = {0}; /* decoders may fill only part of it */             \
    if (!cnif_decode_##T(env, argv[i], &cnif__a##i))                          \
        cnif__arg_fail(env, i);
#define CNIF__PASS_ARG(i, T) , cnif__a##i

/* The body of the invoke function, with a return value (0) and for a
** `void` function (1). The list is (Ret, Args...). */
#define CNIF__INVOKE_0(name, ...)                                             \
    cnif_phase_set(env, CNIF_PHASE_DECODE);                                   \
    CNIF__ARGS(CNIF__DECODE_ARG, __VA_ARGS__)                                 \
    cnif_phase_set(env, CNIF_PHASE_CALL);                                     \
    CNIF__FIRST(__VA_ARGS__) cnif__result =                                   \
        name(env CNIF__ARGS(CNIF__PASS_ARG, __VA_ARGS__));                    \
    cnif_phase_set(env, CNIF_PHASE_ENCODE);                                   \
    return CNIF__CAT(cnif_encode_, CNIF__FIRST(__VA_ARGS__))(env, cnif__result);
#define CNIF__INVOKE_1(name, ...)                                             \
    cnif_phase_set(env, CNIF_PHASE_DECODE);                                   \
    CNIF__ARGS(CNIF__DECODE_ARG, __VA_ARGS__)                                 \
    cnif_phase_set(env, CNIF_PHASE_CALL);                                     \
    name(env CNIF__ARGS(CNIF__PASS_ARG, __VA_ARGS__));                        \
    return cnif__atoms.ok;

#define CNIF__REGISTER(name, arity, flags)                                    \
    static ERL_NIF_TERM cnif__nif_##name(ErlNifEnv *nif, int argc,            \
                                         const ERL_NIF_TERM argv[])           \
    {                                                                         \
        return cnif_call(nif, argc, argv, cnif__invoke_##name);               \
    }                                                                         \
    static ErlNifFunc cnif__entry_##name                                      \
        __attribute__((used, section("cnif_nifs"), aligned(sizeof(void *)))) = \
            {#name "_nif", (arity), cnif__nif_##name, (flags)};

#ifdef __cplusplus
}
#endif
#endif /* CNIF_H */
