/* symbol.c -- naming the function an instruction is in, for the report of
** a fault. dladdr reads only the dynamic symbol table, and a cnif library
** exports nothing but nif_init: its own functions are all hidden from it.
** The object's full symbol table (.symtab, there unless the file was
** stripped) names them, so it is read from the file. This runs once a
** fault is back in its guard, never in the signal handler. On macOS the
** file is not read (a Mach-O reader is still to come): the object and the
** offset name the instruction, as they do for a stripped ELF object. */
#include "internal.h"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if !defined(__APPLE__)
typedef struct cnif__elf {
    const unsigned char *data;
    size_t size;
} cnif__elf;

/* count items of size bytes at offset, or NULL if they overrun the file. */
static const void *cnif__elf_at(const cnif__elf *elf, uint64_t offset,
                                uint64_t count, uint64_t size)
{
    if (offset > elf->size || (size && count > (elf->size - offset) / size))
        return NULL;
    return elf->data + offset;
}

/* The function in a symbol table section of type kind that holds the
** offset; its name into buf. */
static bool cnif__elf_lookup(const cnif__elf *elf, uint32_t kind,
                             uintptr_t offset, char *buf, size_t size)
{
    const ElfW(Ehdr) *header = (const void *)elf->data;
    const ElfW(Shdr) *sections = cnif__elf_at(
        elf, header->e_shoff, header->e_shnum, sizeof *sections);

    for (unsigned i = 0; sections && i < header->e_shnum; i++) {
        const ElfW(Shdr) *table = &sections[i];
        const ElfW(Shdr) *names;
        const ElfW(Sym) *symbols;
        uint64_t count;

        if (table->sh_type != kind || table->sh_link >= header->e_shnum)
            continue;
        names = &sections[table->sh_link];
        count = table->sh_size / sizeof *symbols;
        symbols = cnif__elf_at(elf, table->sh_offset, count, sizeof *symbols);
        if (!symbols || !cnif__elf_at(elf, names->sh_offset, names->sh_size, 1))
            continue;
        for (uint64_t j = 0; j < count; j++) {
            const ElfW(Sym) *s = &symbols[j];
            if ((s->st_info & 0xf) == STT_FUNC && s->st_shndx != SHN_UNDEF
                && offset >= s->st_value && offset - s->st_value < s->st_size
                && s->st_name < names->sh_size
                && memchr(elf->data + names->sh_offset + s->st_name, '\0',
                          names->sh_size - s->st_name)) {
                snprintf(buf, size, "%s+0x%lx",
                         (const char *)elf->data + names->sh_offset + s->st_name,
                         (unsigned long)(offset - s->st_value));
                return true;
            }
        }
    }
    return false;
}

/* The function of the object file at path that holds the instruction at
** pc, offset bytes into the object as mapped. */
static bool cnif__file_symbol(const char *path, uintptr_t pc, uintptr_t offset,
                              char *buf, size_t size)
{
    struct stat st;
    cnif__elf elf;
    const ElfW(Ehdr) *header;
    bool named = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return false;
    if (fstat(fd, &st) == 0 && (size_t)st.st_size >= sizeof *header) {
        elf.size = (size_t)st.st_size;
        elf.data = mmap(NULL, elf.size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (elf.data != MAP_FAILED) {
            header = (const void *)elf.data;
            if (memcmp(header->e_ident, ELFMAG, SELFMAG) == 0
                && header->e_shentsize == sizeof(ElfW(Shdr))) {
                if (header->e_type == ET_EXEC) /* absolute addresses */
                    offset = pc;
                named = cnif__elf_lookup(&elf, SHT_SYMTAB, offset, buf, size)
                        || cnif__elf_lookup(&elf, SHT_DYNSYM, offset, buf,
                                            size);
            }
            munmap((void *)elf.data, elf.size);
        }
    }
    close(fd);
    return named;
}
#else
static bool cnif__file_symbol(const char *path, uintptr_t pc, uintptr_t offset,
                              char *buf, size_t size)
{
    (void)path, (void)pc, (void)offset, (void)buf, (void)size;
    return false;
}
#endif

bool cnif__symbol_name(uintptr_t pc, char *buf, size_t size)
{
    Dl_info info;
    const char *slash;
    uintptr_t offset;

    if (!dladdr((void *)pc, &info) || !info.dli_fname || !info.dli_fname[0])
        return false;
    offset = pc - (uintptr_t)info.dli_fbase;
    if (!cnif__file_symbol(info.dli_fname, pc, offset, buf, size)) {
        /* stripped: the object and the offset, for addr2line */
        slash = strrchr(info.dli_fname, '/');
        snprintf(buf, size, "%s+0x%lx", slash ? slash + 1 : info.dli_fname,
                 (unsigned long)offset);
    }
    return true;
}
