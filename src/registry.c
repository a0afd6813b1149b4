/* registry.c -- the NIFs and defined types of a library, as erts and the
** load are given them. On ELF, the linker gathers them into the sections
** cnif_nifs and cnif_types, which CNIF_MODULE hands over as they are. With
** CNIF_PORTABLE_REGISTRATION (cnif.h: where the object format is not ELF,
** or forced), a constructor per NIF and per type adds it to a list here
** before the VM calls nif_init, in the order they are defined (type setup
** relies on it, as the sections keep it too). A worker of an isolated
** module adds a NIF of its own (worker.c). */
#include "internal.h"
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
