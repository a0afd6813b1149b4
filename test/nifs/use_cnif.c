/* use_cnif.c -- the NIF library of the Elixir module UseCnif
** (test/elixir/use_cnif.ex), which declares these functions with
** `use Cnif` and `defnif`; test/elixir/use_cnif_test.exs calls them. */
#include "first_line.h"

static int64_t answer(cnif_env *env)
{
    (void)env;
    return 42;
}
CNIF_EXPORT(answer, int64_t)

/* No argument to blame: the call as a whole is bad (argno 0). */
static void closed(cnif_env *env)
{
    cnif_raise_badarg(env, 0, "no device is open");
}
CNIF_EXPORT(closed, void)

static int64_t add(cnif_env *env, int64_t a, int64_t b)
{
    (void)env;
    return a + b;
}
CNIF_EXPORT(add, int64_t, int64_t, int64_t)

/* %UseCnif.Point{} in and out. */
typedef struct point {
    double x, y;
} point;
#define POINT_FIELDS(F) F(double, x) F(double, y)
CNIF_DEFINE_STRUCT(point, POINT_FIELDS, .as = CNIF_AS_STRUCT,
                   .module = "Elixir.UseCnif.Point")

static point translate(cnif_env *env, point p, double dx, double dy)
{
    (void)env;
    return (point){p.x + dx, p.y + dy};
}
CNIF_EXPORT(translate, point, point, double, double)

static void panic_with(cnif_env *env, cnif_cstr message)
{
    cnif_panic(env, "%s", message); /* site:panic */
}
CNIF_EXPORT(panic_with, void, cnif_cstr)

static void raise_term(cnif_env *env, cnif_term term)
{
    cnif_raise(env, term);
}
CNIF_EXPORT(raise_term, void, cnif_term)

/* Elixir names that are no C identifiers. */
static int64_t fetch(cnif_env *env, int64_t key)
{
    if (key < 0)
        cnif_raise_badarg(env, 1, "no such key");
    return key * 10;
}
CNIF_EXPORT_NAMED("fetch!", fetch, int64_t, int64_t)

static bool is_valid(cnif_env *env, int64_t x)
{
    (void)env;
    return x > 0;
}
CNIF_EXPORT_NAMED("valid?", is_valid, bool, int64_t)

/* The load data (use Cnif's :load_data) names a file: first_line.h. */
CNIF_MODULE_NAMED("Elixir.UseCnif", load, NULL, NULL)
