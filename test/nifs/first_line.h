/* first_line.h -- the load hook of transform_nif.c and use_cnif.c: the
** load data is the path of a file (a binary) beside the library, whose
** first line is kept as the module's private data; anything else fails
** the load. loaded/0 returns that line. */
#include <cnif.h>
#include <stdio.h>
#include <string.h>

static char first_line[128];

static int load(cnif_env *env, void **priv, ERL_NIF_TERM info)
{
    cnif_cstr path;
    FILE *file;

    if (!cnif_decode_cnif_cstr(env, info, &path))
        cnif_panic(env, "the load data is not a path");
    file = fopen(path, "r");
    if (!file)
        cnif_panic(env, "cannot open %s", path);
    if (!fgets(first_line, sizeof first_line, file))
        first_line[0] = '\0';
    fclose(file);
    first_line[strcspn(first_line, "\n")] = '\0';
    *priv = first_line;
    return 0;
}

static cnif_cstr loaded(cnif_env *env)
{
    return cnif_priv(env);
}
CNIF_EXPORT(loaded, cnif_cstr)
