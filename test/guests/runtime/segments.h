/* GDT selectors of the guest runtime, shared by assembly and C. */
#ifndef GUEST_SEGMENTS_H
#define GUEST_SEGMENTS_H

#define SEL_CODE64   0x08  /* 64-bit code, DPL 0 */
#define SEL_DATA     0x10  /* flat 4 GiB data, DPL 0 */
#define SEL_CODE32   0x18  /* flat 32-bit code, DPL 0 */
#define SEL_UDATA    0x20  /* flat data, DPL 3 */
#define SEL_UCODE64  0x28  /* 64-bit code, DPL 3 */
#define SEL_CODE16   0x30  /* 16-bit code, base 0, limit 64 KiB (real-mode round trip) */
#define SEL_DATA16   0x38  /* 16-bit data, base 0, limit 64 KiB */
#define SEL_TSS      0x40  /* 64-bit TSS (16-byte descriptor, filled in C) */
#define SEL_NOTPRESENT 0x50 /* data descriptor with P=0 (for #NP tests) */
#define GDT_ENTRIES  11

#define MULTIBOOT_MAGIC_LOADER 0x2BADB002

/* Identity map built by entry.S: 4 GiB with 2 MiB pages. */
#define IDENTITY_MAP_BYTES 0x100000000ULL

#endif
