/* ap_boot_prepare(): puts the AP trampoline in low memory with the runtime's GDT
 * and IDT, so every AP ends up in long mode with the same tables as the BSP. */
#include "ap_boot.h"

extern const u8 ap_trampoline[], ap_trampoline_end[], ap_tramp_gdt_desc[];
extern struct { u16 limit; u64 base; } __attribute__((packed)) gdt_desc;
extern void (*ap_entry)(unsigned);
extern struct { u16 limit; u64 base; } __attribute__((packed)) ap_idtr;

void ap_boot_prepare(void (*entry)(unsigned slot))
{
    u8 *dst = (u8 *)(u64)AP_TRAMPOLINE_BASE;
    u64 size = (u64)(ap_trampoline_end - ap_trampoline);
    memcpy(dst, ap_trampoline, size);
    /* The copy's GDT descriptor: 16-bit limit and 32-bit base of the runtime GDT (below 4 GiB). */
    u8 *desc = dst + (ap_tramp_gdt_desc - ap_trampoline);
    memcpy(desc, &gdt_desc.limit, 2);
    u32 base32 = (u32)gdt_desc.base;
    memcpy(desc + 2, &base32, 4);
    asm volatile("sidt %0" : "=m"(ap_idtr));
    ap_entry = entry;
    asm volatile("" ::: "memory");
}
