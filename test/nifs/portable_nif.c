/* portable_nif.c -- a library that registers its NIFs and its defined type
** the portable way, a constructor each into lists of the library's own
** (CNIF_PORTABLE_REGISTRATION), as on platforms whose objects are not ELF.
** It is built so in every build of the suites, where the other libraries
** register by ELF sections (make test-asan builds them all portable).
** boundary_tests calls it, and loads it again beside its old code. */
#define CNIF_PORTABLE_REGISTRATION 1
#include <cnif.h>

typedef struct span {
    int64_t from, to;
} span;
#define SPAN_FIELDS(F) F(int64_t, from) F(int64_t, to)
CNIF_DEFINE_STRUCT(span, SPAN_FIELDS, .as = CNIF_AS_MAP)

static int64_t span_length(cnif_env *env, span s)
{
    (void)env;
    return s.to - s.from;
}
CNIF_EXPORT(span_length, int64_t, span)

static span span_shift(cnif_env *env, span s, int64_t by)
{
    (void)env;
    return (span){s.from + by, s.to + by};
}
CNIF_EXPORT(span_shift, span, span, int64_t)

CNIF_MODULE(portable_nif, NULL, NULL, NULL)
