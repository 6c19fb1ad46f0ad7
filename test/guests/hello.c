/* hello: the smallest guest. Greets, echoes what the loader told us
 * (command line, memory, modules) and exits 0. */
#include "guest.h"

/* The runtime's printf is what every other guest reports through. */
static void printf_selftest(void)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%d|%u|%x|%X|%lx|%s|%c|%5d|%-4s|%08x|%ld", -42, 42u, 0xbeefu, 0xbeefu,
             (u64)0x123456789abull, "str", 'c', 7, "ab", 0x1f, (long)-5);
    report(!strcmp(buf, "-42|42|beef|BEEF|123456789ab|str|c|    7|ab  |0000001f|-5"), "printf formats: %s", buf);
    snprintf(buf, sizeof(buf), "%p", (void *)0x1000);
    report(!strcmp(buf, "0x0000000000001000"), "printf %%p: %s", buf);
    int n = snprintf(buf, 4, "abcdef");
    report(n == 6 && !strcmp(buf, "abc"), "snprintf truncates and returns the full length");
}

int main(void)
{
    printf("Hello from tsvisor guest\n");
    const struct multiboot_info *mbi = multiboot();
    report(mbi != 0, "multiboot magic 0x%x", mb_magic);
    if (!mbi)
        return 1;
    printf("cmdline: %s\n", multiboot_cmdline());
    report((mbi->flags & MBI_FLAG_MEM) != 0, "multiboot memory info present");
    printf("mem_lower: %u KiB\n", mbi->mem_lower);
    printf("mem_upper: %u KiB\n", mbi->mem_upper);
    report(mbi->mem_lower > 0 && mbi->mem_lower <= 640, "mem_lower within conventional memory");
    report(mbi->mem_upper >= 8 * 1024, "mem_upper at least 8 MiB");

    if (mbi->flags & MBI_FLAG_MODS) {
        printf("modules: %u\n", mbi->mods_count);
        const struct multiboot_module *m = (const void *)(u64)mbi->mods_addr;
        for (u32 i = 0; i < mbi->mods_count; i++) {
            u32 size = m[i].end - m[i].start;
            const u8 *data = (const u8 *)(u64)m[i].start;
            u32 sum = 0;
            for (u32 j = 0; j < size; j++)
                sum = sum * 31 + data[j];
            report((m[i].start & 0xFFF) == 0, "module %u page-aligned at 0x%x", i, m[i].start);
            printf("module[%u]: size %u checksum 0x%08x cmdline '%s'\n", i, size, sum,
                   m[i].string ? (const char *)(u64)m[i].string : "");
            char head[33];
            u32 n = size < 32 ? size : 32;
            for (u32 j = 0; j < n; j++)
                head[j] = data[j] >= 0x20 && data[j] < 0x7F ? (char)data[j] : '.';
            head[n] = 0;
            printf("module[%u] head: %s\n", i, head);
        }
    } else {
        printf("modules: 0\n");
    }
    printf_selftest();
    return 0;
}
