/**
 * Hyper-V Top-Level Functional Specification (TLFS) names, verbatim: MSR
 * indices, CPUID leaves and bits, hypercall codes and HV_STATUS_* results.
 * Facts only; the behaviour lives in the files of lib/hyperv that use them.
 */

// ---- CPUID leaves ---------------------------------------------------------
export const HYPERV_CPUID_VENDOR_AND_MAX_FUNCTIONS = 0x4000_0000;
export const HYPERV_CPUID_INTERFACE = 0x4000_0001;
export const HYPERV_CPUID_VERSION = 0x4000_0002;
export const HYPERV_CPUID_FEATURES = 0x4000_0003;
export const HYPERV_CPUID_ENLIGHTMENT_INFO = 0x4000_0004;
export const HYPERV_CPUID_IMPLEMENT_LIMITS = 0x4000_0005;
export const HYPERV_CPUID_HARDWARE_FEATURES = 0x4000_0006;
export const HYPERV_CPUID_NESTED_FEATURES = 0x4000_000a;
/** Where a hypervisor that also offers KVM's interface moves KVM's leaves (0x40000100). */
export const HYPERV_CPUID_KVM_LEAVES_BASE = 0x4000_0100;
/** "Hv#1": the interface signature of 0x40000001 EAX. */
export const HYPERV_INTERFACE_SIGNATURE = 0x3123_7648;

// 0x40000003 EAX: partition privileges (low half of HV_PARTITION_PRIVILEGE_MASK).
export const HV_MSR_VP_RUNTIME_AVAILABLE = 1 << 0;
export const HV_MSR_TIME_REF_COUNT_AVAILABLE = 1 << 1;
export const HV_MSR_SYNIC_AVAILABLE = 1 << 2;
export const HV_MSR_SYNTIMER_AVAILABLE = 1 << 3;
export const HV_MSR_APIC_ACCESS_AVAILABLE = 1 << 4;
export const HV_MSR_HYPERCALL_AVAILABLE = 1 << 5;
export const HV_MSR_VP_INDEX_AVAILABLE = 1 << 6;
export const HV_MSR_RESET_AVAILABLE = 1 << 7;
export const HV_MSR_STAT_PAGES_AVAILABLE = 1 << 8;
export const HV_MSR_REFERENCE_TSC_AVAILABLE = 1 << 9;
export const HV_MSR_GUEST_IDLE_AVAILABLE = 1 << 10;
export const HV_ACCESS_FREQUENCY_MSRS = 1 << 11;
export const HV_ACCESS_REENLIGHTENMENT = 1 << 13;
// 0x40000003 EBX: partition privileges (high half).
export const HV_POST_MESSAGES = 1 << 4;
export const HV_SIGNAL_EVENTS = 1 << 5;
// 0x40000003 EDX: miscellaneous features.
export const HV_FEATURE_FREQUENCY_MSRS_AVAILABLE = 1 << 8;
export const HV_FEATURE_GUEST_CRASH_MSR_AVAILABLE = 1 << 10;
export const HV_STIMER_DIRECT_MODE_AVAILABLE = 1 << 19;

// 0x40000004 EAX: implementation recommendations.
export const HV_X64_AS_SWITCH_RECOMMENDED = 1 << 0;
export const HV_X64_LOCAL_TLB_FLUSH_RECOMMENDED = 1 << 1;
export const HV_X64_REMOTE_TLB_FLUSH_RECOMMENDED = 1 << 2;
export const HV_X64_APIC_ACCESS_RECOMMENDED = 1 << 3;
export const HV_X64_SYSTEM_RESET_RECOMMENDED = 1 << 4;
export const HV_X64_RELAXED_TIMING_RECOMMENDED = 1 << 5;
export const HV_X64_CLUSTER_IPI_RECOMMENDED = 1 << 10;
export const HV_X64_EX_PROCESSOR_MASKS_RECOMMENDED = 1 << 11;
/** 0x40000004 EBX: spinlock retries before HvNotifyLongSpinWait; all ones = never notify. */
export const HV_SPINLOCK_RETRIES_NEVER = 0xffff_ffff;

// ---- MSRs -----------------------------------------------------------------
export const HV_X64_MSR_GUEST_OS_ID = 0x4000_0000;
export const HV_X64_MSR_HYPERCALL = 0x4000_0001;
export const HV_X64_MSR_VP_INDEX = 0x4000_0002;
export const HV_X64_MSR_RESET = 0x4000_0003;
export const HV_X64_MSR_VP_RUNTIME = 0x4000_0010;
export const HV_X64_MSR_TIME_REF_COUNT = 0x4000_0020;
export const HV_X64_MSR_REFERENCE_TSC = 0x4000_0021;
export const HV_X64_MSR_TSC_FREQUENCY = 0x4000_0022;
export const HV_X64_MSR_APIC_FREQUENCY = 0x4000_0023;
export const HV_X64_MSR_EOI = 0x4000_0070;
export const HV_X64_MSR_ICR = 0x4000_0071;
export const HV_X64_MSR_TPR = 0x4000_0072;
export const HV_X64_MSR_VP_ASSIST_PAGE = 0x4000_0073;
export const HV_X64_MSR_SCONTROL = 0x4000_0080;
export const HV_X64_MSR_SVERSION = 0x4000_0081;
export const HV_X64_MSR_SIEFP = 0x4000_0082;
export const HV_X64_MSR_SIMP = 0x4000_0083;
export const HV_X64_MSR_EOM = 0x4000_0084;
export const HV_X64_MSR_SINT0 = 0x4000_0090;
export const HV_X64_MSR_SINT15 = 0x4000_009f;
export const HV_X64_MSR_STIMER0_CONFIG = 0x4000_00b0;
export const HV_X64_MSR_STIMER0_COUNT = 0x4000_00b1;
export const HV_X64_MSR_STIMER3_COUNT = 0x4000_00b7;
export const HV_X64_MSR_CRASH_P0 = 0x4000_0100;
export const HV_X64_MSR_CRASH_P4 = 0x4000_0104;
export const HV_X64_MSR_CRASH_CTL = 0x4000_0105;
export const HV_X64_MSR_REENLIGHTENMENT_CONTROL = 0x4000_0106;
export const HV_X64_MSR_TSC_EMULATION_CONTROL = 0x4000_0107;
export const HV_X64_MSR_TSC_EMULATION_STATUS = 0x4000_0108;

/** HV_X64_MSR_HYPERCALL: bit 0 enables the page, bit 1 locks the MSR, bits 63:12 are the page's GPA. */
export const HV_X64_MSR_HYPERCALL_ENABLE = 1n << 0n;
export const HV_X64_MSR_HYPERCALL_LOCKED = 1n << 1n;
/** HV_X64_MSR_REFERENCE_TSC: bit 0 enables the page, bits 63:12 are its GPA. */
export const HV_X64_MSR_TSC_REFERENCE_ENABLE = 1n << 0n;
export const HV_X64_MSR_PAGE_ADDRESS_MASK = ~0xfffn & 0xffff_ffff_ffff_ffffn;
/** HV_X64_MSR_RESET: writing 1 to bit 0 resets the system. */
export const HV_X64_MSR_RESET_BIT = 1n;
/** HV_X64_MSR_CRASH_CTL: bit 63 = the guest crashed (P0-P4 hold its parameters); bit 62 = P3/P4 hold a message GPA/length. */
export const HV_CRASH_CTL_CRASH_NOTIFY = 1n << 63n;
export const HV_CRASH_CTL_CRASH_NOTIFY_MSG = 1n << 62n;
/** HV_X64_MSR_REENLIGHTENMENT_CONTROL: vector 7:0, enabled 16, target VP 63:48. */
export const HV_REENLIGHTENMENT_CONTROL_VALID = 0xffff_0000_0001_00ffn;
/** HV_X64_MSR_TSC_EMULATION_CONTROL / _STATUS: bit 0 (enabled / in progress). */
export const HV_TSC_EMULATION_VALID = 1n;

/** The reference TSC page: u32 tsc_sequence @0, u64 tsc_scale @8, s64 tsc_offset @16. Sequence 0 = invalid (read the MSR). */
export const HV_REF_TSC_SEQUENCE_OFFSET = 0;
export const HV_REF_TSC_SCALE_OFFSET = 8;
export const HV_REF_TSC_OFFSET_OFFSET = 16;
export const HV_REF_TSC_SEQUENCE_INVALID = 0;

export const HV_HYP_PAGE_SIZE = 4096;

// ---- Hypercalls -------------------------------------------------------------
/** Hypercall input value (RCX, or EDX:EAX in the 32-bit convention). */
export const HV_HYPERCALL_CODE_MASK = 0xffffn;
export const HV_HYPERCALL_FAST_BIT = 1n << 16n;
export const HV_HYPERCALL_VARHEAD_SHIFT = 17n;
export const HV_HYPERCALL_VARHEAD_MASK = 0x3ffn;
export const HV_HYPERCALL_NESTED_BIT = 1n << 31n;
export const HV_HYPERCALL_REP_COMP_SHIFT = 32n;
export const HV_HYPERCALL_REP_COMP_MASK = 0xfffn;
export const HV_HYPERCALL_REP_START_SHIFT = 48n;
export const HV_HYPERCALL_REP_START_MASK = 0xfffn;
/** Bits of the input value that must be zero: 30:27, 47:44, 63:60. (Bit 31 = nested, not offered.) */
export const HV_HYPERCALL_RSVD_MASK = (0xfn << 27n) | (1n << 31n) | (0xfn << 44n) | (0xfn << 60n);
/** Hypercall result value: status in 15:0, reps completed in 43:32. */
export const HV_HYPERCALL_RESULT_REP_SHIFT = 32n;

export const HVCALL_SWITCH_VIRTUAL_ADDRESS_SPACE = 0x0001;
export const HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE = 0x0002;
export const HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST = 0x0003;
export const HVCALL_NOTIFY_LONG_SPIN_WAIT = 0x0008;
export const HVCALL_SEND_IPI = 0x000b;
export const HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE_EX = 0x0013;
export const HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST_EX = 0x0014;
export const HVCALL_SEND_IPI_EX = 0x0015;
export const HVCALL_POST_MESSAGE = 0x005c;
export const HVCALL_SIGNAL_EVENT = 0x005d;

export const HV_STATUS_SUCCESS = 0x0000;
export const HV_STATUS_INVALID_HYPERCALL_CODE = 0x0002;
export const HV_STATUS_INVALID_HYPERCALL_INPUT = 0x0003;
export const HV_STATUS_INVALID_ALIGNMENT = 0x0004;
export const HV_STATUS_INVALID_PARAMETER = 0x0005;
export const HV_STATUS_ACCESS_DENIED = 0x0006;
export const HV_STATUS_OPERATION_DENIED = 0x0008;
export const HV_STATUS_INSUFFICIENT_MEMORY = 0x000b;
export const HV_STATUS_INVALID_PORT_ID = 0x0011;
export const HV_STATUS_INVALID_CONNECTION_ID = 0x0012;
export const HV_STATUS_INSUFFICIENT_BUFFERS = 0x0013;

/** The hypervisor version tsvisor reports in 0x40000002: 10.0, build 14393 (a Windows Server 2016-era Hyper-V). */
export const HV_VERSION_BUILD = 14393;
export const HV_VERSION_MAJOR = 10;
export const HV_VERSION_MINOR = 0;

// ---- SynIC ------------------------------------------------------------------
export const HV_SYNIC_SINT_COUNT = 16;
/** SCONTROL bit 0: the SynIC is enabled. */
export const HV_SYNIC_CONTROL_ENABLE = 1n;
/** SVERSION: the SynIC version the TLFS defines (1). */
export const HV_SYNIC_VERSION = 1n;
/** SIEFP / SIMP: bit 0 enables the page, bits 63:12 are its GPA. */
export const HV_SYNIC_SIEFP_ENABLE = 1n;
export const HV_SYNIC_SIMP_ENABLE = 1n;
/** SINTx: vector 7:0, masked 16, auto-EOI 17, polling 18. */
export const HV_SYNIC_SINT_VECTOR_MASK = 0xffn;
export const HV_SYNIC_SINT_MASKED = 1n << 16n;
export const HV_SYNIC_SINT_AUTO_EOI = 1n << 17n;
export const HV_SYNIC_SINT_POLLING = 1n << 18n;
export const HV_SYNIC_SINT_VALID = HV_SYNIC_SINT_VECTOR_MASK | HV_SYNIC_SINT_MASKED | HV_SYNIC_SINT_AUTO_EOI | HV_SYNIC_SINT_POLLING;
/** Vectors below 16 cannot be SINT vectors. */
export const HV_SYNIC_FIRST_VALID_VECTOR = 16;
/** A message slot: 256 bytes; header = u32 message_type, u8 payload_size, u8 message_flags, u16 reserved, u64 sender (port id). */
export const HV_MESSAGE_SIZE = 256;
export const HV_MESSAGE_PAYLOAD_BYTES = 240;
export const HV_MESSAGE_TYPE_OFFSET = 0;
export const HV_MESSAGE_PAYLOAD_SIZE_OFFSET = 4;
export const HV_MESSAGE_FLAGS_OFFSET = 5;
export const HV_MESSAGE_SENDER_OFFSET = 8;
export const HV_MESSAGE_PAYLOAD_OFFSET = 16;
/** message_flags bit 0: another message waits for this slot (the guest writes EOM after freeing it). */
export const HV_MESSAGE_FLAG_PENDING = 1;
export const HVMSG_NONE = 0;
/** Message types with bit 31 set belong to the hypervisor; a guest cannot post them. */
export const HV_MESSAGE_TYPE_HYPERVISOR_MASK = 0x8000_0000;
/** Event flags: 2048 bits (256 bytes) per SINT in the SIEF page. */
export const HV_EVENT_FLAGS_COUNT = 2048;
export const HV_EVENT_FLAGS_BYTES = 256;
/** HvPostMessage input: u32 connection_id, u32 reserved, u32 message_type, u32 payload_size, payload[240]. */
export const HV_POST_MESSAGE_INPUT_BYTES = 256;
/** HvSignalEvent input: u32 connection_id, u16 flag_number, u16 reserved. */
export const HV_SIGNAL_EVENT_INPUT_BYTES = 8;

// ---- Synthetic timers -----------------------------------------------------
export const HV_SYNIC_STIMER_COUNT = 4;
/** STIMERx_CONFIG: enable 0, periodic 1, lazy 2, auto_enable 3, apic_vector 11:4, direct_mode 12, sintx 19:16. */
export const HV_STIMER_ENABLE = 1n << 0n;
export const HV_STIMER_PERIODIC = 1n << 1n;
export const HV_STIMER_LAZY = 1n << 2n;
export const HV_STIMER_AUTOENABLE = 1n << 3n;
export const HV_STIMER_APIC_VECTOR_SHIFT = 4n;
export const HV_STIMER_DIRECT_MODE = 1n << 12n;
export const HV_STIMER_SINT_SHIFT = 16n;
export const HV_STIMER_CONFIG_VALID = 0xfn | (0xffn << 4n) | HV_STIMER_DIRECT_MODE | (0xfn << 16n);
/** The message a synthetic timer posts: u32 timer_index, u32 reserved, u64 expiration_time, u64 delivery_time. */
export const HVMSG_TIMER_EXPIRED = 0x8000_0010;
export const HV_TIMER_MESSAGE_PAYLOAD_BYTES = 24;

// ---- TLB flush and IPI hypercalls ---------------------------------------------
/** HV_VP_SET formats. */
export const HV_GENERIC_SET_SPARSE_4K = 0;
export const HV_GENERIC_SET_ALL = 1;
/** HvFlushVirtualAddress* flags. */
export const HV_FLUSH_ALL_PROCESSORS = 1n << 0n;
export const HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES = 1n << 1n;
export const HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY = 1n << 2n;
export const HV_FLUSH_USE_EXTENDED_RANGE_FORMAT = 1n << 3n;
