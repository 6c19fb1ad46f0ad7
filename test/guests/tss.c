/*
 * tss: 32-bit hardware task switches (Intel SDM vol. 3, ch. 7). The
 * scenarios run in 32-bit protected mode before long mode (tss32.c); this
 * file checks what they recorded — busy bits, previous-task links, NT, CR0.TS,
 * CR3/LDTR/register loads, error codes pushed on the handler task's stack,
 * faults before and after the commit point, a 16-bit TSS, the T bit — and
 * then that IA-32e mode has no task switches (#GP).
 */
#include "guest.h"
#include "tss32.h"

#define NT (1u << 14)
#define RF (1u << 16)

extern const char task_bad_entry[], gp_insn[], busy_call[], short_call[], np_call[];
extern u8 stack_fault[4][4096];
#define ADDR32(sym) ((u32)(u64)(sym))

/* qemu_eip: QEMU TCG raises faults of the new task's segment loads before the switch completes */
static void check_fault(unsigned k, const char *what, u32 vector, u32 error, u32 link, u32 eip, int qemu_differs)
{
    const struct tss_fault *f = &tss_results.fault[k];
    int ok = k < tss_results.nfaults && f->vector == vector && f->error == error && f->link == link && f->saved_eip == eip;
    report_sdm(ok, qemu_differs,
           "%s: vector %u error 0x%x from task 0x%x at %s (got vector %u error 0x%x link 0x%x)", what, vector, error, link,
           f->saved_eip == eip ? "the expected EIP" : "a WRONG EIP", f->vector, f->error, f->link);
}

static void protected_mode_results(void)
{
    const struct tss_results *r = &tss_results;
    report(r->ran == 1, "the 32-bit task-switch scenarios ran");

    /* CALL to a TSS and IRET back */
    report(r->a_eax == 0x1111a && r->a_esi == 0x5151, "CALL: the new task's registers come from its TSS (EAX 0x%x ESI 0x%x)", r->a_eax,
           r->a_esi);
    report(r->a_tr == 0x20, "CALL: TR is the new TSS (0x%x)", r->a_tr);
    report((r->a_eflags & NT) != 0, "CALL: the new task runs with EFLAGS.NT (0x%x)", r->a_eflags);
    report(r->a_link == 0x18, "CALL: previous-task link is the caller's TSS (0x%x)", r->a_link);
    report(r->a_main_busy && r->a_self_busy, "CALL: both TSS descriptors are busy (caller %u, new %u)", r->a_main_busy, r->a_self_busy);
    report((r->a_cr0 & 8) != 0, "CALL: CR0.TS is set by the switch");
    report(r->a_cr3 == r->a_cr3_expected, "CALL: CR3 comes from the new TSS (%s)", r->a_cr3 == r->a_cr3_expected ? "ok" : "WRONG");
    report(r->call_cr3_after == r->call_cr3_expected, "IRET back: CR3 comes from the caller's TSS (%s)",
           r->call_cr3_after == r->call_cr3_expected ? "ok" : "WRONG");
    report(r->a_dr7 == 0x408, "CALL: the switch clears DR7.L0, keeps DR7.G1 (DR7 0x%x)", r->a_dr7);
    report(r->call_ebx_after == 0xabcd, "IRET back: the caller's registers are restored from its TSS (EBX 0x%x)", r->call_ebx_after);
    report(!r->call_a_busy_after && r->call_main_busy_after, "IRET back: the returning task is no longer busy, the caller still is");
    report(!(r->call_main_eflags & NT), "IRET back: the caller runs without NT (0x%x)", r->call_main_eflags);
    report(r->call_a_saved_eip_ok, "IRET back: the returning task's EIP (after its IRET) is saved in its TSS");
    report(r->call_cr0_ts, "back in the caller: CR0.TS is set");
    report(r->a_count == 5, "the task resumes after its IRET on each later switch (%u entries)", r->a_count);

    /* JMP */
    report(r->b_count == 1 && !(r->b_eflags & NT), "JMP: the new task runs without NT (0x%x)", r->b_eflags);
    report(r->b_link == 0x1234, "JMP: the previous-task link is left alone (0x%x)", r->b_link);
    report(!r->b_main_busy && r->b_self_busy, "JMP: the old TSS is no longer busy, the new one is (old %u, new %u)", r->b_main_busy,
           r->b_self_busy);
    report(r->jmp_main_busy_after && !r->jmp_b_busy_after && r->jmp_b_saved_eip_ok,
           "JMP back: busy bits follow, the task's EIP after its JMP is saved");

    /* task gates */
    report(r->gate_call_count == 1 && r->gate_call_link == 0x18, "CALL through a GDT task gate switches to the gate's TSS (link 0x%x)",
           r->gate_call_link);
    report(r->int_count == 1 && r->int_link == 0x18 && (r->int_eflags & NT),
           "INT n through an IDT task gate: nested task, link to the interrupted one (link 0x%x)", r->int_link);

    /* faults */
    report(r->nfaults == 8, "8 faults reached the handler tasks (%u)", r->nfaults);
    check_fault(0, "#GP in a task, through a task gate", 13, 0xf8, 0x18, ADDR32(gp_insn), 0);
    report(r->fault[0].esp == ADDR32(&stack_fault[3][4096]) - 4, "#GP through a task gate: the error code is pushed on the handler task's stack");
    /* QEMU TCG does not set RF for faults */
    report_sdm((r->fault[0].saved_eflags & RF) != 0, 1, "#GP through a task gate: the faulting task's saved EFLAGS has RF (0x%x)",
               r->fault[0].saved_eflags);
    check_fault(1, "CALL to a busy TSS", 13, 0x18, 0x18, ADDR32(busy_call), 0);
    check_fault(2, "TSS limit below 0x67", 10, 0x60, 0x18, ADDR32(short_call), 0);
    check_fault(3, "TSS not present", 11, 0x68, 0x18, ADDR32(np_call), 0);
    check_fault(4, "invalid LDT in the new TSS (new task's context)", 10, 0x10, 0x58, (u32)(u64)task_bad_entry, 1);
    check_fault(5, "CS RPL above its DPL in the new TSS", 10, 0x08, 0x58, (u32)(u64)task_bad_entry, 1);
    check_fault(6, "SS not present in the new TSS", 12, 0x50, 0x58, (u32)(u64)task_bad_entry, 1);
    check_fault(7, "DS not present in the new TSS", 11, 0x50, 0x58, (u32)(u64)task_bad_entry, 1);
    report_sdm(r->bad_count == 5, 1, "the faulting task runs once its TSS is fixed (%u runs)", r->bad_count);
    report(r->bad_ldtr == 0x48 && r->bad_fs == 0x0c && r->bad_fs_read == 1,
           "LDTR from the TSS, FS from that LDT (LDTR 0x%x FS 0x%x read %u)", r->bad_ldtr, r->bad_fs, r->bad_fs_read);

    /* 16-bit TSS */
    report(r->c_count == 1 && (r->c_eax & 0xffff) == 0x2222 && r->c_tr == 0x38,
           "16-bit TSS: registers and TR (runs %u AX 0x%x TR 0x%x)", r->c_count, r->c_eax & 0xffff, r->c_tr);
    report((r->c_eflags & NT) && r->c_link == 0x18, "16-bit TSS: NT and the previous-task link (link 0x%x)", r->c_link);

    /* T bit */
    /* QEMU TCG ignores the T bit */
    report_sdm(r->db_count == 1 && r->db_eip == r->db_expected_eip && (r->db_dr6 & 0x8000), r->db_count == 0,
           "TSS T bit: #DB with DR6.BT before the new task's first instruction (count %u, DR6 0x%x)", r->db_count, r->db_dr6);
    /* (under QEMU TCG the post-commit faults above leave NT set here) */
    report_sdm(r->final_tr == 0x18 && !(r->final_eflags & NT), 1, "back in the first task at the end (TR 0x%x EFLAGS 0x%x)", r->final_tr,
           r->final_eflags);
}

/* ---- IA-32e mode ---- */

extern u64 gdt[];

static void long_mode(void)
{
    /* slot 0x50 as an available TSS descriptor: far CALL/JMP to it is #GP(selector) */
    static u8 tss_mem[0x68];
    u64 saved = gdt[0x50 / 8];
    u64 base = (u64)tss_mem;
    gdt[0x50 / 8] = 0x67 | ((base & 0xffffff) << 16) | (0x89ull << 40) | (((base >> 24) & 0xff) << 56);
    struct { u32 off; u16 sel; } __attribute__((packed)) ptr = { 0, 0x50 };   /* m16:32 */
    catch_begin();
    asm volatile("1: lcall *%0\n2:\n\t" EX_FIXUP("1b", "2b") :: "m"(ptr) : "memory");
    report(caught_vector() == 13 && caught_err == 0x50, "64-bit mode: far CALL to a TSS is #GP(selector) (vector %d error 0x%lx)",
           caught_vector(), caught_err);
    catch_begin();
    asm volatile("1: ljmp *%0\n2:\n\t" EX_FIXUP("1b", "2b") :: "m"(ptr) : "memory");
    report(caught_vector() == 13 && caught_err == 0x50, "64-bit mode: far JMP to a TSS is #GP(selector) (vector %d error 0x%lx)",
           caught_vector(), caught_err);
    gdt[0x50 / 8] = saved;

    /* IRET with NT in IA-32e mode: #GP(0), nothing popped */
    catch_begin();
    u64 rsp_before, rsp_after;
    asm volatile("mov %%rsp, %0\n\t"
                 "pushfq\n\torq $0x4000, (%%rsp)\n\tpopfq\n\t"
                 "1: iretq\n2:\n\t"
                 "pushfq\n\tandq $~0x4000, (%%rsp)\n\tpopfq\n\t"
                 "mov %%rsp, %1\n\t" EX_FIXUP("1b", "2b")
                 : "=&r"(rsp_before), "=&r"(rsp_after) :: "memory", "cc");
    report(caught_vector() == 13 && caught_err == 0 && rsp_before == rsp_after,
           "64-bit mode: IRET with NT is #GP(0) (vector %d error 0x%lx)", caught_vector(), caught_err);
}

int main(void)
{
    protected_mode_results();
    long_mode();
    return 0;
}
