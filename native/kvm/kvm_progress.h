// Every slice runs guest code on KVM, even one that starts past its deadline.
//
// The interpreter executes a few dozen blocks in each run() before it looks at
// the deadline, so a guest always moves on. KVM_RUN with immediate_exit enters
// no guest code at all; when the machine's loop between two slices takes longer
// than the guest's next timer is away (a periodic APIC timer of 100 us on a slow
// or nested host), every slice would start past its deadline and end before the
// guest ran one instruction, and the timer interrupt the guest waits for would
// never be taken: a livelock. So the first KVM_RUN of a slice that starts late is
// kicked a little after its start instead of at once.
//
// How little: the kick must come after KVM has entered the guest, which takes
// microseconds on hardware and far longer on a nested KVM under an emulator. A
// late run that ends at its kick without a real exit may not have entered the
// guest, so the next one waits twice as long; one that ends in a real exit (the
// guest ran) halves it again, so the grace period settles where entries succeed.
#pragma once
#include <cstdint>

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv::kvm {

class SliceProgress {
 public:
  // The smallest and largest grace period (the largest is the run loop's slice).
  static constexpr uint64_t kMinGraceNs = 50'000;
  static constexpr uint64_t kMaxGraceNs = 5'000'000;

  // Before run() handles a call: `deadline` is the slice's host deadline; `after_slice_end`
  // says the previous run() returned an exit that ends the machine's slice (a new slice
  // starts now). A new deadline means a new slice too.
  void begin_run(uint64_t deadline, bool after_slice_end) {
    if (deadline != deadline_ || after_slice_end) owed_ = true;
    deadline_ = deadline;
  }

  // The host time to kick a KVM_RUN that starts at `now` with `deadline` (passed):
  // 0 = stop at once (the slice had its guest run), otherwise the end of the grace period.
  uint64_t late_kick(uint64_t now) const {
    if (!owed_) return 0;
    return now + grace_ns_;
  }

  // A KVM_RUN was entered (not with immediate_exit): the slice had its run. `late` says
  // it was a grace run, `real_exit` that it ended in an exit of the guest (not at the kick).
  void entered(bool late, bool real_exit) {
    owed_ = false;
    if (!late) return;
    if (real_exit) grace_ns_ = grace_ns_ / 2 < kMinGraceNs ? kMinGraceNs : grace_ns_ / 2;
    else grace_ns_ = grace_ns_ * 2 > kMaxGraceNs ? kMaxGraceNs : grace_ns_ * 2;
  }

 private:
  uint64_t deadline_ = 0;
  bool owed_ = true;
  uint64_t grace_ns_ = kMinGraceNs;
};

}  // namespace tsv::kvm
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
