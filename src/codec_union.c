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

/* --- One-of memo -----------------------------------------------------------
** Trying alternatives in turn is backtracking: an alternative may decode a
** large part of the term before it fails, and the next one decodes that
** part again. A one-of nested in the part then runs once per try of every
** one-of above it, which is exponential in the nesting (expr = int |
** [expr]). So a one-of decoded while an outer one-of is trying an
** alternative keeps its outcome, the value or the failure, under (its
** descriptor, the term, the nesting depth: the depth bound can make the
** same term fail deeper down), and a second visit reuses it. Each part of
** the term is then decoded at most once per alternative of the one-of
** right above it: linear in the size of the term. A one-of with no one-of
** around it keeps nothing, which is the common case. */
typedef struct cnif__memo_entry {
    const cnif_union *desc; /* NULL: a free slot */
    ERL_NIF_TERM term;
    unsigned depth;
    void *value;              /* the decoded value, or NULL */
    cnif__failure *failure; /* the failure, or NULL */
} cnif__memo_entry;

typedef struct cnif__one_of_memo {
    cnif__memo_entry *slots;
    size_t cap, len; /* cap is a power of two */
} cnif__one_of_memo;

static size_t cnif__memo_hash(const cnif_union *d, ERL_NIF_TERM term,
                              unsigned depth)
{
    uint64_t h = ((uint64_t)(uintptr_t)d ^ (uint64_t)term * 0x9E3779B97F4A7C15u)
                 + depth;
    return (size_t)(h ^ (h >> 29));
}

/* The slot of (d, term, depth): its entry, or the free slot to fill. */
static cnif__memo_entry *cnif__memo_slot(cnif__one_of_memo *m,
                                         const cnif_union *d,
                                         ERL_NIF_TERM term, unsigned depth)
{
    size_t i = cnif__memo_hash(d, term, depth) & (m->cap - 1);
    while (m->slots[i].desc
           && !(m->slots[i].desc == d && m->slots[i].term == term
                && m->slots[i].depth == depth))
        i = (i + 1) & (m->cap - 1);
    return &m->slots[i];
}

/* A free slot for (d, term, depth), the table grown to stay half empty. */
static cnif__memo_entry *cnif__memo_add(cnif_env *env, const cnif_union *d,
                                        ERL_NIF_TERM term)
{
    cnif__one_of_memo *m = env->one_of_memo;
    cnif__memo_entry *e;

    if (!m) {
        m = env->one_of_memo = cnif_alloc(env, sizeof *m);
        *m = (cnif__one_of_memo){0};
    }
    if (2 * (m->len + 1) > m->cap) {
        cnif__one_of_memo old = *m;
        m->cap = old.cap ? old.cap * 2 : 64;
        m->slots = cnif_alloc(env, m->cap * sizeof *m->slots);
        memset(m->slots, 0, m->cap * sizeof *m->slots);
        for (size_t i = 0; i < old.cap; i++)
            if (old.slots[i].desc)
                *cnif__memo_slot(m, old.slots[i].desc, old.slots[i].term,
                                 old.slots[i].depth) = old.slots[i];
    }
    m->len++;
    e = cnif__memo_slot(m, d, term, env->depth);
    *e = (cnif__memo_entry){d, term, env->depth, NULL, NULL};
    return e;
}

/* --- One-of decoding ------------------------------------------------------ */

/* Try the alternatives in order. An alternative that failed below the top
** of the term (a path was recorded) recognised the term, by its record
** tag, struct module or keys, and rejected a part of it: its report says
** more than the list of expectations, so it is the one kept. */
static bool cnif__one_of_try(cnif_env *env, const cnif_union *d,
                             ERL_NIF_TERM term, void *out)
{
    const char **expected = cnif_alloc(env, d->count * sizeof *expected);
    cnif__failure *inside = NULL;

    for (size_t i = 0; i < d->count; i++) {
        const cnif_variant *v = &d->variants[i];
        bool decoded;

        env->one_of_trying++;
        decoded = v->decode(env, term, (char *)out + v->offset);
        env->one_of_trying--;
        if (decoded) {
            cnif__kind_set(d, out, v->kind);
            return true;
        }
        if (!inside && env->path_len > 0) {
            inside = cnif_alloc(env, sizeof *inside);
            cnif__failure_save(env, inside);
        }
        /* A reason is in env->message, which the next alternative's
        ** failure overwrites: keep a copy. */
        if (env->has_reason)
            expected[i] = strcpy(cnif_alloc(env, strlen(env->message) + 1),
                                 env->message);
        else
            expected[i] = env->expected ? env->expected : "a valid value";
    }
    if (inside) {
        cnif__failure_restore(env, inside);
        return false;
    }
    /* "an integer or a UTF-8 string": what each alternative expected, each
    ** phrase once ("a map or a map" says nothing). */
    return cnif_decode_fail(env, term,
                            cnif__expected_list(env, expected, d->count));
}

static bool cnif__one_of_decode(cnif_env *env, const cnif_union *d,
                                ERL_NIF_TERM term, void *out)
{
    cnif__memo_entry *e;
    bool decoded;

    if (!env->one_of_trying)
        return cnif__one_of_try(env, d, term, out);
    if (env->one_of_memo) {
        e = cnif__memo_slot(env->one_of_memo, d, term, env->depth);
        if (e->desc && e->value) {
            memcpy(out, e->value, d->size);
            return true;
        }
        if (e->desc) {
            cnif__failure_restore(env, e->failure);
            return false;
        }
    }
    decoded = cnif__one_of_try(env, d, term, out);
    /* Added after the try: the table may have grown during it. */
    e = cnif__memo_add(env, d, term);
    if (decoded) {
        e->value = memcpy(cnif_alloc(env, d->size), out, d->size);
    } else {
        e->failure = cnif_alloc(env, sizeof *e->failure);
        cnif__failure_save(env, e->failure);
    }
    return decoded;
}

/* "empty, {circle, _} or {rect, _}". */
static const char *cnif__union_expected(cnif_env *env, const cnif_union *d)
{
    const char **tags = cnif_alloc(env, d->count * sizeof *tags);

    for (size_t i = 0; i < d->count; i++) {
        const cnif_variant *v = &d->variants[i];
        char *text;
        if (!v->decode) {
            tags[i] = v->tag;
            continue;
        }
        text = cnif_alloc(env, strlen(v->tag) + sizeof "{, _}");
        strcpy(stpcpy(stpcpy(text, "{"), v->tag), ", _}");
        tags[i] = text;
    }
    return cnif__expected_list(env, tags, d->count);
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
