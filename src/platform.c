/* platform.c -- what the fault barrier and its reports ask of the
** operating system, answered for Linux (glibc, ELF) and for macOS
** (Mach-O): where a signal came from, the instruction and stack pointer it
** interrupted, the calling thread's stack, the program's own code (erts),
** and a thread's name. The rest of the library is POSIX.
**
** The macOS side is compiled and linked for x86-64 and arm64 (make
** build-macos) but has not run: no macOS machine tests it. */
#include "internal.h"
#include <signal.h>
#include <unistd.h>

/* The register state a signal handler's context points to. macOS's arm64
** may hide the PC and the stack pointer behind pointer authentication:
** the system's accessors read them either way. */
void cnif__context_read(const void *context, uintptr_t *pc, uintptr_t *sp)
{
    const ucontext_t *uc = context;
#if defined(__APPLE__) && defined(__x86_64__)
    *pc = (uintptr_t)uc->uc_mcontext->__ss.__rip;
    *sp = (uintptr_t)uc->uc_mcontext->__ss.__rsp;
#elif defined(__APPLE__) && defined(__aarch64__)
    *pc = (uintptr_t)__darwin_arm_thread_state64_get_pc(uc->uc_mcontext->__ss);
    *sp = (uintptr_t)__darwin_arm_thread_state64_get_sp(uc->uc_mcontext->__ss);
#elif defined(__linux__) && defined(__x86_64__)
    *pc = (uintptr_t)uc->uc_mcontext.gregs[16]; /* REG_RIP */
    *sp = (uintptr_t)uc->uc_mcontext.gregs[15]; /* REG_RSP */
#elif defined(__linux__) && defined(__aarch64__)
    *pc = (uintptr_t)uc->uc_mcontext.pc;
    *sp = (uintptr_t)uc->uc_mcontext.sp;
#else
    (void)uc;
    *pc = *sp = 0;
#endif
}

#if defined(__APPLE__)
/* A fault has a small positive code of its kind (SEGV_MAPERR, ...); a
** signal that a call sent has SI_USER or one above it, or 0 from kill on
** some releases. */
bool cnif__signal_sent(const siginfo_t *info)
{
    return info->si_code == 0 || info->si_code >= SI_USER;
}

/* abort and raise send with pthread_kill, which names no thread: the
** process is all that can be checked. */
bool cnif__signal_raised(const siginfo_t *info)
{
    return cnif__signal_sent(info) && info->si_pid == getpid();
}

bool cnif__signal_addressed(const siginfo_t *info)
{
    return !cnif__signal_sent(info);
}

/* pthread_get_stackaddr_np gives the top of the stack, which grows down. */
uintptr_t cnif__stack_low(void)
{
    pthread_t self = pthread_self();
    return (uintptr_t)pthread_get_stackaddr_np(self)
           - (uintptr_t)pthread_get_stacksize_np(self);
}

/* The program's __TEXT segment, where the slide put it: image 0 is the
** executable, erts. */
int cnif__program_code(cnif__range *ranges, int max)
{
    unsigned long size = 0;
    const uint8_t *text;

    if (max < 1)
        return 0;
    text = getsegmentdata((const void *)_dyld_get_image_header(0), "__TEXT", &size);
    if (!text || !size)
        return 0;
    ranges[0].start = (uintptr_t)text;
    ranges[0].end = (uintptr_t)text + size;
    return 1;
}

/* macOS names the calling thread only: a thread started by another keeps
** the name it has. */
void cnif__thread_name(pthread_t thread, const char *name)
{
    if (pthread_equal(thread, pthread_self()))
        pthread_setname_np(name);
}

#else /* Linux, glibc */

#if defined(__GLIBC__) && !defined(__USE_GNU)
/* GNU extensions, declared by glibc only under _GNU_SOURCE (see
** internal.h). The leading members of dl_phdr_info, which every glibc
** has had. */
struct dl_phdr_info {
    ElfW(Addr) dlpi_addr;
    const char *dlpi_name;
    const ElfW(Phdr) *dlpi_phdr;
    ElfW(Half) dlpi_phnum;
};
CNIF__LIBC int dl_iterate_phdr(int (*callback)(struct dl_phdr_info *info,
                                               size_t size, void *data),
                               void *data);
CNIF__LIBC int pthread_setname_np(pthread_t thread, const char *name);
CNIF__LIBC int pthread_getattr_np(pthread_t thread, pthread_attr_t *attr);
#endif

/* The kernel's codes are positive; kill, sigqueue, tgkill and the like
** give 0 or below. */
bool cnif__signal_sent(const siginfo_t *info)
{
    return info->si_code <= 0;
}

/* abort and raise send with tgkill, to the calling thread. */
bool cnif__signal_raised(const siginfo_t *info)
{
    return info->si_code == SI_TKILL && info->si_pid == getpid();
}

/* SI_KERNEL (a general protection fault) tells no address. */
bool cnif__signal_addressed(const siginfo_t *info)
{
    return !cnif__signal_sent(info) && info->si_code != SI_KERNEL;
}

uintptr_t cnif__stack_low(void)
{
    pthread_attr_t attr;
    void *low = NULL;
    size_t size;

    if (pthread_getattr_np(pthread_self(), &attr) != 0)
        return 0;
    if (pthread_attr_getstack(&attr, &low, &size) != 0)
        low = NULL;
    pthread_attr_destroy(&attr);
    return (uintptr_t)low;
}

typedef struct cnif__code_found {
    cnif__range *ranges;
    int max, count;
} cnif__code_found;

static int cnif__program_segments(struct dl_phdr_info *info, size_t size,
                                  void *data)
{
    cnif__code_found *found = data;
    (void)size;
    for (int i = 0; i < info->dlpi_phnum && found->count < found->max; i++) {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        if (segment->p_type == PT_LOAD && (segment->p_flags & PF_X)) {
            cnif__range *range = &found->ranges[found->count++];
            range->start = info->dlpi_addr + segment->p_vaddr;
            range->end = range->start + segment->p_memsz;
        }
    }
    return 1; /* the first object is the program, erts: stop there */
}

/* The executable segments of the program. */
int cnif__program_code(cnif__range *ranges, int max)
{
    cnif__code_found found = {ranges, max, 0};
    dl_iterate_phdr(cnif__program_segments, &found);
    return found.count;
}

void cnif__thread_name(pthread_t thread, const char *name)
{
    pthread_setname_np(thread, name);
}

#endif
