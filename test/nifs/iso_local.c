/* iso_local.c -- iso_nif.c as the library of iso_local, which is not
** isolated unless a test isolates it at run time (cnif:isolate/2). */
#define ISO_MODULE iso_local
#include "iso_nif.c"
