// Ending KVM_RUN at a host deadline: a per-thread POSIX timer sends a signal
// to the thread inside KVM_RUN; the handler sets kvm_run.immediate_exit, so
// KVM_RUN returns EINTR whether the signal lands before or during guest entry.
#pragma once
#include <linux/kvm.h>
#include <cstdint>
#include <string>

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv::kvm {

class DeadlineKick {
 public:
  // Arms the calling thread's timer for `deadline_ns` (CLOCK_MONOTONIC); `run` gets
  // immediate_exit when it fires. Returns false with `error` set on host failure.
  bool arm(kvm_run* run, uint64_t deadline_ns, std::string& error);
  // Disarms; a signal already on its way finds no run to kick.
  void disarm();
};

}  // namespace tsv::kvm
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
