/* codec_union.c -- tagged unions (tag | {tag, Value}) and untagged one-of
** alternatives, driven by the descriptor CNIF_DEFINE_UNION /
** CNIF_DEFINE_ONE_OF build. */
#include "internal.h"
#include <string.h>

void cnif_union_init(cnif_env *env, cnif_union *d)
{
    if (d->kind_size != 1 && d->kind_size != 2 && d->kind_size != 4
        && d->kind_size != 8)
        cnif_panic(env, "union %s: the kind field must be an integer or enum",
                   d->name);
    for (size_t i = 0; i < d->count; i++)
        d->tags[i] = d->variants[i].tag
                         ? cnif_encode_cnif_atom(env, d->variants[i].tag)
                         : 0;
}

/* The kind field is whatever integer type the enum has; go through its
** exact size so no neighbouring byte is touched. */
static void cnif__kind_set(const cnif_union *d, void *value, long kind)
{
    char *p = (char *)value + d->kind_offset;
    switch (d->kind_size) {
    case 1: {
        int8_t k = (int8_t)kind;
        memcpy(p, &k, 1);
        return;
    }
    case 2: {
        int16_t k = (int16_t)kind;
        memcpy(p, &k, 2);
        return;
    }
    case 4: {
        int32_t k = (int32_t)kind;
        memcpy(p, &k, 4);
        return;
    }
    }
    int64_t k = kind;
    memcpy(p, &k, 8);
}

static long cnif__kind_get(const cnif_union *d, const void *value)
{
    const char *p = (const char *)value + d->kind_offset;
    int8_t k1;
    int16_t k2;
    int32_t k4;
    int64_t k8;
    switch (d->kind_size) {
    case 1:
        memcpy(&k1, p, 1);
        return k1;
    case 2:
        memcpy(&k2, p, 2);
        return k2;
    case 4:
        memcpy(&k4, p, 4);
        return k4;
    }
    memcpy(&k8, p, 8);
    return (long)k8;
}

/* "an integer or a UTF-8 string": what each alternative expected. An
** alternative that failed below the top of the term (a path was recorded)
** recognised the term, by its record tag, struct module or keys, and
** rejected a part of it: its own report says more, so it is the one made,
** by decoding with it again. */
static bool cnif__one_of_decode(cnif_env *env, const cnif_union *d,
                                ERL_NIF_TERM term, void *out)
{
    size_t size = 1, inside = d->count;
    const char **expected = cnif_alloc(env, d->count * sizeof *expected);
    char *text, *p;

    for (size_t i = 0; i < d->count; i++) {
        const cnif_variant *v = &d->variants[i];
        if (v->decode(env, term, (char *)out + v->offset)) {
            cnif__kind_set(d, out, v->kind);
            return true;
        }
        if (inside == d->count && env->path_len > 0)
            inside = i;
        /* A reason is in env->message, which the next alternative's
        ** failure overwrites: keep a copy. */
        if (env->has_reason)
            expected[i] = strcpy(cnif_alloc(env, strlen(env->message) + 1),
                                 env->message);
        else
            expected[i] = env->expected ? env->expected : "a valid value";
        size += strlen(expected[i]) + 4;
    }
    if (inside < d->count)
        return d->variants[inside].decode(
            env, term, (char *)out + d->variants[inside].offset);
    text = p = cnif_alloc(env, size);
    *p = '\0';
    for (size_t i = 0; i < d->count; i++) {
        /* "a map or a map" says nothing: each phrase once. */
        size_t j = 0;
        while (j < i && strcmp(expected[j], expected[i]) != 0)
            j++;
        if (j == i)
            p = stpcpy(stpcpy(p, p > text ? " or " : ""), expected[i]);
    }
    return cnif_decode_fail(env, term, text);
}

/* "one of empty, {circle, _}, {rect, _}". */
static const char *cnif__union_expected(cnif_env *env, const cnif_union *d)
{
    size_t size = sizeof "one of ";
    char *text, *p;

    for (size_t i = 0; i < d->count; i++)
        size += strlen(d->variants[i].tag) + 8;
    text = p = cnif_alloc(env, size);
    p = stpcpy(p, "one of ");
    for (size_t i = 0; i < d->count; i++) {
        const cnif_variant *v = &d->variants[i];
        p = stpcpy(p, i ? ", " : "");
        p = v->decode ? stpcpy(stpcpy(stpcpy(p, "{"), v->tag), ", _}")
                      : stpcpy(p, v->tag);
    }
    return text;
}

bool cnif_union_decode(cnif_env *env, const cnif_union *d, ERL_NIF_TERM term,
                       void *out)
{
    const ERL_NIF_TERM *items;
    int arity;

    if (d->count && !d->variants[0].tag)
        return cnif__one_of_decode(env, d, term, out);
    if (enif_get_tuple(env->head.nif, term, &arity, &items) && arity == 2) {
        for (size_t i = 0; i < d->count; i++) {
            const cnif_variant *v = &d->variants[i];
            if (v->decode && items[0] == d->tags[i]) {
                cnif__kind_set(d, out, v->kind);
                return v->decode(env, items[1], (char *)out + v->offset)
                       || cnif_path_key(env, v->tag);
            }
        }
    } else {
        for (size_t i = 0; i < d->count; i++) {
            if (!d->variants[i].decode && term == d->tags[i]) {
                cnif__kind_set(d, out, d->variants[i].kind);
                return true;
            }
        }
    }
    return cnif_decode_fail(env, term, cnif__union_expected(env, d));
}

ERL_NIF_TERM cnif_union_encode(cnif_env *env, const cnif_union *d,
                               const void *value)
{
    long kind = cnif__kind_get(d, value);

    for (size_t i = 0; i < d->count; i++) {
        const cnif_variant *v = &d->variants[i];
        if (v->kind != kind)
            continue;
        if (!v->decode)
            return d->tags[i];
        if (!v->tag)
            return v->encode(env, (const char *)value + v->offset);
        return enif_make_tuple2(env->head.nif, d->tags[i],
                                v->encode(env, (const char *)value + v->offset));
    }
    cnif_panic(env, "cannot encode %s: kind %ld has no variant", d->name, kind);
}
