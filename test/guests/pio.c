/*
 * pio: port I/O in all its forms — IN/OUT of bytes, words and dwords with an
 * immediate port and with DX; REP OUTS/INS of each size, forwards and with
 * DF=1 — against pc-testdev's 4-byte scratch register at 0xe0 and fw_cfg's
 * data port; port 0x80; an unclaimed port; and the fw_cfg interface itself.
 * Needs: -device pc-testdev (tsvisor's default PC machine has it).
 */
#include "guest.h"

#define TESTDEV_PORT 0xE0
#define FW_CFG_SEL   0x510
#define FW_CFG_DATA  0x511
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_ID        0x0001
#define FW_CFG_RAM_SIZE  0x0003
#define FW_CFG_NB_CPUS   0x0005
#define UNCLAIMED_PORT   0x2F0     /* reserved in the PC map, no device */

static void immediate_and_dx(void)
{
    u32 v;
    asm volatile("outl %%eax, $0xe0" :: "a"(0x44332211u));
    asm volatile("inl $0xe0, %%eax" : "=a"(v));
    report(v == 0x44332211u, "OUT/IN dword with an immediate port (0x%x)", v);

    u8 b;
    asm volatile("inb $0xe1, %%al" : "=a"(b));
    report(b == 0x22, "IN byte from offset 1 of the scratch register (0x%x)", b);
    u16 w;
    asm volatile("inw $0xe2, %%ax" : "=a"(w));
    report(w == 0x4433, "IN word from offset 2 (0x%x)", w);

    asm volatile("outb %%al, %%dx" :: "a"((u8)0xAA), "d"((u16)(TESTDEV_PORT + 1)));
    asm volatile("inl %%dx, %%eax" : "=a"(v) : "d"((u16)TESTDEV_PORT));
    report(v == 0x4433AA11u, "OUT byte with DX merges into the register (0x%x)", v);

    asm volatile("outw %%ax, %%dx" :: "a"((u16)0xBEEF), "d"((u16)(TESTDEV_PORT + 2)));
    asm volatile("inw %%dx, %%ax" : "=a"(w) : "d"((u16)(TESTDEV_PORT + 2)));
    report(w == 0xBEEF, "OUT/IN word with DX (0x%x)", w);

    asm volatile("outb %%al, $0xe0" :: "a"((u8)0x5C));
    asm volatile("inb %%dx, %%al" : "=a"(b) : "d"((u16)TESTDEV_PORT));
    report(b == 0x5C, "OUT byte immediate, IN byte DX (0x%x)", b);

    /* IN only writes the low part of RAX for byte and word sizes. */
    u64 rax = 0x1122334455667788ull;
    asm volatile("inb $0xe0, %%al" : "+a"(rax));
    report(rax == 0x112233445566775Cull, "IN byte leaves RAX[63:8] alone");
    rax = 0x1122334455667788ull;
    asm volatile("inl $0xe0, %%eax" : "+a"(rax));
    report((rax >> 32) == 0, "IN dword zero-extends into RAX");
}

static void string_io(void)
{
    /* The scratch register keeps the last value written, so a string OUT
     * leaves the last element there; a string IN reads it repeatedly. */
    static const u8 bytes[4] = { 1, 2, 3, 4 };
    const void *src = bytes;
    u64 cnt = 4;
    u32 v;
    asm volatile("cld; rep outsb" : "+S"(src), "+c"(cnt) : "d"((u16)TESTDEV_PORT) : "memory");
    v = inb(TESTDEV_PORT);
    report(v == 4 && cnt == 0 && src == bytes + 4, "REP OUTSB: 4 bytes, RSI/RCX advanced, last byte latched");

    static const u16 words[3] = { 0x1111, 0x2222, 0x3333 };
    src = words;
    cnt = 3;
    asm volatile("rep outsw" : "+S"(src), "+c"(cnt) : "d"((u16)TESTDEV_PORT) : "memory");
    report(inw(TESTDEV_PORT) == 0x3333 && src == words + 3, "REP OUTSW");

    static const u32 dwords[2] = { 0xA1A2A3A4, 0xB1B2B3B4 };
    src = dwords;
    cnt = 2;
    asm volatile("rep outsl" : "+S"(src), "+c"(cnt) : "d"((u16)TESTDEV_PORT) : "memory");
    report(inl(TESTDEV_PORT) == 0xB1B2B3B4 && src == dwords + 2, "REP OUTSD");

    u32 in32[4] = { 0, 0, 0, 0xDEAD };
    void *dst = in32;
    cnt = 3;
    asm volatile("rep insl" : "+D"(dst), "+c"(cnt) : "d"((u16)TESTDEV_PORT) : "memory");
    report(in32[0] == 0xB1B2B3B4 && in32[2] == 0xB1B2B3B4 && in32[3] == 0xDEAD && dst == in32 + 3,
           "REP INSD reads 3 dwords and stops");

    u16 in16[3] = { 0, 0, 0 };
    dst = in16;
    cnt = 2;
    asm volatile("rep insw" : "+D"(dst), "+c"(cnt) : "d"((u16)TESTDEV_PORT) : "memory");
    report(in16[0] == 0xB3B4 && in16[1] == 0xB3B4 && in16[2] == 0 && dst == in16 + 2, "REP INSW");

    u8 in8[6] = { 0 };
    dst = in8;
    cnt = 5;
    asm volatile("rep insb" : "+D"(dst), "+c"(cnt) : "d"((u16)TESTDEV_PORT) : "memory");
    report(in8[0] == 0xB4 && in8[4] == 0xB4 && in8[5] == 0 && dst == in8 + 5, "REP INSB");

    /* DF=1: OUTS walks down; the scratch register ends with the lowest element. */
    src = &bytes[3];
    cnt = 4;
    asm volatile("std; rep outsb; cld" : "+S"(src), "+c"(cnt) : "d"((u16)TESTDEV_PORT) : "memory");
    report(inb(TESTDEV_PORT) == 1 && (u64)src == (u64)bytes - 1, "REP OUTSB with DF=1 walks down");

    src = &dwords[1];
    cnt = 2;
    asm volatile("std; rep outsl; cld" : "+S"(src), "+c"(cnt) : "d"((u16)TESTDEV_PORT) : "memory");
    report(inl(TESTDEV_PORT) == 0xA1A2A3A4 && (u64)src == (u64)dwords - 4, "REP OUTSD with DF=1");

    /* A count of zero does nothing. */
    outl(TESTDEV_PORT, 0x12345678);
    src = dwords;
    cnt = 0;
    asm volatile("rep outsl" : "+S"(src), "+c"(cnt) : "d"((u16)TESTDEV_PORT) : "memory");
    report(inl(TESTDEV_PORT) == 0x12345678 && src == dwords, "REP OUTSD with RCX=0 does nothing");
}

static void fw_cfg_select(u16 key)
{
    outw(FW_CFG_SEL, key);
}

static void fw_cfg_read(u16 key, void *buf, u64 len)
{
    fw_cfg_select(key);
    void *dst = buf;
    asm volatile("cld; rep insb" : "+D"(dst), "+c"(len) : "d"((u16)FW_CFG_DATA) : "memory");
}

static void fw_cfg(void)
{
    char sig[5] = { 0 };
    fw_cfg_select(FW_CFG_SIGNATURE);
    for (int i = 0; i < 4; i++)
        sig[i] = (char)inb(FW_CFG_DATA);
    report(!memcmp(sig, "QEMU", 4), "fw_cfg signature \"%s\" (byte reads)", sig);

    /* String IN with DF=1 over a byte stream fills the buffer backwards. */
    char rev[6] = { '<', 0, 0, 0, 0, '>' };
    fw_cfg_select(FW_CFG_SIGNATURE);
    void *dst = &rev[4];
    u64 cnt = 4;
    asm volatile("std; rep insb; cld" : "+D"(dst), "+c"(cnt) : "d"((u16)FW_CFG_DATA) : "memory");
    report(!memcmp(rev, "<UMEQ>", 6) && dst == &rev[0], "REP INSB with DF=1 stores the stream backwards");

    u32 id = 0;
    fw_cfg_read(FW_CFG_ID, &id, 4);
    report_info("fw_cfg ID 0x%x", id);

    u16 ncpu = 0;
    fw_cfg_read(FW_CFG_NB_CPUS, &ncpu, 2);
    report(ncpu == 1, "fw_cfg NB_CPUS == 1 (%u)", ncpu);

    u64 ram = 0;
    fw_cfg_read(FW_CFG_RAM_SIZE, &ram, 8);
    printf("fw_cfg RAM_SIZE: %lu MiB\n", ram >> 20);
    u64 want_mb = cmdline_u64("ram_mb", 0);
    if (want_mb)
        report(ram == want_mb << 20, "fw_cfg RAM_SIZE equals -m %lu", want_mb);
    /* Multiboot's mem_upper stops below RAM's end (loaders reserve a little). */
    u64 top = multiboot_ram_top();
    report(top && ram >= top && ram - top < (1u << 20), "fw_cfg RAM_SIZE agrees with multiboot mem_upper (top 0x%lx)", top);

    /* Re-selecting restarts the item. */
    fw_cfg_select(FW_CFG_SIGNATURE);
    inb(FW_CFG_DATA);
    fw_cfg_select(FW_CFG_SIGNATURE);
    report(inb(FW_CFG_DATA) == 'Q', "re-selecting an fw_cfg item restarts at offset 0");
}

int main(void)
{
    immediate_and_dx();
    string_io();

    outb(0x80, 0xA5);
    u8 p80 = inb(0x80);
    /* The POST-code port has no architected read; boards either latch the last
     * code or float the bus. */
    report(p80 == 0xA5 || p80 == 0xFF, "port 0x80 write accepted, read gives the code or 0xff");
    report_info("port 0x80 read back 0x%x (%s)", p80, p80 == 0xA5 ? "latched" : "not latched");

    u8 b = inb(UNCLAIMED_PORT);
    u16 w = inw(UNCLAIMED_PORT);
    u32 l = inl(UNCLAIMED_PORT);
    report(b == 0xFF && w == 0xFFFF && l == 0xFFFFFFFFu, "unclaimed port 0x%x reads all-ones (0x%x 0x%x 0x%x)",
           UNCLAIMED_PORT, b, w, l);
    outl(UNCLAIMED_PORT, 0);   /* writes to nowhere are dropped */

    fw_cfg();
    return 0;
}
