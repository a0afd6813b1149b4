/* registry.c -- the NIFs and defined types of a library, as erts and the
** load are given them. On ELF, the linker gathers them into the sections
** cnif_nifs and cnif_types, which CNIF_MODULE hands over as they are. With
** CNIF_PORTABLE_REGISTRATION (cnif.h: where the object format is not ELF,
** or forced), a constructor per NIF and per type adds it to a list here
** before the VM calls nif_init, in the order they are defined (type setup
** relies on it, as the sections keep it too). A worker of an isolated
** module adds a NIF of its own (worker.c). */
#include "internal.h"
#include <stdio.h>
#include <string.h>

static cnif__nif_node *cnif__nif_list, **cnif__nif_last = &cnif__nif_list;
static cnif__type_node *cnif__type_list, **cnif__type_last = &cnif__type_list;

void cnif__gather_nif(cnif__nif_node *node)
{
    *cnif__nif_last = node;
    cnif__nif_last = &node->next;
}

void cnif__gather_type(cnif__type_node *node)
{
    *cnif__type_last = node;
    cnif__type_last = &node->next;
}

/* The table erts is given when the section cannot be given as it is: made
** at the first load, the same at every later load of this mapping of the
** library (erts may still hold the table of an old instance of the
** module), freed when the library is unmapped. */
static ErlNifFunc *cnif__table;
static int cnif__table_count;

bool cnif__registry_nifs(const cnif_module *m, bool worker, ErlNifFunc **funcs,
                         int *count)
{
    int n = (int)(m->nifs_end - m->nifs);

    if (!cnif__nif_list && !worker) {
        *funcs = m->nifs;
        *count = n;
        return true;
    }
    if (!cnif__table) {
        ErlNifFunc *table;
        for (cnif__nif_node *node = cnif__nif_list; node; node = node->next)
            n++;
        table = enif_alloc((size_t)(n + worker) * sizeof *table);
        if (!table)
            return false;
        n = (int)(m->nifs_end - m->nifs);
        if (n)
            memcpy(table, m->nifs, (size_t)n * sizeof *table);
        for (cnif__nif_node *node = cnif__nif_list; node; node = node->next)
            table[n++] = node->func;
        if (worker)
            table[n++] = cnif__worker_func;
        cnif__table = table;
        cnif__table_count = n;
    }
    *funcs = cnif__table;
    *count = cnif__table_count;
    return true;
}

/* The first {Name, Arity} of the list the Erlang side declares (the
** wrappers of -cnif_nifs or defnif, see cnif:load_info/4) that has no
** Name_nif/Arity in funcs: NULL if every one has, else why the load fails,
** in text. Without the check the module would load and the call raise
** {not_loaded, Module}, far from the cause. */
const char *cnif__registry_missing(ErlNifEnv *nif, ERL_NIF_TERM declared,
                                   const ErlNifFunc *funcs, int count,
                                   char *text, size_t size)
{
    ERL_NIF_TERM head;
    const ERL_NIF_TERM *pair;
    int arity, want;
    char name[256 + sizeof "_nif"];

    for (; enif_get_list_cell(nif, declared, &head, &declared);) {
        bool found = false;
        size_t n;
        if (!enif_get_tuple(nif, head, &arity, &pair) || arity != 2
            || enif_get_atom(nif, pair[0], name, 256, ERL_NIF_LATIN1) <= 0
            || !enif_get_int(nif, pair[1], &want))
            return "the declared NIFs are not a list of {Name, Arity}";
        n = strlen(name);
        for (int i = 0; i < count && !found; i++)
            found = funcs[i].arity == (unsigned)want
                    && strncmp(funcs[i].name, name, n) == 0
                    && strcmp(funcs[i].name + n, "_nif") == 0;
        if (!found) {
            snprintf(text, size,
                     "%s:%s/%d is declared (-cnif_nifs, defnif) but the "
                     "library does not export it: export it with CNIF_EXPORT, "
                     "or remove it from the list",
                     cnif__module_name(), name, want);
            return text;
        }
    }
    return NULL;
}

bool cnif__registry_complete(void)
{
    return !cnif__nif_list || cnif__table;
}

void cnif__registry_types_init(const cnif_module *m, cnif_env *env)
{
    for (const cnif__type_init *init = m->types; init < m->types_end; init++)
        (*init)(env);
    for (cnif__type_node *node = cnif__type_list; node; node = node->next)
        node->init(env);
}

__attribute__((destructor)) static void cnif__table_free(void)
{
    enif_free(cnif__table);
}
