/* res_dyncall.h -- the call data res_caller.c hands, through
** cnif_resource_call, to the .dyncall of res_nif.c's counter: the two
** libraries' whole interface. */
#ifndef RES_DYNCALL_H
#define RES_DYNCALL_H
#include <stdint.h>

typedef struct res_dyncall_args {
    int64_t add;    /* in: added to the counter's value */
    int64_t result; /* out: the value after adding; untouched on failure */
} res_dyncall_args;
#endif
