/* fault_opts.c -- a library whose module loads it with load info of its
** own making (test/fault_opts.erl), so that fault_tests can hand cnif the
** load options cnif:load_info/3 would refuse. */
#include <cnif.h>

static bool loaded(cnif_env *env)
{
    (void)env;
    return true;
}
CNIF_EXPORT(loaded, bool)

CNIF_MODULE(fault_opts, NULL, NULL, NULL)
