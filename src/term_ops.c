/* term_ops.c -- what erlang's BIFs tell of any term: its type, its order,
** its portable hash and its text. */
#include "internal.h"

cnif_term_type cnif_term_type_of(cnif_env *env, ERL_NIF_TERM term)
{
    ErlNifTermType type = enif_term_type(env->head.nif, term);

    /* A type a later erts adds is not one of cnif's. */
    return type >= ERL_NIF_TERM_TYPE_ATOM && type <= ERL_NIF_TERM_TYPE_TUPLE
               ? (cnif_term_type)type
               : CNIF_TERM_OTHER;
}

int cnif_term_compare(cnif_env *env, ERL_NIF_TERM a, ERL_NIF_TERM b)
{
    int order = enif_compare(a, b);

    (void)env;
    return (order > 0) - (order < 0);
}

uint32_t cnif_term_phash2(cnif_env *env, ERL_NIF_TERM term)
{
    (void)env;
    /* erts ignores the salt of this hash. */
    return (uint32_t)enif_hash(ERL_NIF_PHASH2, term, 0);
}

/* The first buffer tried: most terms a NIF shows are short. */
#define CNIF__FORMAT_FIRST 256

cnif_str cnif_term_format(cnif_env *env, ERL_NIF_TERM term)
{
    size_t size = CNIF__FORMAT_FIRST;

    for (;;) {
        char *text = cnif_alloc(env, size);
        /* %T alone stops after 100,000 elements, with "... ": the largest
        ** precision prints them all. */
        int n = enif_snprintf(text, size, "%.*T", INT_MAX, term);
        /* What erts returns for a text cut short is no exact length (it
        ** can be less than the text needs): only a text that ends short
        ** of the buffer's last byte is known whole. */
        if (n >= 0 && (size_t)n + 1 < size) {
            cnif_str str = {text, (size_t)n, 0};
            return str;
        }
        /* erl_nif counts the text in an int: a buffer of INT_MAX bytes is
        ** the largest it can fill. */
        if (n < 0 || size >= INT_MAX)
            cnif_panic(env, "cannot format the term: its text is longer than "
                            "%d bytes, or erl_nif could not print it",
                       INT_MAX - 2);
        size = (size_t)n + 2 > size * 2 ? (size_t)n + 2 : size * 2;
        if (size > INT_MAX)
            size = INT_MAX;
    }
}
