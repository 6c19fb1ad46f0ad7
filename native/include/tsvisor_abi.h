/*
 * tsvisor backend ABI: the one header both sides read.
 *
 * Every vCPU owns one shared buffer (TSV_VCPU_BUFFER_SIZE bytes) that the
 * native backend and TypeScript both see, zero-copy: registers, the exit
 * record of the last run() and the run controls live at the fixed offsets
 * below (like kvm_run with synced registers). The VM owns a second, smaller
 * buffer holding the virtual clock parameters that RDTSC needs natively.
 *
 * lib/hypervisor/abi.generated.ts is generated from the TSV_* defines of this
 * file by scripts/gen-abi.mjs; never edit that file by hand. All multi-byte
 * fields are little-endian and naturally aligned.
 */
#ifndef TSVISOR_ABI_H
#define TSVISOR_ABI_H

#define TSV_ABI_VERSION 1

/* ------------------------------------------------------------------ */
/* vCPU shared buffer                                                  */
/* ------------------------------------------------------------------ */
#define TSV_VCPU_BUFFER_SIZE 0x2000

/* General-purpose registers, u64 each, in x86 encoding order. */
#define TSV_OFF_GPR 0x000
#define TSV_REG_RAX 0
#define TSV_REG_RCX 1
#define TSV_REG_RDX 2
#define TSV_REG_RBX 3
#define TSV_REG_RSP 4
#define TSV_REG_RBP 5
#define TSV_REG_RSI 6
#define TSV_REG_RDI 7
/* R8..R15 are 8..15 */
#define TSV_OFF_RIP 0x080
#define TSV_OFF_RFLAGS 0x088

/*
 * Segment registers: 8 slots of 16 bytes in this order.
 * Slot layout: base u64 @+0, limit u32 @+8 (byte granular, already
 * expanded by G), selector u16 @+12, attr u16 @+14.
 */
#define TSV_OFF_SEG 0x090
#define TSV_SEG_SIZE 16
#define TSV_SEG_ES 0
#define TSV_SEG_CS 1
#define TSV_SEG_SS 2
#define TSV_SEG_DS 3
#define TSV_SEG_FS 4
#define TSV_SEG_GS 5
#define TSV_SEG_LDTR 6
#define TSV_SEG_TR 7
#define TSV_SEG_OFF_BASE 0
#define TSV_SEG_OFF_LIMIT 8
#define TSV_SEG_OFF_SELECTOR 12
#define TSV_SEG_OFF_ATTR 14
/* attr bits: descriptor byte 5 in bits 0-7, flags nibble of byte 6 in 8-11 */
#define TSV_SEG_ATTR_TYPE_MASK 0x000f
#define TSV_SEG_ATTR_S 0x0010
#define TSV_SEG_ATTR_DPL_SHIFT 5
#define TSV_SEG_ATTR_DPL_MASK 0x0060
#define TSV_SEG_ATTR_P 0x0080
#define TSV_SEG_ATTR_AVL 0x0100
#define TSV_SEG_ATTR_L 0x0200
#define TSV_SEG_ATTR_DB 0x0400
#define TSV_SEG_ATTR_G 0x0800
#define TSV_SEG_ATTR_UNUSABLE 0x1000

/* Descriptor-table registers: base u64 @+0, limit u32 @+8. */
#define TSV_OFF_GDTR 0x110
#define TSV_OFF_IDTR 0x120
#define TSV_DTR_OFF_BASE 0
#define TSV_DTR_OFF_LIMIT 8

/* Control registers and friends, u64 each. */
#define TSV_OFF_CR0 0x130
#define TSV_OFF_CR2 0x138
#define TSV_OFF_CR3 0x140
#define TSV_OFF_CR4 0x148
#define TSV_OFF_CR8 0x150
#define TSV_OFF_EFER 0x158
#define TSV_OFF_APIC_BASE 0x160
/* guest TSC = virtual-clock TSC + tsc_offset (signed); a guest WRMSR to IA32_TSC moves it */
#define TSV_OFF_TSC_OFFSET 0x168
/* instructions this vCPU has retired since creation */
#define TSV_OFF_INSTRET 0x170
#define TSV_OFF_XCR0 0x178
/* DR0-DR3, DR6, DR7: u64 each */
#define TSV_OFF_DR 0x180
#define TSV_DR_COUNT 6

/* ------------------------------------------------------------------ */
/* Exit record: written by run(), read and completed by TypeScript      */
/* ------------------------------------------------------------------ */
#define TSV_OFF_EXIT_REASON 0x200 /* u32, also run()'s return value */

#define TSV_EXIT_NONE 0
/* port I/O; OUT data is in the data area; for IN, TypeScript fills it */
#define TSV_EXIT_IO 1
/* one access to guest-physical memory not backed by a RAM region */
#define TSV_EXIT_MMIO 2
/* RDMSR/WRMSR of an MSR inside a range the machine asked to see */
#define TSV_EXIT_MSR_READ 3
#define TSV_EXIT_MSR_WRITE 4
/* VMCALL/VMMCALL; RIP already points past the instruction */
#define TSV_EXIT_HYPERCALL 5
/* HLT retired; RIP points past it. The machine wakes the vCPU by injecting. */
#define TSV_EXIT_HLT 6
/* request_interrupt_window was set and the vCPU can now take an interrupt */
#define TSV_EXIT_IRQ_WINDOW_OPEN 7
/* instruction budget, host deadline, immediate_exit or PAUSE ended the slice */
#define TSV_EXIT_SLICE_END 8
/* triple fault (or another shutdown condition) */
#define TSV_EXIT_SHUTDOWN 9
/* a debug event the machine asked to see */
#define TSV_EXIT_DEBUG 10
/* the backend cannot go on; message holds the reason */
#define TSV_EXIT_INTERNAL_ERROR 11

/* exit payloads, a union at 0x208 */
#define TSV_OFF_EXIT_IO_PORT 0x208        /* u16 */
#define TSV_OFF_EXIT_IO_SIZE 0x20a        /* u8: 1, 2 or 4 */
#define TSV_OFF_EXIT_IO_DIRECTION 0x20b   /* u8: TSV_IO_IN / TSV_IO_OUT */
#define TSV_OFF_EXIT_IO_COUNT 0x20c       /* u32: elements (REP INS/OUTS batch) */
#define TSV_OFF_EXIT_IO_DATA_OFFSET 0x210 /* u32: offset of the data in this buffer */
#define TSV_IO_IN 0
#define TSV_IO_OUT 1

#define TSV_OFF_EXIT_MMIO_GPA 0x208      /* u64 */
#define TSV_OFF_EXIT_MMIO_DATA 0x210     /* 16 bytes, little-endian */
#define TSV_OFF_EXIT_MMIO_LEN 0x220      /* u32: 1..16 */
#define TSV_OFF_EXIT_MMIO_IS_WRITE 0x224 /* u8 */

#define TSV_OFF_EXIT_MSR_INDEX 0x208 /* u32 */
#define TSV_OFF_EXIT_MSR_ERROR 0x20c /* u8: TypeScript sets 1 to make the access #GP */
#define TSV_OFF_EXIT_MSR_DATA 0x210  /* u64: value written, or value to return */

#define TSV_OFF_EXIT_HYPERCALL_KIND 0x208     /* u32: TSV_HYPERCALL_* */
#define TSV_OFF_EXIT_HYPERCALL_INSN_LEN 0x20c /* u32 */
#define TSV_HYPERCALL_VMCALL 0
#define TSV_HYPERCALL_VMMCALL 1

#define TSV_OFF_EXIT_SLICE_REASON 0x208 /* u32 */
#define TSV_SLICE_BUDGET 0
#define TSV_SLICE_DEADLINE 1
#define TSV_SLICE_IMMEDIATE_EXIT 2
#define TSV_SLICE_PAUSE 3
/* WRMSR IA32_TSC or IA32_TSC_ADJUST moved the TSC offset: the machine republishes
 * clocks derived from it (kvmclock) before the vCPU runs again */
#define TSV_SLICE_TSC_WRITE 4

#define TSV_OFF_EXIT_SHUTDOWN_REASON 0x208 /* u32 */
#define TSV_SHUTDOWN_TRIPLE_FAULT 0

#define TSV_OFF_EXIT_DEBUG_DR6 0x208 /* u64 */

#define TSV_OFF_EXIT_INTERNAL_SUBERROR 0x208 /* u32 */
#define TSV_INTERNAL_UNSUPPORTED 1 /* an instruction or state the backend lacks */
#define TSV_INTERNAL_FETCH_MMIO 2  /* instruction fetch from non-RAM memory */
#define TSV_INTERNAL_HOST 3        /* host-side failure */
#define TSV_OFF_EXIT_INTERNAL_RIP 0x210 /* u64: linear RIP of the failing instruction */
#define TSV_OFF_EXIT_MESSAGE 0x240      /* NUL-terminated text */
#define TSV_EXIT_MESSAGE_SIZE 0xc0

/* ------------------------------------------------------------------ */
/* Run controls: written by TypeScript before run()                    */
/* ------------------------------------------------------------------ */
/* run() stops after at most this many instructions (0 = no budget) */
#define TSV_OFF_RUN_MAX_INSTRUCTIONS 0x300
/* run() stops once the host monotonic clock (ns) passes this (0 = none) */
#define TSV_OFF_RUN_DEADLINE_HOST_NS 0x308
/* u8: exit with TSV_EXIT_IRQ_WINDOW_OPEN as soon as an interrupt can be taken */
#define TSV_OFF_REQUEST_IRQ_WINDOW 0x310
/* u8, native -> TS at every exit: IF=1, no interrupt shadow, no injection pending */
#define TSV_OFF_READY_FOR_INJECTION 0x311
/* u8, native -> TS: RFLAGS.IF */
#define TSV_OFF_IF_FLAG 0x312
/* u8: set (by TS, possibly from another thread) to end the running slice */
#define TSV_OFF_IMMEDIATE_EXIT 0x313
/* i32: external interrupt vector to deliver (-1 = none); native resets to -1 once delivered */
#define TSV_OFF_PENDING_IRQ 0x314
/* u8: NMI to deliver; native clears it once delivered */
#define TSV_OFF_PENDING_NMI 0x318
/* u8: exception to raise before the next instruction (TypeScript's answer to an exit) */
#define TSV_OFF_PENDING_EXCEPTION_VALID 0x319
#define TSV_OFF_PENDING_EXCEPTION_VECTOR 0x31a /* u8 */
#define TSV_OFF_PENDING_EXCEPTION_HAS_ERROR 0x31b /* u8 */
#define TSV_OFF_PENDING_EXCEPTION_ERROR 0x31c /* u32 */
/* u64, native -> TS: instructions retired by the last run() */
#define TSV_OFF_SLICE_INSTRUCTIONS 0x320
/* u8: PAUSE ends the slice (TSV_SLICE_PAUSE). The machine sets it while another
 * vCPU could use the time; otherwise PAUSE is a hint with no exit, so a lone
 * spinner (APIC timer calibration, a lock nobody else runs to release) does not
 * pay an exit per loop iteration. Backends with their own PAUSE handling (KVM's
 * pause-loop exiting) ignore it. */
#define TSV_OFF_PAUSE_EXITS 0x328
/* u64, native -> TS: host ns this vCPU has spent running guest code since
 * creation, on backends that cannot count instructions (kvm: the time inside
 * KVM_RUN); 0 on the interpreter, which counts TSV_OFF_INSTRET instead.
 * HV_X64_MSR_VP_RUNTIME is computed from it (lib/hyperv/vp-registers.ts). */
#define TSV_OFF_RUN_NS 0x330

/* port I/O data area (REP INS/OUTS batches up to its size) */
#define TSV_OFF_IO_DATA 0x400
#define TSV_IO_DATA_SIZE 0x1000

/*
 * Event ring: interrupts and exceptions the backend delivered to the guest
 * inside run() (no exit reaches TypeScript for them), recorded only while
 * TSV_OFF_EVENT_RING_ENABLE is set, for `-d int`. The backend is the only
 * producer (advances head), TypeScript the only consumer (advances tail) and
 * it drains the ring after every run(). When head - tail reaches
 * TSV_EVENT_RING_CAPACITY the event is not stored and `lost` counts it; once
 * the ring is half full the backend ends the slice early (immediate exit)
 * so that TypeScript drains it before that can happen.
 */
#define TSV_OFF_EVENT_RING 0x1400
#define TSV_OFF_EVENT_RING_HEAD 0x1400   /* u32: events stored since creation (wraps) */
#define TSV_OFF_EVENT_RING_TAIL 0x1404   /* u32: events TypeScript has consumed (wraps) */
#define TSV_OFF_EVENT_RING_LOST 0x1408   /* u32: events dropped because the ring was full; TS zeroes it */
#define TSV_OFF_EVENT_RING_ENABLE 0x140c /* u8: 1 = record events */
#define TSV_OFF_EVENT_RING_ENTRIES 0x1410
#define TSV_EVENT_RING_CAPACITY 63       /* entry i lives at ENTRIES + (i % CAPACITY) * ENTRY_SIZE */
#define TSV_EVENT_ENTRY_SIZE 48
#define TSV_EVENT_OFF_RIP 0      /* u64: RIP when the event was taken (faulting or interrupted instruction) */
#define TSV_EVENT_OFF_RSP 8      /* u64 */
#define TSV_EVENT_OFF_CR2 16     /* u64: CR2 after the event was raised (the #PF address for #PF) */
#define TSV_EVENT_OFF_INSTRET 24 /* u64: instructions this vCPU had retired */
#define TSV_EVENT_OFF_ERROR 32   /* u32: error code (valid when TSV_EVENT_FLAG_HAS_ERROR) */
#define TSV_EVENT_OFF_CS 36      /* u16: CS selector */
#define TSV_EVENT_OFF_SS 38      /* u16: SS selector */
#define TSV_EVENT_OFF_VECTOR 40  /* u8 */
#define TSV_EVENT_OFF_KIND 41    /* u8: TSV_EVENT_KIND_* */
#define TSV_EVENT_OFF_FLAGS 42   /* u8: TSV_EVENT_FLAG_* */
#define TSV_EVENT_OFF_CPL 43     /* u8 */
#define TSV_EVENT_OFF_PREV 44    /* u8: vector whose delivery raised this one (TSV_EVENT_FLAG_NESTED) */
#define TSV_EVENT_OFF_MODE 45    /* u8: TSV_EVENT_MODE_* */
#define TSV_EVENT_KIND_EXCEPTION 0   /* raised by an instruction, or injected by TypeScript */
#define TSV_EVENT_KIND_HW_IRQ 1      /* external interrupt (the injected vector) */
#define TSV_EVENT_KIND_NMI 2
#define TSV_EVENT_KIND_SOFT_INT 3    /* INT n, INT3, INTO, INT1 */
#define TSV_EVENT_KIND_TRIPLE_FAULT 4 /* vector: the exception that could not be delivered */
#define TSV_EVENT_FLAG_HAS_ERROR 1
#define TSV_EVENT_FLAG_NESTED 2
/* raised while delivering PREV and not delivered itself: the pair became #DF (the next record) */
#define TSV_EVENT_FLAG_ESCALATED 4
#define TSV_EVENT_MODE_REAL 0
#define TSV_EVENT_MODE_PROTECTED 1
#define TSV_EVENT_MODE_V86 2
#define TSV_EVENT_MODE_LONG 3 /* IA-32e (64-bit or compatibility) */

/* ------------------------------------------------------------------ */
/* VM shared buffer: the virtual clock as the backend needs it          */
/* ------------------------------------------------------------------ */
#define TSV_VM_BUFFER_SIZE 0x100
/*
 * Guest nanoseconds:
 *   realtime: guest_ns = guest_base_ns + (host_monotonic_ns - host_base_ns)
 *   icount:   guest_ns = guest_base_ns + ((vm_instret - icount_base) << icount_shift)
 * guest TSC = guest_ns * tsc_khz / 1e6 + vCPU tsc_offset.
 * Only lib/machine/clock writes these (re-basing on pause, resume, warp).
 */
#define TSV_OFF_VM_CLOCK_MODE 0x00 /* u32 */
#define TSV_CLOCK_REALTIME 0
#define TSV_CLOCK_ICOUNT 1
#define TSV_OFF_VM_ICOUNT_SHIFT 0x04 /* u32 */
#define TSV_OFF_VM_TSC_KHZ 0x08      /* u64 */
#define TSV_OFF_VM_HOST_BASE_NS 0x10 /* u64 */
#define TSV_OFF_VM_GUEST_BASE_NS 0x18 /* u64 */
#define TSV_OFF_VM_ICOUNT_BASE 0x20  /* u64 */
/* u64: instructions retired by all vCPUs; the backend adds to it */
#define TSV_OFF_VM_INSTRET 0x28

/* memory region flags for setMemoryRegion */
#define TSV_MEM_READONLY 1 /* reads hit the buffer; writes exit as MMIO */

/* CPUID table entries handed to setCpuid: 7 u32 each */
#define TSV_CPUID_ENTRY_WORDS 7 /* function, index, flags, eax, ebx, ecx, edx */
#define TSV_CPUID_FLAG_SIGNIFICANT_INDEX 1

#endif
