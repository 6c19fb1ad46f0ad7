// The signal is SIGRTMIN+5, delivered to one thread (SIGEV_THREAD_ID), so
// vCPUs running on worker threads each get their own timer. The handler only
// stores to the kvm_run the thread armed it for (async-signal-safe).
#include "kvm/kvm_kick.h"
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include "kvm/kvm_host.h"

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

namespace tsv::kvm {

namespace {

int kick_signal() { return SIGRTMIN + 5; }

thread_local std::atomic<kvm_run*> t_armed{nullptr};
// The thread's timer, deleted when the thread (a worker) ends.
struct ThreadTimer {
  bool have = false;
  timer_t id;
  ~ThreadTimer() {
    if (have) timer_delete(id);
  }
};
thread_local ThreadTimer t_timer;

void on_kick(int, siginfo_t*, void*) {
  kvm_run* r = t_armed.load(std::memory_order_relaxed);
  if (r) r->immediate_exit = 1;
}

bool install_handler(std::string& error) {
  static std::once_flag once;
  static std::string failure;
  std::call_once(once, [] {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_kick;
    sa.sa_flags = SA_SIGINFO;  // no SA_RESTART: KVM_RUN must return EINTR
    sigemptyset(&sa.sa_mask);
    if (sigaction(kick_signal(), &sa, nullptr) != 0) failure = errno_text("sigaction for the KVM deadline signal");
  });
  error = failure;
  return failure.empty();
}

}  // namespace

bool DeadlineKick::arm(kvm_run* run, uint64_t deadline_ns, std::string& error) {
  if (!install_handler(error)) return false;
  if (!t_timer.have) {
    sigevent ev;
    std::memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = kick_signal();
    ev.sigev_notify_thread_id = (pid_t)syscall(SYS_gettid);
    if (timer_create(CLOCK_MONOTONIC, &ev, &t_timer.id) != 0) {
      error = errno_text("timer_create for the KVM deadline");
      return false;
    }
    t_timer.have = true;
  }
  t_armed.store(run, std::memory_order_relaxed);
  itimerspec its;
  std::memset(&its, 0, sizeof its);
  its.it_value.tv_sec = (time_t)(deadline_ns / 1000000000ull);
  its.it_value.tv_nsec = (long)(deadline_ns % 1000000000ull);
  if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0) its.it_value.tv_nsec = 1;  // 0 would disarm
  if (timer_settime(t_timer.id, TIMER_ABSTIME, &its, nullptr) != 0) {
    t_armed.store(nullptr, std::memory_order_relaxed);
    error = errno_text("timer_settime for the KVM deadline");
    return false;
  }
  return true;
}

void DeadlineKick::disarm() {
  t_armed.store(nullptr, std::memory_order_relaxed);
  if (!t_timer.have) return;
  itimerspec its;
  std::memset(&its, 0, sizeof its);
  timer_settime(t_timer.id, TIMER_ABSTIME, &its, nullptr);
}

}  // namespace tsv::kvm
