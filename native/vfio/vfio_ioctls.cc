// The VFIO ioctls tsvisor uses (linux/vfio.h, Documentation/driver-api/vfio.rst):
// the container (API version, IOMMU type, DMA map/unmap), the group (status,
// attach to a container, get a device), the device (info, region info, IRQ
// info, SET_IRQS, reset). Each is a thin wrapper: one ioctl, checked
// arguments, an errno error; the order and the policy are the caller's.
#include <fcntl.h>
#include <linux/vfio.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>
#include "addon/napi_args.h"
#include "vfio/vfio_addon.h"

namespace tsv::vfio {
namespace {

using tsv::napi::number_arg;

int fd_arg(const Napi::CallbackInfo& info, size_t k, const char* what) {
  double v = number_arg(info, k, what);
  if (v > 0x7fffffff) throw Napi::RangeError::New(info.Env(), std::string(what) + " must be a file descriptor");
  return (int)v;
}

std::string string_arg(const Napi::CallbackInfo& info, size_t k, const char* what) {
  if (info.Length() <= k || !info[k].IsString()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a string");
  return info[k].As<Napi::String>().Utf8Value();
}

int open_rdwr(Napi::Env env, const std::string& path) {
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) throw_errno(env, ("open " + path).c_str(), errno);
  return fd;
}

// containerOpen(path) -> { fd, iommuType }: the API version is checked; iommuType is
// VFIO_TYPE1v2_IOMMU or VFIO_TYPE1_IOMMU when the kernel offers one, else 0.
Napi::Value container_open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = string_arg(info, 0, "path");
  int fd = open_rdwr(env, path);
  int version = ioctl(fd, VFIO_GET_API_VERSION);
  if (version != VFIO_API_VERSION) {
    int err = errno;
    close(fd);
    if (version < 0) throw_errno(env, "VFIO_GET_API_VERSION", err);
    Napi::Error e = Napi::Error::New(env, "VFIO API version " + std::to_string(version) + ", expected " + std::to_string(VFIO_API_VERSION));
    e.Set("code", Napi::String::New(env, "EVFIOVERSION"));
    throw e;
  }
  int type = 0;
  if (ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0) type = VFIO_TYPE1v2_IOMMU;
  else if (ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) > 0) type = VFIO_TYPE1_IOMMU;
  Napi::Object out = Napi::Object::New(env);
  out.Set("fd", fd);
  out.Set("iommuType", type);
  return out;
}

// groupOpen(path) -> { fd, viable }: viable = every device of the group is bound to a VFIO driver (or none).
Napi::Value group_open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = string_arg(info, 0, "path");
  int fd = open_rdwr(env, path);
  vfio_group_status status{};
  status.argsz = sizeof(status);
  if (ioctl(fd, VFIO_GROUP_GET_STATUS, &status) < 0) {
    int err = errno;
    close(fd);
    throw_errno(env, "VFIO_GROUP_GET_STATUS", err);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("fd", fd);
  out.Set("viable", (status.flags & VFIO_GROUP_FLAGS_VIABLE) != 0);
  return out;
}

// groupSetContainer(groupFd, containerFd)
Napi::Value group_set_container(const Napi::CallbackInfo& info) {
  int group = fd_arg(info, 0, "groupFd");
  int container = fd_arg(info, 1, "containerFd");
  if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) < 0) throw_errno(info.Env(), "VFIO_GROUP_SET_CONTAINER", errno);
  return info.Env().Undefined();
}

// setIommu(containerFd, type)
Napi::Value set_iommu(const Napi::CallbackInfo& info) {
  int container = fd_arg(info, 0, "containerFd");
  unsigned long type = (unsigned long)number_arg(info, 1, "type");
  if (ioctl(container, VFIO_SET_IOMMU, type) < 0) throw_errno(info.Env(), "VFIO_SET_IOMMU", errno);
  return info.Env().Undefined();
}

// groupGetDevice(groupFd, "DDDD:BB:DD.F") -> device fd
Napi::Value group_get_device(const Napi::CallbackInfo& info) {
  int group = fd_arg(info, 0, "groupFd");
  std::string name = string_arg(info, 1, "name");
  int fd = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, name.c_str());
  if (fd < 0) throw_errno(info.Env(), "VFIO_GROUP_GET_DEVICE_FD", errno);
  return Napi::Number::New(info.Env(), fd);
}

// deviceInfo(fd) -> { flags, numRegions, numIrqs, reset }
Napi::Value device_info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = fd_arg(info, 0, "deviceFd");
  vfio_device_info di{};
  di.argsz = sizeof(di);
  if (ioctl(fd, VFIO_DEVICE_GET_INFO, &di) < 0) throw_errno(env, "VFIO_DEVICE_GET_INFO", errno);
  Napi::Object out = Napi::Object::New(env);
  out.Set("flags", di.flags);
  out.Set("numRegions", di.num_regions);
  out.Set("numIrqs", di.num_irqs);
  out.Set("reset", (di.flags & VFIO_DEVICE_FLAGS_RESET) != 0);
  out.Set("pci", (di.flags & VFIO_DEVICE_FLAGS_PCI) != 0);
  return out;
}

// regionInfo(fd, index) -> { size, offset, readable, writable, mmap }
Napi::Value region_info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = fd_arg(info, 0, "deviceFd");
  vfio_region_info ri{};
  ri.argsz = sizeof(ri);
  ri.index = (uint32_t)number_arg(info, 1, "index");
  if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0) throw_errno(env, "VFIO_DEVICE_GET_REGION_INFO", errno);
  Napi::Object out = Napi::Object::New(env);
  out.Set("size", (double)ri.size);
  out.Set("offset", (double)ri.offset);
  out.Set("readable", (ri.flags & VFIO_REGION_INFO_FLAG_READ) != 0);
  out.Set("writable", (ri.flags & VFIO_REGION_INFO_FLAG_WRITE) != 0);
  out.Set("mmap", (ri.flags & VFIO_REGION_INFO_FLAG_MMAP) != 0);
  return out;
}

// irqInfo(fd, index) -> { count, eventfd, maskable, automasked }
Napi::Value irq_info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = fd_arg(info, 0, "deviceFd");
  vfio_irq_info ii{};
  ii.argsz = sizeof(ii);
  ii.index = (uint32_t)number_arg(info, 1, "index");
  if (ioctl(fd, VFIO_DEVICE_GET_IRQ_INFO, &ii) < 0) throw_errno(env, "VFIO_DEVICE_GET_IRQ_INFO", errno);
  Napi::Object out = Napi::Object::New(env);
  out.Set("count", ii.count);
  out.Set("eventfd", (ii.flags & VFIO_IRQ_INFO_EVENTFD) != 0);
  out.Set("maskable", (ii.flags & VFIO_IRQ_INFO_MASKABLE) != 0);
  out.Set("automasked", (ii.flags & VFIO_IRQ_INFO_AUTOMASKED) != 0);
  return out;
}

// setIrqs(fd, index, action, start, count, eventfds?): action 'trigger' | 'mask' | 'unmask'.
// With eventfds (an array of count descriptors, -1 = none for that vector) the data is
// eventfds; without, the action applies at once (trigger with count 0 disables the index).
Napi::Value set_irqs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = fd_arg(info, 0, "deviceFd");
  uint32_t index = (uint32_t)number_arg(info, 1, "index");
  std::string action = string_arg(info, 2, "action");
  uint32_t start = (uint32_t)number_arg(info, 3, "start");
  uint32_t count = (uint32_t)number_arg(info, 4, "count");
  uint32_t flags;
  if (action == "trigger") flags = VFIO_IRQ_SET_ACTION_TRIGGER;
  else if (action == "mask") flags = VFIO_IRQ_SET_ACTION_MASK;
  else if (action == "unmask") flags = VFIO_IRQ_SET_ACTION_UNMASK;
  else throw Napi::RangeError::New(env, "setIrqs: action must be 'trigger', 'mask' or 'unmask'");
  std::vector<int32_t> fds;
  bool with_fds = info.Length() > 5 && !info[5].IsUndefined();
  if (with_fds) {
    if (!info[5].IsArray()) throw Napi::TypeError::New(env, "setIrqs: eventfds must be an array of numbers");
    Napi::Array a = info[5].As<Napi::Array>();
    if (a.Length() != count) throw Napi::RangeError::New(env, "setIrqs: eventfds must hold count descriptors");
    for (uint32_t k = 0; k < count; k++) {
      Napi::Value v = a.Get(k);
      if (!v.IsNumber()) throw Napi::TypeError::New(env, "setIrqs: eventfds must be an array of numbers");
      fds.push_back(v.As<Napi::Number>().Int32Value());
    }
  }
  std::vector<uint8_t> buf(sizeof(vfio_irq_set) + fds.size() * sizeof(int32_t));
  auto* set = reinterpret_cast<vfio_irq_set*>(buf.data());
  set->argsz = (uint32_t)buf.size();
  set->flags = flags | (with_fds ? VFIO_IRQ_SET_DATA_EVENTFD : VFIO_IRQ_SET_DATA_NONE);
  set->index = index;
  set->start = start;
  set->count = count;
  if (!fds.empty()) std::memcpy(set->data, fds.data(), fds.size() * sizeof(int32_t));
  if (ioctl(fd, VFIO_DEVICE_SET_IRQS, set) < 0) throw_errno(env, "VFIO_DEVICE_SET_IRQS", errno);
  return env.Undefined();
}

// deviceReset(fd)
Napi::Value device_reset(const Napi::CallbackInfo& info) {
  int fd = fd_arg(info, 0, "deviceFd");
  if (ioctl(fd, VFIO_DEVICE_RESET) < 0) throw_errno(info.Env(), "VFIO_DEVICE_RESET", errno);
  return info.Env().Undefined();
}

// dmaMap(containerFd, buffer, bufferOffset, iova, size): the buffer's bytes become readable
// and writable by the container's devices at iova (pinned by the kernel until unmapped).
Napi::Value dma_map(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = fd_arg(info, 0, "containerFd");
  if (info.Length() < 2 || !info[1].IsArrayBuffer()) throw Napi::TypeError::New(env, "dmaMap: buffer must be an ArrayBuffer");
  Napi::ArrayBuffer buffer = info[1].As<Napi::ArrayBuffer>();
  double offset = number_arg(info, 2, "bufferOffset");
  double iova = number_arg(info, 3, "iova");
  double size = number_arg(info, 4, "size");
  if (size == 0 || offset + size > (double)buffer.ByteLength()) throw Napi::RangeError::New(env, "dmaMap: the range is outside the buffer");
  vfio_iommu_type1_dma_map map{};
  map.argsz = sizeof(map);
  map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
  map.vaddr = (uint64_t)(uintptr_t)((uint8_t*)buffer.Data() + (size_t)offset);
  map.iova = (uint64_t)iova;
  map.size = (uint64_t)size;
  if (ioctl(fd, VFIO_IOMMU_MAP_DMA, &map) < 0) throw_errno(env, "VFIO_IOMMU_MAP_DMA", errno);
  return env.Undefined();
}

// dmaUnmap(containerFd, iova, size)
Napi::Value dma_unmap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = fd_arg(info, 0, "containerFd");
  vfio_iommu_type1_dma_unmap unmap{};
  unmap.argsz = sizeof(unmap);
  unmap.iova = (uint64_t)number_arg(info, 1, "iova");
  unmap.size = (uint64_t)number_arg(info, 2, "size");
  if (ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &unmap) < 0) throw_errno(env, "VFIO_IOMMU_UNMAP_DMA", errno);
  return env.Undefined();
}

}  // namespace

void register_exports(Napi::Env env, Napi::Object exports) {
  Napi::Object v = Napi::Object::New(env);
  v.Set("containerOpen", Napi::Function::New(env, container_open, "containerOpen"));
  v.Set("groupOpen", Napi::Function::New(env, group_open, "groupOpen"));
  v.Set("groupSetContainer", Napi::Function::New(env, group_set_container, "groupSetContainer"));
  v.Set("setIommu", Napi::Function::New(env, set_iommu, "setIommu"));
  v.Set("groupGetDevice", Napi::Function::New(env, group_get_device, "groupGetDevice"));
  v.Set("deviceInfo", Napi::Function::New(env, device_info, "deviceInfo"));
  v.Set("regionInfo", Napi::Function::New(env, region_info, "regionInfo"));
  v.Set("irqInfo", Napi::Function::New(env, irq_info, "irqInfo"));
  v.Set("setIrqs", Napi::Function::New(env, set_irqs, "setIrqs"));
  v.Set("deviceReset", Napi::Function::New(env, device_reset, "deviceReset"));
  v.Set("dmaMap", Napi::Function::New(env, dma_map, "dmaMap"));
  v.Set("dmaUnmap", Napi::Function::New(env, dma_unmap, "dmaUnmap"));
  v.Set("createEventfd", Napi::Function::New(env, create_eventfd, "createEventfd"));
  v.Set("watchEventfd", Napi::Function::New(env, watch_eventfd, "watchEventfd"));
  exports.Set("vfio", v);
}

}  // namespace tsv::vfio
