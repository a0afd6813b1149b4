/* codec_atom.c -- atoms as C strings and as C enums. Decoding only reads
** atoms that exist; nothing here turns caller data into a new atom.
**
** Before NIF 2.17 (OTP 26) the atom API is Latin-1 only, so names are
** converted between UTF-8 (cnif's text encoding) and Latin-1 here. */
#include "internal.h"
#include <string.h>

/* The longest atom text: 255 characters of up to 4 UTF-8 bytes each. */
#define CNIF__ATOM_BYTES (255 * 4 + 1)

#if ERL_NIF_MAJOR_VERSION > 2 || ERL_NIF_MINOR_VERSION >= 17
#define CNIF__ATOM_NATIVE_UTF8 1
#endif

/* The atom's name as NUL-terminated UTF-8 in buf, and its length in
** bytes; -1 if term is not an atom (or, before OTP 26, not a Latin-1 one).
** An atom may hold NUL characters ('red\0x'), so the length, not strlen,
** says where the name ends. */
static int cnif__atom_text(ErlNifEnv *nif, ERL_NIF_TERM term, char *buf)
{
#ifdef CNIF__ATOM_NATIVE_UTF8
    int n = enif_get_atom(nif, term, buf, CNIF__ATOM_BYTES, ERL_NIF_UTF8);
    return n > 0 ? n - 1 : -1;
#else
    unsigned char latin1[256];
    char *start = buf;
    int n = enif_get_atom(nif, term, (char *)latin1, sizeof latin1,
                          ERL_NIF_LATIN1);
    if (n <= 0)
        return -1;
    for (int i = 0; i < n - 1; i++) {
        if (latin1[i] < 0x80) {
            *buf++ = (char)latin1[i];
        } else {
            *buf++ = (char)(0xC0 | (latin1[i] >> 6));
            *buf++ = (char)(0x80 | (latin1[i] & 0x3F));
        }
    }
    *buf = '\0';
    return (int)(buf - start);
#endif
}

#ifndef CNIF__ATOM_NATIVE_UTF8
/* A UTF-8 atom name in Latin-1: its length, or -1 if it is longer than an
** atom or not Latin-1 (or not UTF-8). */
static int cnif__latin1(const char *name, char out[256])
{
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (n == 255)
            return -1;
        if (*p < 0x80) {
            out[n++] = (char)*p;
        } else if ((*p == 0xC2 || *p == 0xC3) && (p[1] & 0xC0) == 0x80) {
            out[n++] = (char)(((*p & 0x03) << 6) | (p[1] & 0x3F));
            p++;
        } else {
            return -1;
        }
    }
    return n;
}
#endif

bool cnif_decode_cnif_atom(cnif_env *env, ERL_NIF_TERM term, cnif_atom *out)
{
    char name[CNIF__ATOM_BYTES];
    int len = cnif__atom_text(env->head.nif, term, name);
    char *copy;

    if (len < 0)
        return cnif_decode_fail(env, term, "an atom");
    /* A C string would cut the name at its first NUL: another atom. */
    if (memchr(name, '\0', (size_t)len))
        return cnif_decode_fail(env, term, "an atom without NUL characters");
    copy = cnif_alloc(env, (size_t)len + 1);
    memcpy(copy, name, (size_t)len + 1);
    *out = copy;
    return true;
}

ERL_NIF_TERM cnif_encode_cnif_atom(cnif_env *env, cnif_atom value)
{
    ERL_NIF_TERM atom;
    size_t size;

    if (!value)
        cnif_panic(env, "cannot encode a NULL atom name");
    size = strlen(value);
    if (!cnif_utf8_valid(value, size))
        cnif_panic(env, "cannot encode \"%.64s\" as an atom: not UTF-8", value);
#ifdef CNIF__ATOM_NATIVE_UTF8
    if (!enif_make_new_atom_len(env->head.nif, value, size, &atom,
                                ERL_NIF_UTF8))
        cnif_panic(env, "cannot encode \"%.64s\" as an atom: too long", value);
#else
    {
        char latin1[256];
        int n = cnif__latin1(value, latin1);
        if (n < 0)
            cnif_panic(env, "cannot encode \"%.64s\" as an atom: too long "
                            "or beyond Latin-1 on this OTP", value);
        atom = enif_make_atom_len(env->head.nif, latin1, (size_t)n);
    }
#endif
    return atom;
}

bool cnif__atom_existing(ErlNifEnv *nif, const char *name, ERL_NIF_TERM *atom)
{
#ifdef CNIF__ATOM_NATIVE_UTF8
    return enif_make_existing_atom(nif, name, atom, ERL_NIF_UTF8);
#else
    char latin1[256];
    int n = cnif__latin1(name, latin1);
    return n >= 0
        && enif_make_existing_atom_len(nif, latin1, (size_t)n, atom,
                                       ERL_NIF_LATIN1);
#endif
}

/* "one of red, green, blue", built only when a decode fails. */
static const char *cnif__enum_expected(cnif_env *env,
                                       const cnif_enum_entry *table)
{
    size_t size = sizeof "one of ";
    char *text, *p;

    for (const cnif_enum_entry *e = table; e->name; e++)
        size += strlen(e->name) + 2;
    text = p = cnif_alloc(env, size);
    p = stpcpy(p, "one of ");
    for (const cnif_enum_entry *e = table; e->name; e++)
        p = stpcpy(stpcpy(p, e->name), e[1].name ? ", " : "");
    return text;
}

bool cnif_enum_decode(cnif_env *env, ERL_NIF_TERM term,
                      const cnif_enum_entry *table, int *out)
{
    char name[CNIF__ATOM_BYTES];
    int len = cnif__atom_text(env->head.nif, term, name);

    if (len >= 0) {
        for (const cnif_enum_entry *e = table; e->name; e++) {
            if (strlen(e->name) == (size_t)len
                && memcmp(e->name, name, (size_t)len) == 0) {
                *out = e->value;
                return true;
            }
        }
    }
    return cnif_decode_fail(env, term, cnif__enum_expected(env, table));
}

ERL_NIF_TERM cnif_enum_encode(cnif_env *env, const cnif_enum_entry *table,
                              int value)
{
    for (const cnif_enum_entry *e = table; e->name; e++)
        if (e->value == value)
            return cnif_encode_cnif_atom(env, e->name);
    cnif_panic(env, "cannot encode %d: not a value of this enum", value);
}
