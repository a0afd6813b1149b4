/* codec_binary.c -- binaries: borrowed views, iodata flattened, new and
** growable binaries handed to the VM without a second copy, sub-binaries.
**
** erts aborts the whole VM when it cannot allocate a refc binary for
** enif_make_new_binary or a buffer for enif_inspect_iolist_as_binary. So
** every size that comes from a caller or a NIF goes through the allocators
** that report failure (enif_alloc_binary, cnif_alloc) and is bounded
** first: erts adds a header to the size, which must not wrap. */
#include "internal.h"
#include <string.h>

/* Binaries up to this size live on the process heap (erts's
** ERL_ONHEAP_BIN_LIMIT); larger ones are reference-counted. */
#define CNIF__HEAP_BINARY_MAX 64

static _Noreturn void cnif__binary_oom(cnif_env *env, size_t size)
{
    cnif_panic(env, "out of memory: cannot allocate a binary of %zu bytes",
               size);
}

/* An uninitialised binary of size bytes as *term; its bytes to fill. */
static unsigned char *cnif__binary_make(cnif_env *env, size_t size,
                                        ERL_NIF_TERM *term)
{
    ErlNifBinary bin;
    unsigned char *data;

    if (size <= CNIF__HEAP_BINARY_MAX) {
        if (!(data = enif_make_new_binary(env->head.nif, size, term)))
            cnif__binary_oom(env, size);
        return data;
    }
    if (size > CNIF__SIZE_MAX || !enif_alloc_binary(size, &bin))
        cnif__binary_oom(env, size);
    *term = enif_make_binary(env->head.nif, &bin);
    return bin.data;
}

/* A stack of the lists an iolist walk has still to finish, in call-scoped
** memory: an iolist may nest a million levels deep, far beyond the C
** stack. */
typedef struct cnif__iolist_stack {
    ERL_NIF_TERM *items;
    size_t len, cap;
} cnif__iolist_stack;

static void cnif__iolist_push(cnif_env *env, cnif__iolist_stack *st,
                              ERL_NIF_TERM term)
{
    if (st->len == st->cap) {
        ERL_NIF_TERM *grown;
        if (st->cap > SIZE_MAX / 2 / sizeof *grown)
            cnif_panic(env, "out of memory: an iolist nested too deep");
        st->cap = st->cap ? st->cap * 2 : 64;
        grown = cnif_alloc(env, st->cap * sizeof *grown);
        if (st->len)
            memcpy(grown, st->items, st->len * sizeof *grown);
        st->items = grown;
    }
    st->items[st->len++] = term;
}

/* Add size bytes at data to the walk: count them, and copy them if to. */
static void cnif__iolist_bytes(cnif_env *env, unsigned char *to, size_t *n,
                               const unsigned char *data, size_t size)
{
    if (size > CNIF__SIZE_MAX - *n)
        cnif_panic(env, "out of memory: an iolist of more than %zu bytes",
                   (size_t)CNIF__SIZE_MAX);
    if (to && size)
        memcpy(to + *n, data, size);
    *n += size;
}

/* Walk the iolist term: count its bytes into *size (to == NULL), or copy
** them to `to`. False if term is not an iolist. */
static bool cnif__iolist_walk(cnif_env *env, ERL_NIF_TERM term,
                              unsigned char *to, size_t *size)
{
    ErlNifEnv *nif = env->head.nif;
    cnif__iolist_stack stack = {0};
    ERL_NIF_TERM head, tail;
    ErlNifBinary bin;
    size_t n = 0;
    int byte;

    for (;;) {
        if (enif_get_list_cell(nif, term, &head, &tail)) {
            if (enif_is_list(nif, head)) {
                cnif__iolist_push(env, &stack, tail);
                term = head;
                continue;
            }
            if (enif_get_int(nif, head, &byte) && byte >= 0 && byte <= 255) {
                unsigned char b = (unsigned char)byte;
                cnif__iolist_bytes(env, to, &n, &b, 1);
            } else if (enif_inspect_binary(nif, head, &bin)) {
                cnif__iolist_bytes(env, to, &n, bin.data, bin.size);
            } else {
                return false;
            }
            term = tail;
            continue;
        }
        if (enif_is_empty_list(nif, term))
            ; /* the usual end of a list */
        else if (enif_inspect_binary(nif, term, &bin)) /* a binary tail */
            cnif__iolist_bytes(env, to, &n, bin.data, bin.size);
        else
            return false;
        if (!stack.len)
            break;
        term = stack.items[--stack.len];
    }
    *size = n;
    return true;
}

bool cnif__iolist_flatten(cnif_env *env, ERL_NIF_TERM term, cnif_bin *out)
{
    size_t size;
    unsigned char *flat;

    if (!enif_is_list(env->head.nif, term)
        || !cnif__iolist_walk(env, term, NULL, &size))
        return false;
    /* Flattened into call-scoped memory, valid until the call ends. */
    flat = cnif_alloc(env, size);
    cnif__iolist_walk(env, term, flat, &size);
    out->term = 0;
    out->data = flat;
    out->size = size;
    return true;
}

bool cnif__iodata_decode_list(cnif_env *env, ERL_NIF_TERM term,
                              cnif_bin *out)
{
    if (cnif__iolist_flatten(env, term, out))
        return true;
    cnif_decode_fail(env, term, "iodata");
    return false; /* a literal false: see CNIF__INT_CODEC */
}

ERL_NIF_TERM cnif__bin_encode(cnif_env *env, cnif_bin value)
{
    unsigned char *data;
    ERL_NIF_TERM term;

    if (value.size && !value.data)
        cnif_panic(env, "cannot encode a binary of %zu bytes at NULL",
                   value.size);
    data = cnif__binary_make(env, value.size, &term);
    if (value.size)
        memcpy(data, value.data, value.size);
    return term;
}

cnif_bin cnif_bin_new(cnif_env *env, size_t size, unsigned char **data)
{
    cnif_bin bin;
    *data = cnif__binary_make(env, size, &bin.term);
    bin.data = *data;
    bin.size = size;
    return bin;
}

cnif_bin cnif_bin_copy(cnif_env *env, const void *data, size_t size)
{
    cnif_bin bin = {data, size, 0};
    bin.term = cnif_encode_cnif_bin(env, bin);
    return bin;
}

cnif_bin cnif_bin_sub(cnif_env *env, cnif_bin bin, size_t pos, size_t size)
{
    cnif_bin sub;

    if (pos > bin.size || size > bin.size - pos)
        cnif_panic(env, "sub-binary [%zu, %zu+%zu) is outside a binary of %zu "
                        "bytes", pos, pos, size, bin.size);
    if (!bin.term)
        bin = cnif_bin_copy(env, bin.data, bin.size);
    sub.term = enif_make_sub_binary(env->head.nif, bin.term, pos, size);
    sub.data = bin.data + pos;
    sub.size = size;
    return sub;
}

struct cnif_bin_builder {
    ErlNifBinary bin;
    bool owned; /* still ours to release: not yet handed to the VM */
};

static void cnif__builder_release(void *arg)
{
    cnif_bin_builder *b = arg;
    if (b->owned)
        enif_release_binary(&b->bin);
}

cnif_bin_builder *cnif_bin_alloc(cnif_env *env, size_t size)
{
    cnif_bin_builder *b = cnif_alloc(env, sizeof *b);
    b->owned = false;
    /* Registered before allocating so no path leaves the binary unowned. */
    cnif__defer_own(env, cnif__builder_release, b);
    if (size > CNIF__SIZE_MAX || !enif_alloc_binary(size, &b->bin))
        cnif__binary_oom(env, size);
    b->owned = true;
    return b;
}

unsigned char *cnif_bin_data(cnif_bin_builder *builder)
{
    return builder->bin.data;
}

void cnif_bin_realloc(cnif_env *env, cnif_bin_builder *builder, size_t size)
{
    if (!builder->owned)
        cnif_panic(env, "cnif_bin_realloc after cnif_bin_finish");
    if (size > CNIF__SIZE_MAX || !enif_realloc_binary(&builder->bin, size))
        cnif_panic(env, "out of memory: cannot grow a binary to %zu bytes",
                   size);
}

cnif_bin cnif_bin_finish(cnif_env *env, cnif_bin_builder *builder)
{
    cnif_bin bin;
    if (!builder->owned)
        cnif_panic(env, "cnif_bin_finish called twice");
    bin.data = builder->bin.data;
    bin.size = builder->bin.size;
    bin.term = enif_make_binary(env->head.nif, &builder->bin);
    builder->owned = false;
    return bin;
}
