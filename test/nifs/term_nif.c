/* term_nif.c -- the NIFs behind test/term_tests.erl: existing atoms, term
** operations (type, order, hash, text), processes and registered names,
** and map visits in either direction. Each hands its answer back as it is,
** for the suite to check against the BEAM's own BIFs. */
#include <cnif.h>
#include <string.h>

/* --- Existing atoms --------------------------------------------------------- */

/* {ok, Atom} if the bytes name an existing atom, else error; and whether a
** lookup that asks for no atom says the same. */
static cnif_term atom_find(cnif_env *env, cnif_bin name)
{
    ErlNifEnv *nif = cnif_nif_env(env);
    ERL_NIF_TERM atom;
    bool found = cnif_atom_find(env, (const char *)name.data, name.size, &atom);

    if (found != cnif_atom_find(env, (const char *)name.data, name.size, NULL))
        cnif_panic(env, "atom_find: the two lookups disagree");
    return found ? enif_make_tuple2(nif, enif_make_atom(nif, "ok"), atom)
                 : enif_make_atom(nif, "error");
}
CNIF_EXPORT(atom_find, cnif_term, cnif_bin)

static cnif_existing_atom existing_atom(cnif_env *env, cnif_existing_atom a)
{
    (void)env;
    return a;
}
CNIF_EXPORT(existing_atom, cnif_existing_atom, cnif_existing_atom)

static cnif_array_cnif_existing_atom
existing_atoms(cnif_env *env, cnif_array_cnif_existing_atom atoms)
{
    (void)env;
    return atoms;
}
CNIF_EXPORT(existing_atoms, cnif_array_cnif_existing_atom,
            cnif_array_cnif_existing_atom)

/* --- Term operations -------------------------------------------------------- */

static const cnif_enum_entry term_type_atoms[] = {
    {CNIF_TERM_OTHER, "other"},         {CNIF_TERM_ATOM, "atom"},
    {CNIF_TERM_BITSTRING, "bitstring"}, {CNIF_TERM_FLOAT, "float"},
    {CNIF_TERM_FUN, "fun"},             {CNIF_TERM_INTEGER, "integer"},
    {CNIF_TERM_LIST, "list"},           {CNIF_TERM_MAP, "map"},
    {CNIF_TERM_PID, "pid"},             {CNIF_TERM_PORT, "port"},
    {CNIF_TERM_REFERENCE, "reference"}, {CNIF_TERM_TUPLE, "tuple"},
    {0, NULL}};
CNIF_DEFINE_ENUM(cnif_term_type, term_type_atoms)

/* The library's own functions, exported as they are. */
CNIF_EXPORT_AS(type_of, cnif_term_type_of, cnif_term_type, cnif_term)
CNIF_EXPORT_AS(compare, cnif_term_compare, int, cnif_term, cnif_term)
CNIF_EXPORT_AS(phash2, cnif_term_phash2, uint32_t, cnif_term)
CNIF_EXPORT_AS(format, cnif_term_format, cnif_str, cnif_term)

/* Where the text's NUL terminator is, which must be its size. */
static size_t format_nul(cnif_env *env, cnif_term term)
{
    return strlen(cnif_term_format(env, term).data);
}
CNIF_EXPORT(format_nul, size_t, cnif_term)

/* --- Processes, registered names, references ------------------------------- */

static int pid_compare(cnif_env *env, cnif_pid a, cnif_pid b)
{
    return cnif_pid_compare(env, &a, &b);
}
CNIF_EXPORT(pid_compare, int, cnif_pid, cnif_pid)

static bool alive(cnif_env *env, cnif_pid pid)
{
    return cnif_pid_alive(env, &pid);
}
CNIF_EXPORT(alive, bool, cnif_pid)

/* The same on a job's thread, which is no scheduler. */
static bool alive_threaded(cnif_env *env, cnif_pid pid)
{
    return alive(env, pid);
}
CNIF_EXPORT_THREADED(alive_threaded, bool, cnif_pid)

CNIF_EXPORT_AS(make_ref, cnif_ref_make, cnif_ref)

static const cnif_enum_entry registered_atoms[] = {
    {CNIF_NOT_REGISTERED, "none"},
    {CNIF_REGISTERED_PID, "pid"},
    {CNIF_REGISTERED_PORT, "port"},
    {0, NULL}};
CNIF_DEFINE_ENUM(cnif_registered_kind, registered_atoms)

/* {Kind, Term}, and for a process its pid as cnif_pid encodes it. */
static cnif_term whereis(cnif_env *env, cnif_cstr name)
{
    cnif_registered found = cnif_whereis(env, name);
    ERL_NIF_TERM kind = cnif_encode_cnif_registered_kind(env, found.kind);

    if (found.kind == CNIF_REGISTERED_PID)
        return enif_make_tuple3(cnif_nif_env(env), kind, found.term,
                                cnif_encode_cnif_pid(env, found.pid));
    return enif_make_tuple2(cnif_nif_env(env), kind, found.term);
}
CNIF_EXPORT(whereis, cnif_term, cnif_cstr)

static cnif_term whereis_threaded(cnif_env *env, cnif_cstr name)
{
    return whereis(env, name);
}
CNIF_EXPORT_THREADED(whereis_threaded, cnif_term, cnif_cstr)

/* --- Map visits ------------------------------------------------------------- */

static const cnif_enum_entry direction_atoms[] = {
    {CNIF_MAP_FORWARD, "forward"}, {CNIF_MAP_BACKWARD, "backward"}, {0, NULL}};
CNIF_DEFINE_ENUM(cnif_map_direction, direction_atoms)

/* The entries seen so far, newest first, and the one to stop at. */
typedef struct visit_state {
    ERL_NIF_TERM seen;
    int64_t count, stop_at;
} visit_state;

static bool collect(cnif_env *env, ERL_NIF_TERM key, ERL_NIF_TERM value,
                    void *arg)
{
    visit_state *state = arg;
    ErlNifEnv *nif = cnif_nif_env(env);

    state->seen = enif_make_list_cell(nif, enif_make_tuple2(nif, key, value),
                                      state->seen);
    if (value == enif_make_atom(nif, "panic"))
        cnif_panic(env, "map_each: visited a panic");
    return ++state->count != state->stop_at;
}

/* {VisitedAll, Entries}: the entries visit saw in order, stopping after
** the stop_at-th (never, for 0). A value `panic` makes visit panic. */
static cnif_term map_each(cnif_env *env, cnif_map map,
                          cnif_map_direction direction, int64_t stop_at)
{
    ErlNifEnv *nif = cnif_nif_env(env);
    visit_state state = {enif_make_list(nif, 0), 0, stop_at};
    ERL_NIF_TERM seen;
    bool all = cnif_map_each(env, map, direction, collect, &state);

    enif_make_reverse_list(nif, state.seen, &seen);
    return enif_make_tuple2(nif, cnif_encode_bool(env, all), seen);
}
CNIF_EXPORT(map_each, cnif_term, cnif_map, cnif_map_direction, int64_t)

/* cnif_map_each with a direction of neither kind, or on a term that is no
** map: both are mistakes of the NIF, which panic. */
static bool map_each_misused(cnif_env *env, int direction, cnif_term term)
{
    cnif_map map = {term};
    visit_state state = {enif_make_list(cnif_nif_env(env), 0), 0, 0};
    return cnif_map_each(env, map, (cnif_map_direction)direction, collect,
                         &state);
}
CNIF_EXPORT(map_each_misused, bool, int, cnif_term)

CNIF_MODULE(term_nif, NULL, NULL, NULL)
