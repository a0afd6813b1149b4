/* iso_remote.c -- iso_nif.c as the library of the module iso_remote
** (test/iso_remote.erl), whose workers run on other nodes. */
#define ISO_MODULE iso_remote
#include "iso_nif.c"
