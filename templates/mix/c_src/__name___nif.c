/* @NAME@_nif.c -- the NIF library of the Elixir module @MODULE@
** (lib/@NAME@.ex), built into priv/@NAME@_nif.so by `mix compile`.
**
** A NIF is a plain C function whose first parameter is the call env; its
** arity, argument decoding and return encoding come from the declared
** types. CNIF_EXPORT(name, ...) exports it as @MODULE@.name_nif, which
** `defnif name(...)` in lib/@NAME@.ex wraps. Reference: cnif's
** include/cnif.h.
*/
#include <cnif.h>

/* Both arguments are decoded before the body runs: anything but an integer
** in int64_t's range is a bad argument, an ArgumentError naming it. So is
** a sum that does not fit, which the types cannot express: the body
** reports it against the second argument. (cnif_panic is for bugs: the
** caller gets an ErlangError.) */
static int64_t add(cnif_env *env, int64_t a, int64_t b)
{
    int64_t sum;
    if (__builtin_add_overflow(a, b, &sum))
        cnif_raise_badarg(env, 2, "%lld + %lld does not fit in 64 bits",
                          (long long)a, (long long)b);
    return sum;
}
CNIF_EXPORT(add, int64_t, int64_t, int64_t)

/* The library belongs to the Erlang module 'Elixir.@MODULE@'. */
CNIF_MODULE_NAMED("Elixir.@MODULE@", NULL, NULL, NULL)
