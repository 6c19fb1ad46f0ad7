// Event delivery (exceptions.cc) and far returns (segments.cc) shared by the
// run loop and the control-transfer instructions.
#pragma once
#include "cpu/cpu.h"

// Internal to the addon: hidden symbols make calls between the backend's files direct (no PLT).
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv {

bool exc_has_error_code(int vec);
// Reads the current TSS (#TS beyond its limit).
uint64_t tss_read(Cpu& c, uint32_t off, unsigned size);
// Pushes the frame and transfers to the handler of vector vec; raises on failure.
void deliver_event(Cpu& c, uint8_t vec, bool has_err, uint32_t err, bool soft, uint64_t ret_ip);
// Exception raised by an instruction (or an interrupt, by kind: TSV_EVENT_KIND_*), with #DF
// escalation; false means triple fault.
bool deliver_exception(Cpu& c, uint8_t vec, bool has_err, uint32_t err, uint8_t kind = TSV_EVENT_KIND_EXCEPTION);
// RETF (and IRET's same-level return, which passes the FLAGS slot as imm): pops CS:IP, then SS:SP on a privilege change
void far_return(Cpu& c, unsigned opsize, uint16_t imm, uint64_t new_ip, uint16_t new_cs);
void null_outer_segments(Cpu& c);

}  // namespace tsv
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
