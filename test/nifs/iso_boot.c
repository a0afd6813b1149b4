/* iso_boot.c -- the library of iso_boot, whose load hook does what the
** environment, which a worker inherits from the test's BEAM, tells it:
**
**   ISO_BOOT_LOG   a file the hook appends its process id to, one a line:
**                  how many workers were started
**   ISO_BOOT_FATE  segv (the worker crashes while it loads the module) or
**                  panic (the load fails); unset, the load succeeds. */
#include <cnif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile int *volatile nowhere;

static int load(cnif_env *env, void **priv_data, ERL_NIF_TERM load_info)
{
    const char *log = getenv("ISO_BOOT_LOG");
    const char *fate = getenv("ISO_BOOT_FATE");
    FILE *f;

    (void)priv_data;
    (void)load_info;
    if (log != NULL && (f = fopen(log, "a")) != NULL) {
        fprintf(f, "%ld\n", (long)getpid());
        fclose(f);
    }
    if (fate != NULL && strcmp(fate, "segv") == 0)
        *nowhere = 1;
    if (fate != NULL && strcmp(fate, "panic") == 0)
        cnif_panic(env, "refusing to load: %s", "ISO_BOOT_FATE=panic");
    return 0;
}

static void ping(cnif_env *env)
{
    (void)env;
}
CNIF_EXPORT(ping, void)

CNIF_MODULE(iso_boot, load, NULL, NULL)
