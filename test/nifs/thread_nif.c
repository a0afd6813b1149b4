/* thread_nif.c -- the NIFs behind thread_tests.erl: terms of every size
** and shape built on threads that are no scheduler. Each value is decoded
** by the call on its scheduler and encoded again by a job: on the pool, on
** a thread of its own, or into a message sent from the job's thread. The
** same encoders run on a scheduler too, as the control. */
#include <cnif.h>

/* fn exported three times: as name_here, which runs where it is called
** (a scheduler), and as name_pool and name_thread, jobs on the pool and on
** a thread of their own. */
#define EVERYWHERE(name, fn, Ret, Arg)                                        \
    CNIF_EXPORT_AS(name##_here, fn, Ret, Arg)                                 \
    static Ret name##_pool(cnif_env *env, Arg a)                              \
    {                                                                         \
        return fn(env, a);                                                    \
    }                                                                         \
    CNIF_EXPORT_THREADED(name##_pool, Ret, Arg)                               \
    static Ret name##_thread(cnif_env *env, Arg a)                            \
    {                                                                         \
        return fn(env, a);                                                    \
    }                                                                         \
    CNIF_EXPORT_THREAD(name##_thread, Ret, Arg)

static cnif_value echo(cnif_env *env, cnif_value v)
{
    (void)env;
    return v;
}
EVERYWHERE(echo, echo, cnif_value, cnif_value)

static void free_env(void *msg_env)
{
    enif_free_env(msg_env);
}

/* Sends {echo, Value} to `to` from the pool's thread: encoded there, then
** copied into a message env. */
static bool echo_send(cnif_env *env, cnif_pid to, cnif_value v)
{
    ErlNifEnv *msg_env = enif_alloc_env();
    ERL_NIF_TERM msg;

    CNIF_ASSERT(env, msg_env != NULL);
    cnif_defer(env, free_env, msg_env);
    msg = enif_make_tuple2(msg_env, enif_make_atom(msg_env, "echo"),
                           enif_make_copy(msg_env,
                                          cnif_encode_cnif_value(env, v)));
    return cnif_send(env, &to, msg_env, msg);
}
CNIF_EXPORT_THREADED(echo_send, bool, cnif_pid, cnif_value)

/* A map from a list of {Key, Value} pairs with cnif_map_from_arrays. */
static cnif_map pairs_to_map(cnif_env *env, cnif_value pairs)
{
    ERL_NIF_TERM *keys, *values;

    if (pairs.kind != CNIF_VALUE_LIST)
        cnif_raise_badarg(env, 1, "not a list of pairs");
    keys = cnif_alloc(env, pairs.list.len * sizeof *keys);
    values = cnif_alloc(env, pairs.list.len * sizeof *values);
    for (size_t i = 0; i < pairs.list.len; i++) {
        cnif_value pair = pairs.list.items[i];
        if (pair.kind != CNIF_VALUE_TUPLE || pair.tuple.len != 2)
            cnif_raise_badarg(env, 1, "item %zu is not a pair", i);
        keys[i] = cnif_encode_cnif_value(env, pair.tuple.items[0]);
        values[i] = cnif_encode_cnif_value(env, pair.tuple.items[1]);
    }
    return cnif_map_from_arrays(env, keys, values, pairs.list.len);
}
EVERYWHERE(map, pairs_to_map, cnif_map, cnif_value)

/* A cnif_value map of the pairs, as they are (duplicates included). */
static cnif_value pairs_to_value(cnif_env *env, cnif_value pairs)
{
    cnif_value map = {.kind = CNIF_VALUE_MAP};

    if (pairs.kind != CNIF_VALUE_LIST)
        cnif_raise_badarg(env, 1, "not a list of pairs");
    map.map.len = pairs.list.len;
    map.map.keys = cnif_alloc(env, map.map.len * sizeof *map.map.keys);
    map.map.values = cnif_alloc(env, map.map.len * sizeof *map.map.values);
    for (size_t i = 0; i < map.map.len; i++) {
        cnif_value pair = pairs.list.items[i];
        if (pair.kind != CNIF_VALUE_TUPLE || pair.tuple.len != 2)
            cnif_raise_badarg(env, 1, "item %zu is not a pair", i);
        map.map.keys[i] = pair.tuple.items[0];
        map.map.values[i] = pair.tuple.items[1];
    }
    return map;
}

EVERYWHERE(value_map, pairs_to_value, cnif_value, cnif_value)

/* A struct of 130 fields is a map of 130 keys, or 131 as an Elixir
** struct: wide(Base) has fields a0 .. m9 set to Base, Base + 1, ... */
#define TEN(F, p)                                                             \
    F(int64_t, p##0) F(int64_t, p##1) F(int64_t, p##2) F(int64_t, p##3)       \
    F(int64_t, p##4) F(int64_t, p##5) F(int64_t, p##6) F(int64_t, p##7)       \
    F(int64_t, p##8) F(int64_t, p##9)
#define WIDE_FIELDS(F)                                                        \
    TEN(F, a) TEN(F, b) TEN(F, c) TEN(F, d) TEN(F, e) TEN(F, f) TEN(F, g)     \
    TEN(F, h) TEN(F, i) TEN(F, j) TEN(F, k) TEN(F, l) TEN(F, m)
#define MEMBER(T, name) T name;
typedef struct wide {
    WIDE_FIELDS(MEMBER)
} wide;
CNIF_DEFINE_STRUCT(wide, WIDE_FIELDS, .as = CNIF_AS_MAP)
CNIF_DEFINE_STRUCT_AS(wide_ex, wide, WIDE_FIELDS, .as = CNIF_AS_STRUCT,
                      .module = "Elixir.Wide")

static wide wide_make(cnif_env *env, int64_t base)
{
    wide w;
    int64_t *field = (int64_t *)&w;
    (void)env;
    for (size_t i = 0; i < sizeof w / sizeof *field; i++)
        field[i] = base + (int64_t)i;
    return w;
}
EVERYWHERE(wide, wide_make, wide, int64_t)

static wide_ex wide_ex_echo(cnif_env *env, wide_ex w)
{
    (void)env;
    return w;
}
EVERYWHERE(wide_ex, wide_ex_echo, wide_ex, wide_ex)

/* Bad arguments found by the body, after a job's call has returned: the
** sum of a list of integers decoded only now (CNIF_ARG, which reports
** where in the list it failed), and a refusal of argument argno. */
static int64_t sum_late(cnif_env *env, cnif_term list)
{
    ERL_NIF_TERM argv[1] = {list};
    cnif_array_int64_t ints;
    int64_t sum = 0;

    CNIF_ARG(env, argv, 0, cnif_array_int64_t, &ints);
    for (size_t i = 0; i < ints.len; i++)
        sum += ints.items[i];
    return sum;
}
EVERYWHERE(sum_late, sum_late, int64_t, cnif_term)

static bool refuse(cnif_env *env, int64_t argno)
{
    cnif_raise_badarg(env, (int)argno, "refused by argument %lld",
                      (long long)argno);
}
EVERYWHERE(refuse, refuse, bool, int64_t)

CNIF_MODULE(thread_nif, NULL, NULL, NULL)
