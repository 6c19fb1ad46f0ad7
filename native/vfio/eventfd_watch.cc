// Eventfds for VFIO interrupts and a watch that reads them on the JavaScript
// thread: a libuv poll handle on Node's own loop, so the machine's run loop
// (which yields to the event loop between slices and sleeps in it) sees the
// device's interrupt without a thread of its own. watchEventfd(fd, cb) calls
// cb(count) each time the eventfd has been signalled (count = signals since
// the last call) and returns { close() }; close() stops the watch (the fd
// stays open: its owner closes it). The watch is unref'd: it never keeps
// the process alive on its own.
#include <sys/eventfd.h>
#include <unistd.h>
#include <uv.h>
#include <cerrno>
#include <cstdint>
#include "addon/napi_args.h"
#include "vfio/vfio_addon.h"

namespace tsv::vfio {
namespace {

struct Watch {
  uv_poll_t poll;
  int fd;
  napi_env env;
  Napi::FunctionReference callback;
  bool stopped = false;
};

void on_closed(uv_handle_t* handle) {
  delete static_cast<Watch*>(handle->data);
}

void stop(Watch* w) {
  if (w->stopped) return;
  w->stopped = true;
  uv_poll_stop(&w->poll);
  uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), on_closed);
}

void on_readable(uv_poll_t* handle, int status, int events) {
  auto* w = static_cast<Watch*>(handle->data);
  if (w->stopped) return;
  if (status < 0) {
    // The descriptor went bad (closed under the watch): nothing more will come from it.
    stop(w);
    return;
  }
  uint64_t total = 0, count = 0;
  // The eventfd is non-blocking: one read takes the whole counter; EAGAIN means it was empty.
  while (read(w->fd, &count, sizeof(count)) == (ssize_t)sizeof(count)) total += count;
  if (total == 0) return;
  Napi::Env env(w->env);
  Napi::HandleScope scope(env);
  try {
    // MakeCallback: microtasks and nextTicks queued by the callback run before returning to libuv.
    w->callback.MakeCallback(env.Global(), {Napi::Number::New(env, (double)total)});
  } catch (const Napi::Error& e) {
    napi_fatal_exception(w->env, e.Value());
  }
}

}  // namespace

// createEventfd() -> fd (non-blocking, close-on-exec, counter 0)
Napi::Value create_eventfd(const Napi::CallbackInfo& info) {
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) throw_errno(info.Env(), "eventfd", errno);
  return Napi::Number::New(info.Env(), fd);
}

// watchEventfd(fd, callback) -> { close() }
Napi::Value watch_eventfd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double fd = tsv::napi::number_arg(info, 0, "fd");
  if (info.Length() < 2 || !info[1].IsFunction()) throw Napi::TypeError::New(env, "watchEventfd: callback must be a function");
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) throw Napi::Error::New(env, "watchEventfd: no event loop");
  auto* w = new Watch();
  w->fd = (int)fd;
  w->env = env;
  w->callback = Napi::Persistent(info[1].As<Napi::Function>());
  w->poll.data = w;
  int rc = uv_poll_init(loop, &w->poll, w->fd);
  if (rc != 0) {
    delete w;
    throw Napi::Error::New(env, std::string("watchEventfd: ") + uv_strerror(rc));
  }
  rc = uv_poll_start(&w->poll, UV_READABLE, on_readable);
  if (rc != 0) {
    w->stopped = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), on_closed);
    throw Napi::Error::New(env, std::string("watchEventfd: ") + uv_strerror(rc));
  }
  // The watch does not keep Node alive by itself: a running machine's loop does (it sleeps with a
  // timer held), and a machine that has exited without destroy() must not hold the process.
  uv_unref(reinterpret_cast<uv_handle_t*>(&w->poll));
  Napi::Object handle = Napi::Object::New(env);
  handle.Set("closed", false);
  handle.Set("close", Napi::Function::New(env, [](const Napi::CallbackInfo& ci) {
    // The Watch is freed once libuv has closed it: a second close() must not touch it.
    Napi::Object self = ci.This().As<Napi::Object>();
    if (self.Get("closed").ToBoolean()) return ci.Env().Undefined();
    self.Set("closed", true);
    stop(static_cast<Watch*>(ci.Data()));
    return ci.Env().Undefined();
  }, "close", w));
  return handle;
}

}  // namespace tsv::vfio
