/* Results of mode_probe.S: work done in 32-bit protected mode and in real
 * mode before the runtime enters long mode. Layout shared with the assembly. */
#ifndef GUEST_MODE_PROBE_H
#define GUEST_MODE_PROBE_H

#define RM_BASE      0x7000   /* the real-mode code is copied here (CS = 0x0700) */
#define RM_STACK_TOP 0x7000   /* real-mode stack grows down from here */
#define RM_SCRATCH   0x8010   /* written as 0x0800:0x0010 to check segment arithmetic */

#ifndef __ASSEMBLER__
#include <stdint.h>


struct mode_results {
    /* 32-bit protected mode */
    uint32_t pm32_ran;
    uint32_t pm32_mul_lo, pm32_mul_hi;     /* 0x12345678 * 0x10 */
    uint32_t pm32_push_delta;              /* ESP change of one PUSH in 32-bit code */
    uint32_t pm32_de_count;                /* #DE taken through the 32-bit IDT */
    uint32_t pm32_de_eip, pm32_de_expected_eip, pm32_de_cs;
    /* real mode (copied out of the low-memory blob) */
    uint16_t rm_ran, rm_cs;
    uint16_t rm_seg_value;                 /* read back through segment 0 */
    uint16_t rm_add_ax, rm_add_cf;         /* 0xFFFF + 1 in 16 bits */
    uint16_t rm_int_count;                 /* INT 0x30 through the IVT */
    uint16_t rm_de_count, rm_de_ip, rm_de_expected_ip;
    uint16_t rm_push_delta;                /* SP change of one PUSH in real mode */
} __attribute__((packed));

extern struct mode_results mode_results;
#endif

#endif
