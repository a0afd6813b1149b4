/* badarg.c -- recording why a decoder rejected a term, where in the argument
** it happened, and the report term the Erlang wrapper turns into
** error:badarg with error_info. */
#include "internal.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Once a call has raised, reported a bad argument or panicked, only its
** cleanups still run. A decoder failing in one of them is nobody's bad
** argument and must not overwrite the report the call will raise. */
static bool cnif__settled(const cnif_env *env)
{
    return env->outcome != CNIF__RETURNED;
}

bool cnif_decode_fail(cnif_env *env, ERL_NIF_TERM term, const char *expected)
{
    return cnif__decode_fail_got(env, term, expected, NULL);
}

bool cnif__decode_fail_got(cnif_env *env, ERL_NIF_TERM term,
                           const char *expected, const char *got_text)
{
    if (cnif__settled(env))
        return false;
    /* 0 is no term at all (an unset variable): putting it in the report
    ** would hand the VM garbage. */
    if (!term) {
        term = cnif__atoms.undefined;
        got_text = "no term (an unset ERL_NIF_TERM)";
    }
    env->expected = expected;
    env->got = cnif__for_reply(env, term);
    env->got_text = got_text;
    env->has_reason = false;
    env->path_len = 0;
    env->path_truncated = false;
    return false;
}

/* Whether the list from text to end already holds the len bytes of item. */
static bool cnif__list_has(const char *text, const char *end,
                           const char *item, size_t len)
{
    for (const char *q = text; q < end;) {
        size_t n = strcspn(q, CNIF__OR);
        if (n == len && memcmp(q, item, len) == 0)
            return true;
        q += n + 1;
    }
    return false;
}

const char *cnif__expected_list(cnif_env *env, const char *const *items,
                                size_t n)
{
    size_t size = 1;
    char *text, *p;

    for (size_t i = 0; i < n; i++)
        size += strlen(items[i]) + 1;
    text = p = cnif_alloc(env, size);
    *p = '\0';
    for (size_t i = 0; i < n; i++) {
        for (const char *item = items[i];; item++) {
            size_t len = strcspn(item, CNIF__OR);
            if (len && !cnif__list_has(text, p, item, len)) {
                if (p > text)
                    *p++ = CNIF__OR[0];
                memcpy(p, item, len);
                p += len;
                *p = '\0';
            }
            item += len;
            if (!*item)
                break;
        }
    }
    return text;
}

/* The expected text as a binary, the items of a list written "a, b or c";
** 0 if the VM cannot make it. A single item, the usual case, is copied
** as it is. */
static ERL_NIF_TERM cnif__expected_term(ErlNifEnv *nif, const char *expected)
{
    size_t size = strlen(expected), seps = 0, seen = 0;
    unsigned char *data;
    ERL_NIF_TERM term;

    if (!memchr(expected, CNIF__OR[0], size))
        return cnif__text(nif, expected, size);
    for (const char *q = expected; *q; q++)
        seps += *q == CNIF__OR[0];
    /* ", " for each separator but the last, " or " for the last. */
    size += seps - 1 + 3;
    if (!(data = enif_make_new_binary(nif, size, &term)))
        return 0;
    for (const char *q = expected; *q; q++) {
        const char *sep;
        if (*q != CNIF__OR[0]) {
            *data++ = (unsigned char)*q;
            continue;
        }
        sep = ++seen < seps ? ", " : " or ";
        memcpy(data, sep, strlen(sep));
        data += strlen(sep);
    }
    return term;
}

void cnif__vformat(cnif_env *env, const char *fmt, va_list ap)
{
    int n = vsnprintf(env->message, sizeof env->message, fmt, ap);

    /* Cut at a character boundary if truncated, so the message stays UTF-8:
    ** back up over continuation bytes to the lead byte of the cut
    ** character, and drop it too. */
    if (n >= (int)sizeof env->message) {
        size_t end = sizeof env->message - 1;
        size_t i = end;
        while (i > 0 && ((unsigned char)env->message[i - 1] & 0xC0) == 0x80)
            i--;
        if (i > 0 && (unsigned char)env->message[i - 1] >= 0xC0) {
            unsigned char lead = (unsigned char)env->message[i - 1];
            size_t len = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
            if (end - (i - 1) < len)
                env->message[i - 1] = '\0';
        }
    }
}

void cnif__reason_v(cnif_env *env, const char *fmt, va_list ap)
{
    cnif__vformat(env, fmt, ap);
    env->has_reason = true;
    env->path_len = 0;
    env->path_truncated = false;
}

bool cnif_decode_fail_reason(cnif_env *env, const char *fmt, ...)
{
    va_list ap;
    if (cnif__settled(env))
        return false;
    va_start(ap, fmt);
    cnif__reason_v(env, fmt, ap);
    va_end(ap);
    return false;
}

void cnif__failure_save(cnif_env *env, cnif__failure *f)
{
    f->expected = env->expected;
    f->got = env->got;
    f->got_text = env->got_text;
    f->reason = env->has_reason
                    ? strcpy(cnif_alloc(env, strlen(env->message) + 1),
                             env->message)
                    : NULL;
    f->path_len = env->path_len;
    f->path_truncated = env->path_truncated;
    f->path = cnif_alloc(env, env->path_len * sizeof *f->path);
    memcpy(f->path, env->path, env->path_len * sizeof *f->path);
}

void cnif__failure_restore(cnif_env *env, const cnif__failure *f)
{
    if (cnif__settled(env))
        return;
    env->expected = f->expected;
    env->got = f->got;
    env->got_text = f->got_text;
    env->has_reason = f->reason != NULL;
    if (f->reason)
        strcpy(env->message, f->reason);
    env->path_len = f->path_len;
    env->path_truncated = f->path_truncated;
    memcpy(env->path, f->path, f->path_len * sizeof *f->path);
}

/* Segments arrive innermost first. Past CNIF_PATH_MAX the outer ones are
** dropped: the innermost steps are the ones that locate the fault. */
static bool cnif__path_push(cnif_env *env, const char *key, size_t index)
{
    if (cnif__settled(env))
        return false;
    if (env->path_len == CNIF_PATH_MAX) {
        env->path_truncated = true;
        return false;
    }
    env->path[env->path_len].key = key;
    env->path[env->path_len].index = index;
    env->path_len++;
    return false;
}

bool cnif_path_index(cnif_env *env, size_t index)
{
    return cnif__path_push(env, NULL, index);
}

bool cnif_path_key(cnif_env *env, const char *key)
{
    return cnif__path_push(env, key, 0);
}

bool cnif_depth_enter(cnif_env *env)
{
    if (env->depth == CNIF_MAX_DEPTH)
        return cnif_decode_fail_reason(env, "nested deeper than %d levels",
                                       CNIF_MAX_DEPTH);
    env->depth++;
    return true;
}

void cnif_depth_leave(cnif_env *env)
{
    env->depth--;
}

/* Append len bytes of text to the size bytes in buf, as many as fit
** before cap; the new size. */
static size_t cnif__path_put(char *buf, size_t size, size_t cap,
                             const char *text, size_t len)
{
    if (len > cap - size)
        len = cap - size;
    memcpy(buf + size, text, len);
    return size + len;
}

/* ".points[3].x", outermost step first, cut after cap bytes. Written by
** hand, not with snprintf: a report is on the path of every bad argument. */
static size_t cnif__path_format(cnif_env *env, char *buf, size_t cap)
{
    size_t n = 0;
    if (env->path_truncated)
        n = cnif__path_put(buf, n, cap, "...", 3);
    for (unsigned i = env->path_len; i > 0 && n < cap; i--) {
        const cnif__segment *s = &env->path[i - 1];
        if (s->key) {
            n = cnif__path_put(buf, n, cap, ".", 1);
            n = cnif__path_put(buf, n, cap, s->key, strlen(s->key));
        } else {
            char digits[24], *d = digits + sizeof digits;
            size_t index = s->index;
            *--d = ']';
            do
                *--d = (char)('0' + index % 10);
            while (index /= 10);
            *--d = '[';
            n = cnif__path_put(buf, n, cap, d,
                               (size_t)(digits + sizeof digits - d));
        }
    }
    return n;
}

/* The wrapper's secret; 0 until a load gives one. A small integer, so a
** report needs no copy of it. A library loaded without cnif's load info
** has no wrapper to raise its reports, so with 0 the NIF raises plain
** badarg itself: a caller never sees the internal tuple. */
static uint64_t cnif__secret;

void cnif__badarg_secret_set(uint64_t secret)
{
    cnif__secret = secret;
}

/* The keys of the public report; made at load, as cnif's other atoms
** are: reporting must not be the first to ask erts for one. */
static struct {
    ERL_NIF_TERM argno, path, reason;
} cnif__badarg_atoms;

void cnif__badarg_atoms_init(ErlNifEnv *nif)
{
    cnif__badarg_atoms.argno = enif_make_atom(nif, "argno");
    cnif__badarg_atoms.path = enif_make_atom(nif, "path");
    cnif__badarg_atoms.reason = enif_make_atom(nif, "reason");
}

/* Reason is {expected, Expected, Got}, {expected, Expected, Got, GotText}
** or a binary; the wrapper and cnif_error format it lazily, only if
** someone prints it. */
ERL_NIF_TERM cnif__badarg_term(cnif_env *env, bool to_wrapper)
{
    ErlNifEnv *nif = env->reply_nif;
    char path[CNIF_MESSAGE_MAX];
    size_t path_size = env->path_len || env->path_truncated
                           ? cnif__path_format(env, path, sizeof path - 1)
                           : 0;
    ERL_NIF_TERM path_term = cnif__text(nif, path, path_size);
    ERL_NIF_TERM reason, map;

    if (env->has_reason) {
        reason = cnif__text(nif, env->message, strlen(env->message));
    } else {
        ERL_NIF_TERM items[4] = {
            cnif__atoms.expected,
            cnif__expected_term(nif, env->expected ? env->expected
                                                   : "a valid value"),
            env->expected ? env->got : cnif__atoms.undefined,
        };
        bool got_text = env->expected && env->got_text;
        if (got_text)
            items[3] = cnif__text(nif, env->got_text, strlen(env->got_text));
        reason = !items[1] || (got_text && !items[3])
                     ? 0
                     : enif_make_tuple_from_array(nif, items, got_text ? 4 : 3);
    }
    if (!path_term || !reason || (to_wrapper && !cnif__secret))
        return cnif__atoms.badarg;
    if (to_wrapper) {
        ERL_NIF_TERM report[5] = {cnif__atoms.cnif_badarg,
                                  enif_make_uint64(nif, cnif__secret),
                                  enif_make_int(nif, env->badarg_argno),
                                  path_term, reason};
        return enif_make_tuple_from_array(nif, report, 5);
    }
    /* No wrapper will see it (a job's reply, a cnif_try's catch): the
    ** public {badarg, #{argno, path, reason}} that cnif.h documents. */
    ERL_NIF_TERM keys[3] = {cnif__badarg_atoms.argno, cnif__badarg_atoms.path,
                            cnif__badarg_atoms.reason};
    ERL_NIF_TERM values[3] = {enif_make_int(nif, env->badarg_argno),
                              path_term, reason};
    if (!enif_make_map_from_arrays(nif, keys, values, 3, &map))
        return cnif__atoms.badarg;
    return enif_make_tuple2(nif, cnif__atoms.badarg, map);
}
