/* res_caller.c -- library B of the dynamic-call tests: it knows res_nif.c's
** counter only by module and type name, and calls its .dyncall through
** cnif_resource_call with the call data of res_dyncall.h. */
#include "res_dyncall.h"
#include <cnif.h>

/* {ok, ValueAfter} if module's type_name accepted the call, else false. */
static cnif_term call_add(cnif_env *env, cnif_cstr module, cnif_cstr type_name,
                          cnif_term resource, int64_t add)
{
    ErlNifEnv *nif = cnif_nif_env(env);
    res_dyncall_args args = {.add = add, .result = -1};

    if (!cnif_resource_call(env, module, type_name, resource, &args))
        return enif_make_atom(nif, "false");
    return enif_make_tuple2(nif, enif_make_atom(nif, "ok"),
                            enif_make_int64(nif, args.result));
}
CNIF_EXPORT(call_add, cnif_term, cnif_cstr, cnif_cstr, cnif_term, int64_t)

CNIF_MODULE(res_caller, NULL, NULL, NULL)
