/* iso_pool.c -- iso_nif.c as the library of iso_pool, which has four
** workers: for crashes side by side, and a thousand in a row. */
#define ISO_MODULE iso_pool
#include "iso_nif.c"
