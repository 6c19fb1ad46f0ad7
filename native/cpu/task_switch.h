// Hardware task switching (Intel SDM vol. 3, ch. 7): far JMP/CALL to a TSS or
// a task gate, INT n / exceptions / interrupts through an IDT task gate, and
// IRET with EFLAGS.NT. Protected mode only; in IA-32e mode the callers give
// #GP as the architecture does.
#pragma once
#include "cpu/cpu.h"

// Internal to the addon: hidden symbols make calls between the backend's files direct (no PLT).
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv {

enum TaskSwitchSource : uint8_t { TS_JMP, TS_CALL, TS_IRET, TS_GATE };

// Far JMP/CALL whose selector names a TSS descriptor (d) or a task gate: the privilege and
// presence checks of the instruction, then the switch. ret_eip is saved as the old task's EIP.
void task_switch_far(Cpu& c, uint16_t sel, uint64_t d, TaskSwitchSource src, uint64_t ret_eip);
// An event through an IDT task gate (gate descriptor lo): ext marks an event not caused by an
// instruction (error codes carry EXT); has_err pushes err on the new task's stack.
void task_switch_gate(Cpu& c, uint64_t gate, bool ext, bool has_err, uint32_t err, uint64_t ret_eip);
// IRET with EFLAGS.NT: back to the task named by the current TSS's previous-task link.
void task_return(Cpu& c, uint64_t ret_eip);

}  // namespace tsv
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
