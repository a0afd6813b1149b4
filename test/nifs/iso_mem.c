/* iso_mem.c -- iso_nif.c as the library of iso_mem, whose one worker has
** a memory cap. */
#define ISO_MODULE iso_mem
#include "iso_nif.c"
