// Debug registers (DR0-DR3, DR6, DR7): breakpoint matching and the MOV DR
// semantics. Execution only pays for them when DR7 enables a breakpoint:
// Cpu::dbg_active is recomputed on every DR7/CR4 write and routes the run loop
// to its careful path (exec.cc), and pages holding a data breakpoint never get
// a TLB entry, so only the slow memory path looks at DR0-DR3.
#pragma once
#include "cpu/cpu.h"

// Internal to the addon: hidden symbols make calls between the backend's files direct (no PLT).
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv {

// Cpu::dbg_active: kinds of breakpoint DR7 enables
enum : uint8_t { DBG_EXEC = 1, DBG_DATA = 2, DBG_IO = 4 };

// DR6 bits (dr[4] holds DR6, dr[5] DR7)
constexpr uint64_t DR6_B_MASK = 0xf;
constexpr uint64_t DR6_BD = 1u << 13;
constexpr uint64_t DR6_BS = 1u << 14;
constexpr uint64_t DR6_FIXED1 = 0xffff0ff0;  // bits 4-11 and 16-31 read as 1
constexpr uint64_t DR7_GD = 1u << 13;
constexpr uint64_t DR7_FIXED1 = 0x400;

// Recomputes dbg_active from DR7 and CR4.DE; flushes the TLB when the watched pages may have changed.
void debug_state_changed(Cpu& c, bool data_pages_changed);
// DR6 B0-B3 bits of the enabled instruction breakpoints at linear address lin.
uint32_t dbg_exec_hits(const Cpu& c, uint64_t lin);
// True when the linear page holds an enabled data breakpoint (the TLB must not cache it).
bool dbg_watched_page(const Cpu& c, uint64_t lin);
// Records (in Cpu::db_hits) the data breakpoints an access of size bytes at lin matches.
void dbg_data_access(Cpu& c, uint64_t lin, unsigned size, bool write);
// Records the I/O breakpoints (CR4.DE, R/W = 10) an access to port..port+size-1 matches.
void dbg_io_access(Cpu& c, uint16_t port, unsigned size);

// MOV from/to DRn (n = ModRM.reg): #UD for DR4/DR5 under CR4.DE, #DB under DR7.GD, #GP for reserved bits.
uint64_t mov_from_dr(Cpu& c, unsigned n);
void mov_to_dr(Cpu& c, unsigned n, uint64_t v);

}  // namespace tsv
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
