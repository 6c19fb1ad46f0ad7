/*
 * Producer side of the event ring of tsvisor_abi.h (TSV_OFF_EVENT_RING):
 * both backends record the interrupts and exceptions they deliver with
 * this, TypeScript (lib/machine/guest-log.ts) consumes them after run().
 */
#ifndef TSVISOR_EVENT_RING_H
#define TSVISOR_EVENT_RING_H

#include <cstdint>
#include <cstring>
#include "tsvisor_abi.h"

namespace tsv {

struct EventRecord {
  uint64_t rip, rsp, cr2, instret;
  uint32_t error;
  uint16_t cs, ss;
  uint8_t vector, kind, flags, cpl, prev, mode;
};

// Recording is on: one byte read, so a backend pays nothing else while -d int is off.
inline bool event_ring_enabled(const uint8_t* buf) { return buf[TSV_OFF_EVENT_RING_ENABLE] != 0; }

// Appends e, or counts it as lost when the consumer has not made room. Once the ring is
// half full the running slice is asked to end, so TypeScript drains it before it overflows.
inline void event_ring_push(uint8_t* buf, const EventRecord& e) {
  uint32_t head, tail;
  std::memcpy(&head, buf + TSV_OFF_EVENT_RING_HEAD, 4);
  std::memcpy(&tail, buf + TSV_OFF_EVENT_RING_TAIL, 4);
  uint32_t used = head - tail;
  if (used >= TSV_EVENT_RING_CAPACITY) {
    uint32_t lost;
    std::memcpy(&lost, buf + TSV_OFF_EVENT_RING_LOST, 4);
    lost++;
    std::memcpy(buf + TSV_OFF_EVENT_RING_LOST, &lost, 4);
    buf[TSV_OFF_IMMEDIATE_EXIT] = 1;
    return;
  }
  uint8_t* p = buf + TSV_OFF_EVENT_RING_ENTRIES + (head % TSV_EVENT_RING_CAPACITY) * TSV_EVENT_ENTRY_SIZE;
  std::memset(p, 0, TSV_EVENT_ENTRY_SIZE);
  std::memcpy(p + TSV_EVENT_OFF_RIP, &e.rip, 8);
  std::memcpy(p + TSV_EVENT_OFF_RSP, &e.rsp, 8);
  std::memcpy(p + TSV_EVENT_OFF_CR2, &e.cr2, 8);
  std::memcpy(p + TSV_EVENT_OFF_INSTRET, &e.instret, 8);
  std::memcpy(p + TSV_EVENT_OFF_ERROR, &e.error, 4);
  std::memcpy(p + TSV_EVENT_OFF_CS, &e.cs, 2);
  std::memcpy(p + TSV_EVENT_OFF_SS, &e.ss, 2);
  p[TSV_EVENT_OFF_VECTOR] = e.vector;
  p[TSV_EVENT_OFF_KIND] = e.kind;
  p[TSV_EVENT_OFF_FLAGS] = e.flags;
  p[TSV_EVENT_OFF_CPL] = e.cpl;
  p[TSV_EVENT_OFF_PREV] = e.prev;
  p[TSV_EVENT_OFF_MODE] = e.mode;
  head++;
  std::memcpy(buf + TSV_OFF_EVENT_RING_HEAD, &head, 4);
  if (head - tail >= TSV_EVENT_RING_CAPACITY / 2) buf[TSV_OFF_IMMEDIATE_EXIT] = 1;
}

}  // namespace tsv

#endif
