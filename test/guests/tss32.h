/* Results of the 32-bit task-switch scenarios (tss32.c, run in protected
 * mode before long mode) for the 64-bit checks in tss.c. Only u32 fields, so
 * the i386 and x86-64 compilers agree on the layout. */
#ifndef GUEST_TSS32_H
#define GUEST_TSS32_H

#include <stdint.h>

/* One entry of a fault-handler task: the exception it handled and what the
 * interrupted (linked) task looked like in its TSS. */
struct tss_fault {
    uint32_t vector, error, link, esp, saved_eip, saved_eflags;
};

struct tss_results {
    uint32_t ran;
    /* CALL to a TSS, then IRET back */
    uint32_t a_count, a_last_eflags, a_eax, a_esi, a_tr, a_eflags, a_link, a_main_busy, a_self_busy, a_cr0, a_cr3, a_dr7;
    uint32_t call_ebx_after, call_a_busy_after, call_main_busy_after, call_main_eflags, call_a_saved_eip_ok;
    uint32_t call_cr0_ts, call_cr3_after, call_cr3_expected, a_cr3_expected;
    /* JMP to a TSS and back */
    uint32_t b_count, b_eflags, b_link, b_main_busy, b_self_busy;
    uint32_t jmp_main_busy_after, jmp_b_busy_after, jmp_b_saved_eip_ok;
    /* task gates: GDT gate (CALL), IDT gate (INT n) */
    uint32_t gate_call_count, gate_call_link, int_count, int_link, int_eflags;
    /* faults handled by fault-handler tasks (IDT task gates for #TS, #NP, #SS, #GP) */
    uint32_t nfaults;
    struct tss_fault fault[12];
    /* the task with bad selectors, once fixed */
    uint32_t bad_count, bad_ldtr, bad_fs, bad_fs_read;
    /* 16-bit TSS */
    uint32_t c_count, c_eax, c_tr, c_eflags, c_link;
    /* T bit */
    uint32_t db_count, db_dr6, db_eip, db_expected_eip;
    /* the state after the last switch back */
    uint32_t final_tr, final_eflags;
};

extern struct tss_results tss_results;

#endif
