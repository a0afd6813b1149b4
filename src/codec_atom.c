/* codec_atom.c -- atoms as C strings and as C enums. Decoding only reads
** atoms that exist; nothing here turns caller data into a new atom.
**
** Before NIF 2.17 (OTP 26) the atom API is Latin-1 only. Names that are
** Latin-1 are converted between UTF-8 (cnif's text encoding) and Latin-1
** here; the others go through the external term format, whose
** ATOM_UTF8_EXT spells any atom, and whose safe decoding never makes one. */
#include "internal.h"
#include <string.h>

/* The longest atom text: 255 characters of up to 4 UTF-8 bytes each. */
#define CNIF__ATOM_BYTES (255 * 4 + 1)

#if ERL_NIF_MAJOR_VERSION > 2 || ERL_NIF_MINOR_VERSION >= 17
#define CNIF__ATOM_NATIVE_UTF8 1
#endif

#ifndef CNIF__ATOM_NATIVE_UTF8
/* The external term format of an atom: version, tag, length, name. */
#define CNIF__EXT_VERSION 131
#define CNIF__ATOM_UTF8_EXT 118
#define CNIF__SMALL_ATOM_UTF8_EXT 119

/* The UTF-8 name of an atom that is not Latin-1, from its external
** format; its length, or -1. */
static int cnif__atom_text_ext(ErlNifEnv *nif, ERL_NIF_TERM atom, char *buf)
{
    ErlNifBinary ext;
    size_t len = 0, at = 0;

    if (!enif_term_to_binary(nif, atom, &ext))
        return -1;
    if (ext.size >= 3 && ext.data[0] == CNIF__EXT_VERSION) {
        if (ext.data[1] == CNIF__SMALL_ATOM_UTF8_EXT)
            len = ext.data[2], at = 3;
        else if (ext.size >= 4 && ext.data[1] == CNIF__ATOM_UTF8_EXT)
            len = (size_t)ext.data[2] << 8 | ext.data[3], at = 4;
    }
    if (!at || at + len != ext.size || len >= CNIF__ATOM_BYTES) {
        enif_release_binary(&ext);
        return -1;
    }
    memcpy(buf, ext.data + at, len);
    buf[len] = '\0';
    enif_release_binary(&ext);
    return (int)len;
}

/* The atom named by UTF-8 name (any characters), made if create, else
** only found: binary_to_term's safe mode makes no new atom. */
static bool cnif__atom_from_ext(ErlNifEnv *nif, const char *name,
                                size_t size, bool create, ERL_NIF_TERM *atom)
{
    unsigned char ext[4 + CNIF__ATOM_BYTES];

    if (size >= CNIF__ATOM_BYTES)
        return false;
    ext[0] = CNIF__EXT_VERSION;
    ext[1] = CNIF__ATOM_UTF8_EXT;
    ext[2] = (unsigned char)(size >> 8);
    ext[3] = (unsigned char)size;
    memcpy(ext + 4, name, size);
    return enif_binary_to_term(nif, ext, 4 + size, atom,
                               create ? 0 : ERL_NIF_BIN2TERM_SAFE)
           == 4 + size;
}
#endif

/* The atom's name as NUL-terminated UTF-8 in buf, and its length in
** bytes; -1 if term is not an atom.
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
        return enif_is_atom(nif, term) ? cnif__atom_text_ext(nif, term, buf)
                                       : -1;
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
/* The size bytes of a UTF-8 atom name in Latin-1: its length, or -1 if it
** is longer than an atom or not Latin-1 (or not UTF-8). */
static int cnif__latin1(const char *name, size_t size, char out[256])
{
    const unsigned char *end = (const unsigned char *)name + size;
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)name; p < end; p++) {
        if (n == 255)
            return -1;
        if (*p < 0x80) {
            out[n++] = (char)*p;
        } else if ((*p == 0xC2 || *p == 0xC3) && p + 1 < end
                   && (p[1] & 0xC0) == 0x80) {
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
        int n = cnif__latin1(value, size, latin1);
        if (n >= 0)
            atom = enif_make_atom_len(env->head.nif, latin1, (size_t)n);
        else if (!cnif__atom_from_ext(env->head.nif, value, size, true, &atom))
            cnif_panic(env, "cannot encode \"%.64s\" as an atom: too long",
                       value);
    }
#endif
    return atom;
}

/* The existing atom named by the size bytes of UTF-8 text at name. */
static bool cnif__atom_existing_len(ErlNifEnv *nif, const char *name,
                                    size_t size, ERL_NIF_TERM *atom)
{
#ifdef CNIF__ATOM_NATIVE_UTF8
    return enif_make_existing_atom_len(nif, name, size, atom, ERL_NIF_UTF8);
#else
    char latin1[256];
    int n = cnif__latin1(name, size, latin1);
    if (n >= 0)
        return enif_make_existing_atom_len(nif, latin1, (size_t)n, atom,
                                           ERL_NIF_LATIN1);
    return cnif__atom_from_ext(nif, name, size, false, atom);
#endif
}

bool cnif__atom_existing(ErlNifEnv *nif, const char *name, ERL_NIF_TERM *atom)
{
    return cnif__atom_existing_len(nif, name, strlen(name), atom);
}

bool cnif_atom_find(cnif_env *env, const char *name, size_t size,
                    ERL_NIF_TERM *atom)
{
    ERL_NIF_TERM found;

    /* No atom's name is other than UTF-8: erts need not be asked. */
    if (!cnif_utf8_valid(name, size)
        || !cnif__atom_existing_len(env->head.nif, name, size, &found))
        return false;
    if (atom)
        *atom = found;
    return true;
}

bool cnif_decode_cnif_existing_atom(cnif_env *env, ERL_NIF_TERM term,
                                    cnif_existing_atom *out)
{
    ErlNifBinary name;

    if (enif_is_atom(env->head.nif, term)) {
        out->term = term;
        return true;
    }
    if (!enif_inspect_binary(env->head.nif, term, &name))
        return cnif_decode_fail(env, term, "an atom or a binary naming one");
    if (!cnif_atom_find(env, (const char *)name.data, name.size, &out->term))
        return cnif_decode_fail(env, term, "the name of an existing atom");
    return true;
}

ERL_NIF_TERM cnif_encode_cnif_existing_atom(cnif_env *env,
                                            cnif_existing_atom value)
{
    (void)env;
    return value.term;
}

/* "red, green or blue", built only when a decode fails. */
static const char *cnif__enum_expected(cnif_env *env,
                                       const cnif_enum_entry *table)
{
    size_t n = 0;
    const char **names;

    while (table[n].name)
        n++;
    names = cnif_alloc(env, n * sizeof *names);
    for (size_t i = 0; i < n; i++)
        names[i] = table[i].name;
    return cnif__expected_list(env, names, n);
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
