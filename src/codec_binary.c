/* codec_binary.c -- binaries: borrowed views, iolists, new and growable
** binaries handed to the VM without a second copy, sub-binaries. */
#include "internal.h"
#include <string.h>

bool cnif_decode_cnif_bin(cnif_env *env, ERL_NIF_TERM term, cnif_bin *out)
{
    ErlNifBinary bin;

    if (enif_inspect_binary(env->head.nif, term, &bin)) {
        out->term = term;
    } else if (enif_inspect_iolist_as_binary(env->head.nif, term, &bin)) {
        out->term = 0; /* flattened into memory the env owns for this call */
    } else {
        return cnif_decode_fail(env, term, "a binary");
    }
    out->data = bin.data;
    out->size = bin.size;
    return true;
}

ERL_NIF_TERM cnif_encode_cnif_bin(cnif_env *env, cnif_bin value)
{
    unsigned char *data;
    ERL_NIF_TERM term;

    if (value.term)
        return value.term;
    if (value.size && !value.data)
        cnif_panic(env, "cannot encode a binary of %zu bytes at NULL",
                   value.size);
    data = enif_make_new_binary(env->head.nif, value.size, &term);
    if (!data)
        cnif_panic(env, "out of memory: cannot allocate a binary of %zu bytes",
                   value.size);
    if (value.size)
        memcpy(data, value.data, value.size);
    return term;
}

cnif_bin cnif_bin_new(cnif_env *env, size_t size, unsigned char **data)
{
    cnif_bin bin;
    *data = enif_make_new_binary(env->head.nif, size, &bin.term);
    if (!*data)
        cnif_panic(env, "out of memory: cannot allocate a binary of %zu bytes",
                   size);
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
    cnif_defer(env, cnif__builder_release, b);
    if (!enif_alloc_binary(size, &b->bin))
        cnif_panic(env, "out of memory: cannot allocate a binary of %zu bytes",
                   size);
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
    if (!enif_realloc_binary(&builder->bin, size))
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
