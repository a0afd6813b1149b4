/* worker.c -- what a library adds when it runs in a worker of an isolated
** module (erlang/cnif_isolated.erl): death with the node that started the
** worker, and the NIF '$cnif_resources'/1, which lists the instances of
** the library's resource types that a term holds.
** The worker keeps those alive and gives the caller handles to them;
** Erlang cannot tell a resource from a plain reference, only the library
** that opened its type can. */
#include "internal.h"
#include <signal.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

/* The terms still to look into, on the heap: a result nested deeply
** enough would overflow a recursion. A push that finds no memory marks
** the stack failed, and the walk stops there. */
typedef struct term_stack {
    ERL_NIF_TERM *terms;
    size_t len, cap;
    bool failed;
} term_stack;

static void term_stack_push(term_stack *s, ERL_NIF_TERM term)
{
    if (s->len == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        ERL_NIF_TERM *terms = enif_realloc(s->terms, cap * sizeof *terms);
        if (!terms) {
            s->failed = true;
            return;
        }
        s->terms = terms;
        s->cap = cap;
    }
    s->terms[s->len++] = term;
}

/* Pushes what term holds. */
static void push_parts(ErlNifEnv *nif, term_stack *s, ERL_NIF_TERM term)
{
    const ERL_NIF_TERM *items;
    ERL_NIF_TERM head, tail, key, value;
    ErlNifMapIterator it;
    int arity;

    if (enif_get_list_cell(nif, term, &head, &tail)) {
        /* The spine is walked here, so a long list needs no stack. */
        do {
            term_stack_push(s, head);
            term = tail;
        } while (enif_get_list_cell(nif, term, &head, &tail));
        term_stack_push(s, term);    /* an improper tail */
    } else if (enif_get_tuple(nif, term, &arity, &items)) {
        for (int i = 0; i < arity; i++)
            term_stack_push(s, items[i]);
    } else if (enif_is_map(nif, term)) {
        if (!enif_map_iterator_create(nif, term, &it, ERL_NIF_MAP_ITERATOR_FIRST)) {
            s->failed = true;
            return;
        }
        while (enif_map_iterator_get_pair(nif, &it, &key, &value)) {
            term_stack_push(s, key);
            term_stack_push(s, value);
            enif_map_iterator_next(nif, &it);
        }
        enif_map_iterator_destroy(nif, &it);
    }
}

static ERL_NIF_TERM worker_resources(ErlNifEnv *nif, int argc, const ERL_NIF_TERM argv[])
{
    term_stack s = {0};
    ERL_NIF_TERM found = enif_make_list(nif, 0), term;

    (void)argc;
    term_stack_push(&s, argv[0]);
    while (!s.failed && s.len) {
        term = s.terms[--s.len];
        if (enif_is_ref(nif, term)) {
            if (cnif__resource_is_open(nif, term))
                found = enif_make_list_cell(nif, term, found);
        } else {
            push_parts(nif, &s, term);
        }
    }
    enif_free(s.terms);
    return s.failed ? enif_raise_exception(nif, enif_make_atom(nif, "enomem")) : found;
}

const ErlNifFunc cnif__worker_func = {"$cnif_resources", 1, worker_resources, 0};

/* A worker must not outlive the node that started it, even while a call
** hangs and keeps its schedulers from reading the end of its input: the
** kernel kills it when its parent (that node's erl_child_setup) exits. */
void cnif__worker_die_with_parent(void)
{
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1)     /* the parent was gone already */
        _exit(0);
#endif
}
