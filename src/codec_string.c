/* codec_string.c -- validated UTF-8 text, from a binary or iodata, as a
** view and NUL-terminated. */
#include "internal.h"
#include <string.h>

bool cnif__text_decode_other(cnif_env *env, ERL_NIF_TERM term, cnif_str *out,
                             bool iolist)
{
    cnif_bin bytes;

    /* A binary is here only because its bytes are not UTF-8. */
    if (iolist && cnif__iolist_flatten(env, term, &bytes)
        && cnif_utf8_valid(bytes.data, bytes.size)) {
        *out = (cnif_str){(const char *)bytes.data, bytes.size, bytes.term};
        return true;
    }
    cnif_decode_fail(env, term, iolist ? "UTF-8 iodata" : "a UTF-8 string");
    return false; /* a literal false: see CNIF__INT_CODEC */
}

ERL_NIF_TERM cnif__str_encode(cnif_env *env, cnif_str value)
{
    cnif_bin bin = {(const unsigned char *)value.data, value.size, value.term};

    if (value.size && !value.data)
        cnif_panic(env, "cannot encode a string of %zu bytes at NULL",
                   value.size);
    /* Before the bytes are read for validation: such a size is a lie. */
    if (value.size > CNIF__SIZE_MAX)
        cnif_panic(env, "out of memory: cannot allocate a binary of %zu bytes",
                   value.size);
    if (!value.term && !cnif_utf8_valid(value.data, value.size))
        cnif_panic(env, "cannot encode a string that is not valid UTF-8");
    return cnif_encode_cnif_bin(env, bin);
}

bool cnif_decode_cnif_cstr(cnif_env *env, ERL_NIF_TERM term, cnif_cstr *out)
{
    cnif_str str;
    char *copy;

    if (!cnif_decode_cnif_str(env, term, &str))
        return false;
    if (memchr(str.data, '\0', str.size))
        return cnif_decode_fail(env, term, "a UTF-8 string without NUL bytes");
    copy = cnif_alloc(env, str.size + 1);
    memcpy(copy, str.data, str.size);
    copy[str.size] = '\0';
    *out = copy;
    return true;
}

ERL_NIF_TERM cnif_encode_cnif_cstr(cnif_env *env, cnif_cstr value)
{
    if (!value)
        cnif_panic(env, "cannot encode a NULL string");
    return cnif_encode_cnif_str(env, cnif_str_from(value));
}

cnif_str cnif_str_from(const char *text)
{
    cnif_str str = {text, strlen(text), 0};
    return str;
}
