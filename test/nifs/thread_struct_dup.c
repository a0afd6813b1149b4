/* thread_struct_dup.c -- a struct declared with two fields under one key:
** the load must fail with the declaration's message (thread_tests). */
#include <cnif.h>

typedef struct twice {
    int64_t x;
    int64_t y;
} twice;
#define TWICE_FIELDS(F) F(int64_t, x) F(int64_t, y, .key = "x")
CNIF_DEFINE_STRUCT(twice, TWICE_FIELDS, .as = CNIF_AS_MAP)

static twice twice_make(cnif_env *env, int64_t x)
{
    (void)env;
    return (twice){x, x};
}
CNIF_EXPORT(twice_make, twice, int64_t)

CNIF_MODULE(thread_struct_dup, NULL, NULL, NULL)
