/* twin_b.c -- the second twin: twin_a.c built as the library of module
** twin_b. See twin_a.c for why. */
#define TWIN twin_b
#include "twin_a.c"
