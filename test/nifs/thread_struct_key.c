/* thread_struct_key.c -- an Elixir struct declared with a field whose key
** is __struct__, where the struct keeps its module: the load must fail
** with the declaration's message (thread_tests). */
#include <cnif.h>

typedef struct tagged {
    int64_t id;
    int64_t kind;
} tagged;
#define TAGGED_FIELDS(F) F(int64_t, id) F(int64_t, kind, .key = "__struct__")
CNIF_DEFINE_STRUCT(tagged, TAGGED_FIELDS, .as = CNIF_AS_STRUCT,
                   .module = "Elixir.Tagged")

static tagged tagged_make(cnif_env *env, int64_t id)
{
    (void)env;
    return (tagged){id, 0};
}
CNIF_EXPORT(tagged_make, tagged, int64_t)

CNIF_MODULE(thread_struct_key, NULL, NULL, NULL)
