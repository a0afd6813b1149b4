/* spare.c -- chunks of call memory kept between calls. erts's allocator
** takes about 55 ns to hand out a chunk and take it back, more than a
** short NIF's own work: a call that uses call memory takes a spare chunk
** instead, and its arena gives the chunk back when the call ends.
**
** The spares sit in a small table of the library's own, a thread's slot
** picked from its stack address: threads' stacks are apart, so each
** thread mostly finds the chunk it gave back. Not thread-local storage: a
** library whose thread-local variables cannot all go in the static TLS
** block fails to load, and the VM loads many libraries. Two threads that
** share a slot only share its chunk: a slot is taken and given with
** atomic exchanges. The last unload of the library frees every spare,
** whichever thread gave it, so a library loaded and unloaded again and
** again leaks nothing. */
#include "internal.h"
#include <pthread.h>
#include <stdatomic.h>

#define CNIF__SPARE_SLOTS 64

static _Atomic(void *) cnif__spares[CNIF__SPARE_SLOTS];

/* Whether an instance of the library is loaded. Loads and unloads take
** the lock; the calls between them take and give without it. */
static atomic_bool cnif__spare_opened;
static unsigned cnif__spare_instances;
static pthread_mutex_t cnif__spare_lock = PTHREAD_MUTEX_INITIALIZER;

void cnif__spare_open(void)
{
    pthread_mutex_lock(&cnif__spare_lock);
    if (cnif__spare_instances++ == 0)
        atomic_store(&cnif__spare_opened, true);
    pthread_mutex_unlock(&cnif__spare_lock);
}

/* The last unload frees every spare. One given back at the same time is
** freed once, here or by its giver, who checks again after giving
** (cnif__spare_give). */
void cnif__spare_close(void)
{
    pthread_mutex_lock(&cnif__spare_lock);
    if (--cnif__spare_instances == 0) {
        atomic_store(&cnif__spare_opened, false);
        for (int i = 0; i < CNIF__SPARE_SLOTS; i++) {
            void *chunk = atomic_exchange(&cnif__spares[i], NULL);
            if (chunk)
                enif_free(chunk);
        }
    }
    pthread_mutex_unlock(&cnif__spare_lock);
}

/* This thread's slot: its stack address in 64 KB steps, hashed. A call
** takes and gives back within a few KB of stack. */
static _Atomic(void *) *cnif__spare_slot(void)
{
    uintptr_t step = (uintptr_t)__builtin_frame_address(0) >> 16;
    return &cnif__spares[((uint64_t)step * UINT64_C(0x9E3779B97F4A7C15)) >> 58];
}

void *cnif__spare_take(void)
{
    _Atomic(void *) *slot = cnif__spare_slot();
    return atomic_load_explicit(slot, memory_order_relaxed)
               ? atomic_exchange(slot, NULL)
               : NULL;
}

bool cnif__spare_give(void *chunk)
{
    _Atomic(void *) *slot = cnif__spare_slot();

    /* A full slot: another thread's, or a nested guard's arena gave one
    ** back first. */
    if (!atomic_load(&cnif__spare_opened)
        || atomic_load_explicit(slot, memory_order_relaxed))
        return false;
    if ((chunk = atomic_exchange(slot, chunk)))
        enif_free(chunk); /* filled between the test and the exchange */
    /* A close that ran between the first test and the exchange has
    ** already walked the slots: the chunk is this thread's to free. */
    if (!atomic_load(&cnif__spare_opened)
        && (chunk = atomic_exchange(slot, NULL)))
        enif_free(chunk);
    return true;
}
