/* Access to the multiboot v1 information the loader passed in EBX. */
#include "guest.h"

const struct multiboot_info *multiboot(void)
{
    if (mb_magic != MULTIBOOT_MAGIC_LOADER || !mb_info)
        return 0;
    return (const struct multiboot_info *)(u64)mb_info;
}

const char *multiboot_cmdline(void)
{
    const struct multiboot_info *mbi = multiboot();
    if (!mbi || !(mbi->flags & MBI_FLAG_CMDLINE) || !mbi->cmdline)
        return "";
    return (const char *)(u64)mbi->cmdline;
}

u64 multiboot_ram_top(void)
{
    const struct multiboot_info *mbi = multiboot();
    if (!mbi || !(mbi->flags & MBI_FLAG_MEM))
        return 0;
    return 0x100000ull + (u64)mbi->mem_upper * 1024;
}

/* Finds "key=value" as a whole word of the command line. */
u64 cmdline_u64(const char *key, u64 def)
{
    const char *p = multiboot_cmdline();
    size_t klen = strlen(key);
    while (*p) {
        while (*p == ' ')
            p++;
        if (!strncmp(p, key, klen) && p[klen] == '=') {
            p += klen + 1;
            u64 v = 0;
            unsigned base = 10;
            if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
                base = 16;
                p += 2;
            }
            for (;; p++) {
                unsigned d;
                if (*p >= '0' && *p <= '9')
                    d = *p - '0';
                else if (base == 16 && *p >= 'a' && *p <= 'f')
                    d = *p - 'a' + 10;
                else if (base == 16 && *p >= 'A' && *p <= 'F')
                    d = *p - 'A' + 10;
                else
                    break;
                v = v * base + d;
            }
            return v;
        }
        while (*p && *p != ' ')
            p++;
    }
    return def;
}
