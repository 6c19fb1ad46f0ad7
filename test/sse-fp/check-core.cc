// Checks native/cpu/sse_fp.cc against the host CPU's SSE unit: every scalar
// operation of the core, on random and boundary operands, under random MXCSR
// control (rounding, DAZ, FTZ; exceptions masked), comparing result bits and
// the exception flags; with some exceptions unmasked, whether the instruction
// faults (#XM, SIGFPE here) and the flags it reports. x86-64 hosts only (inline asm); built and run by
// test/sse-fp/core.test.ts. Prints the first mismatches and exits 1 on any.
//
//   check-core [iterations-per-op] [seed]
#include <csetjmp>
#include <csignal>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include <ucontext.h>

#include "cpu/sse_fp.h"

using namespace tsv::sfp;

namespace {

uint64_t rng_state;
uint64_t rnd() {  // xorshift64*
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1Dull;
}

// Operands that reach every path: specials, denormals, the edges of the
// normal range, near-ties, integers, and random bit patterns.
template <int M, int EB> uint64_t operand(uint64_t other) {
  const uint64_t emax = (1ull << EB) - 1, frac = (1ull << M) - 1;
  uint64_t sign = (rnd() & 1) ? 1ull << (M + EB) : 0;
  uint64_t f = rnd() & frac;
  if (rnd() & 1) f &= ~(frac >> (rnd() % (M + 1)));  // few significant bits
  switch (rnd() % 16) {
    case 0: return sign;                                           // zero
    case 1: return sign | (f ? f : 1);                             // denormal
    case 2: return sign | (emax << M);                             // infinity
    case 3: return sign | (emax << M) | (1ull << (M - 1)) | f;     // QNaN
    case 4: return sign | (emax << M) | ((f >> 1) ? (f >> 1) : 1); // SNaN
    case 5: return sign | ((uint64_t)(1 + rnd() % 3) << M) | f;    // just above the normal minimum
    case 6: return sign | ((emax - 1 - rnd() % 3) << M) | f;       // near the maximum
    case 7: return other ^ (rnd() & 7);                            // a few ulps from the other operand
    case 8: return (other ^ (1ull << (M + EB))) + (rnd() % 5) - 2; // cancellation
    case 9: {                                                      // exponent near the other's
      uint64_t e = (other >> M) & emax;
      e = e + (rnd() % 70) - 35;
      if (e >= emax) e = 1;
      return sign | (e << M) | f;
    }
    case 10: return sign | ((uint64_t)((1ull << (EB - 1)) - 1 + rnd() % (M + 12)) << M) | f;  // integer-sized
    default: return M + EB + 1 == 64 ? rnd() : rnd() & ((1ull << ((M + EB + 1) & 63)) - 1);  // any pattern
  }
}
uint32_t op32(uint32_t other = 0) { return (uint32_t)operand<23, 8>(other); }
uint64_t op64(uint64_t other = 0) { return operand<52, 11>(other); }

uint32_t random_mxcsr() {
  uint32_t m = 0x1f80;                    // all masked
  if (rnd() % 4 == 0) m &= ~((uint32_t)(rnd() & 0x3f) << 7);  // some unmasked
  m |= (uint32_t)(rnd() & 3) << 13;       // RC
  if (rnd() % 3 == 0) m |= 0x40;          // DAZ
  if (rnd() % 3 == 0) m |= 0x8000;        // FTZ
  if (rnd() % 4 == 0) m |= 0x20;          // PE already set: the core's host fast path
  return m;
}

const uint32_t host_default_mxcsr = 0x1f80;

// ---- host instructions: ldmxcsr, op, stmxcsr, restore
#define HOST_BIN(name, T, insn)                                                                       \
  uint64_t name(uint64_t a, uint64_t b, uint32_t& mx) {                                               \
    T x, y;                                                                                           \
    std::memcpy(&x, &a, sizeof x);                                                                    \
    std::memcpy(&y, &b, sizeof y);                                                                    \
    asm volatile("ldmxcsr %[m]\n\t" insn " %[y], %[x]\n\tstmxcsr %[m]\n\tldmxcsr %[d]"               \
                 : [x] "+x"(x), [m] "+m"(mx)                                                          \
                 : [y] "x"(y), [d] "m"(host_default_mxcsr));                                          \
    uint64_t r = 0;                                                                                   \
    std::memcpy(&r, &x, sizeof x);                                                                    \
    return r;                                                                                         \
  }
HOST_BIN(h_addss, float, "addss")
HOST_BIN(h_subss, float, "subss")
HOST_BIN(h_mulss, float, "mulss")
HOST_BIN(h_divss, float, "divss")
HOST_BIN(h_minss, float, "minss")
HOST_BIN(h_maxss, float, "maxss")
HOST_BIN(h_sqrtss, float, "sqrtss")  // x = sqrt(y)
HOST_BIN(h_addsd, double, "addsd")
HOST_BIN(h_subsd, double, "subsd")
HOST_BIN(h_mulsd, double, "mulsd")
HOST_BIN(h_divsd, double, "divsd")
HOST_BIN(h_minsd, double, "minsd")
HOST_BIN(h_maxsd, double, "maxsd")
HOST_BIN(h_sqrtsd, double, "sqrtsd")

template <int PRED> uint64_t h_cmpss(uint64_t a, uint64_t b, uint32_t& mx) {
  float x, y;
  uint32_t ua = (uint32_t)a, ub = (uint32_t)b;
  std::memcpy(&x, &ua, 4);
  std::memcpy(&y, &ub, 4);
  asm volatile("ldmxcsr %[m]\n\tcmpss %[p], %[y], %[x]\n\tstmxcsr %[m]\n\tldmxcsr %[d]"
               : [x] "+x"(x), [m] "+m"(mx)
               : [y] "x"(y), [p] "i"(PRED), [d] "m"(host_default_mxcsr));
  uint32_t r;
  std::memcpy(&r, &x, 4);
  return r;
}
template <int PRED> uint64_t h_cmpsd(uint64_t a, uint64_t b, uint32_t& mx) {
  double x, y;
  std::memcpy(&x, &a, 8);
  std::memcpy(&y, &b, 8);
  asm volatile("ldmxcsr %[m]\n\tcmpsd %[p], %[y], %[x]\n\tstmxcsr %[m]\n\tldmxcsr %[d]"
               : [x] "+x"(x), [m] "+m"(mx)
               : [y] "x"(y), [p] "i"(PRED), [d] "m"(host_default_mxcsr));
  uint64_t r;
  std::memcpy(&r, &x, 8);
  return r;
}
// COMIS*/UCOMIS*: returns ZF PF CF as bits 2 1 0
#define HOST_COMI(name, T, insn)                                                                       \
  uint64_t name(uint64_t a, uint64_t b, uint32_t& mx) {                                                \
    T x, y;                                                                                            \
    std::memcpy(&x, &a, sizeof x);                                                                     \
    std::memcpy(&y, &b, sizeof y);                                                                     \
    uint64_t fl;                                                                                       \
    asm volatile("ldmxcsr %[m]\n\t" insn " %[y], %[x]\n\tpushfq\n\tpopq %[f]\n\tstmxcsr %[m]\n\tldmxcsr %[d]" \
                 : [f] "=&r"(fl), [m] "+m"(mx)                                                          \
                 : [x] "x"(x), [y] "x"(y), [d] "m"(host_default_mxcsr)                                 \
                 : "cc");                                                                              \
    return ((fl >> 6) & 1) << 2 | ((fl >> 2) & 1) << 1 | (fl & 1);                                     \
  }
HOST_COMI(h_comiss, float, "comiss")
HOST_COMI(h_ucomiss, float, "ucomiss")
HOST_COMI(h_comisd, double, "comisd")
HOST_COMI(h_ucomisd, double, "ucomisd")

// conversions: a is the source bits, result bits returned
#define HOST_CVT(name, TI, TO, insn, cons)                                                             \
  uint64_t name(uint64_t a, uint64_t, uint32_t& mx) {                                                  \
    TI x;                                                                                              \
    std::memcpy(&x, &a, sizeof x);                                                                     \
    TO y{};                                                                                            \
    asm volatile("ldmxcsr %[m]\n\t" insn " %[x], %[y]\n\tstmxcsr %[m]\n\tldmxcsr %[d]"                \
                 : [y] "+" cons(y), [m] "+m"(mx)                                                       \
                 : [x] "x"(x), [d] "m"(host_default_mxcsr));                                           \
    uint64_t r = 0;                                                                                    \
    std::memcpy(&r, &y, sizeof y);                                                                     \
    return r;                                                                                          \
  }
#define HOST_CVT_FROM_INT(name, TI, TO, insn)                                                          \
  uint64_t name(uint64_t a, uint64_t, uint32_t& mx) {                                                  \
    TI x = (TI)a;                                                                                      \
    TO y{};                                                                                            \
    asm volatile("ldmxcsr %[m]\n\t" insn " %[x], %[y]\n\tstmxcsr %[m]\n\tldmxcsr %[d]"                \
                 : [y] "+x"(y), [m] "+m"(mx)                                                           \
                 : [x] "r"(x), [d] "m"(host_default_mxcsr));                                           \
    uint64_t r = 0;                                                                                    \
    std::memcpy(&r, &y, sizeof y);                                                                     \
    return r;                                                                                          \
  }
HOST_CVT(h_cvtss2sd, float, double, "cvtss2sd", "x")
HOST_CVT(h_cvtsd2ss, double, float, "cvtsd2ss", "x")
HOST_CVT(h_cvtss2si32, float, int32_t, "cvtss2si", "r")
HOST_CVT(h_cvttss2si32, float, int32_t, "cvttss2si", "r")
HOST_CVT(h_cvtss2si64, float, int64_t, "cvtss2si", "r")
HOST_CVT(h_cvttss2si64, float, int64_t, "cvttss2si", "r")
HOST_CVT(h_cvtsd2si32, double, int32_t, "cvtsd2si", "r")
HOST_CVT(h_cvttsd2si32, double, int32_t, "cvttsd2si", "r")
HOST_CVT(h_cvtsd2si64, double, int64_t, "cvtsd2si", "r")
HOST_CVT(h_cvttsd2si64, double, int64_t, "cvttsd2si", "r")
HOST_CVT_FROM_INT(h_cvtsi2ss32, int32_t, float, "cvtsi2ssl")
HOST_CVT_FROM_INT(h_cvtsi2ss64, int64_t, float, "cvtsi2ssq")
HOST_CVT_FROM_INT(h_cvtsi2sd32, int32_t, double, "cvtsi2sdl")
HOST_CVT_FROM_INT(h_cvtsi2sd64, int64_t, double, "cvtsi2sdq")
template <int IMM> uint64_t h_roundss(uint64_t a, uint64_t, uint32_t& mx) {
  float x, y{};
  uint32_t ua = (uint32_t)a;
  std::memcpy(&x, &ua, 4);
  asm volatile("ldmxcsr %[m]\n\troundss %[i], %[x], %[y]\n\tstmxcsr %[m]\n\tldmxcsr %[d]"
               : [y] "+x"(y), [m] "+m"(mx)
               : [x] "x"(x), [i] "i"(IMM), [d] "m"(host_default_mxcsr));
  uint32_t r;
  std::memcpy(&r, &y, 4);
  return r;
}
template <int IMM> uint64_t h_roundsd(uint64_t a, uint64_t, uint32_t& mx) {
  double x, y{};
  std::memcpy(&x, &a, 8);
  asm volatile("ldmxcsr %[m]\n\troundsd %[i], %[x], %[y]\n\tstmxcsr %[m]\n\tldmxcsr %[d]"
               : [y] "+x"(y), [m] "+m"(mx)
               : [x] "x"(x), [i] "i"(IMM), [d] "m"(host_default_mxcsr));
  uint64_t r;
  std::memcpy(&r, &y, 8);
  return r;
}

// ---- SIGFPE: the MXCSR the faulting instruction left
sigjmp_buf trap_jump;
volatile uint32_t trap_mxcsr;
void on_sigfpe(int, siginfo_t*, void* ctx) {
  trap_mxcsr = static_cast<ucontext_t*>(ctx)->uc_mcontext.fpregs->mxcsr;
  siglongjmp(trap_jump, 1);
}
// Runs a host instruction; false (and the MXCSR at the fault in mx) when it faulted.
bool host_run(uint64_t (*fn)(uint64_t, uint64_t, uint32_t&), uint64_t a, uint64_t b, uint32_t& mx, uint64_t& r) {
  if (sigsetjmp(trap_jump, 1)) {
    asm volatile("ldmxcsr %0" : : "m"(host_default_mxcsr));
    mx = trap_mxcsr;
    return false;
  }
  r = fn(a, b, mx);
  return true;
}

// ---- the core, same shape: (a, b, env) -> result bits
using CoreFn = uint64_t (*)(Env&, uint64_t, uint64_t);
using HostFn = uint64_t (*)(uint64_t, uint64_t, uint32_t&);

uint64_t comi_bits(Relation r) {
  switch (r) {
    case REL_UNORDERED: return 7;
    case REL_LESS: return 1;
    case REL_EQUAL: return 4;
    default: return 0;
  }
}
template <unsigned IMM> uint64_t c_roundss(Env& e, uint64_t a, uint64_t) {
  return f32_round_int(e, (uint32_t)a, (IMM & 4) ? e.rc() : IMM & 3, IMM & 8);
}
template <unsigned IMM> uint64_t c_roundsd(Env& e, uint64_t a, uint64_t) {
  return f64_round_int(e, a, (IMM & 4) ? e.rc() : IMM & 3, IMM & 8);
}
template <unsigned P> uint64_t c_cmpss(Env& e, uint64_t a, uint64_t b) {
  return f32_cmp_pred(e, (uint32_t)a, (uint32_t)b, P) ? 0xffffffffu : 0;
}
template <unsigned P> uint64_t c_cmpsd(Env& e, uint64_t a, uint64_t b) {
  return f64_cmp_pred(e, a, b, P) ? ~0ull : 0;
}

enum Kind { K32, K64, KI32, KI64 };  // operand generator
struct Case {
  const char* name;
  Kind kind;
  bool unary;
  HostFn host;
  CoreFn core;
  uint64_t result_mask;
};

#define C32(f) [](Env& e, uint64_t a, uint64_t b) -> uint64_t { return f(e, (uint32_t)a, (uint32_t)b); }
#define C64(f) [](Env& e, uint64_t a, uint64_t b) -> uint64_t { return f(e, a, b); }

const Case cases[] = {
    {"addss", K32, false, h_addss, C32(f32_add), 0xffffffff},
    {"subss", K32, false, h_subss, C32(f32_sub), 0xffffffff},
    {"mulss", K32, false, h_mulss, C32(f32_mul), 0xffffffff},
    {"divss", K32, false, h_divss, C32(f32_div), 0xffffffff},
    {"minss", K32, false, h_minss, C32(f32_min), 0xffffffff},
    {"maxss", K32, false, h_maxss, C32(f32_max), 0xffffffff},
    {"sqrtss", K32, true, [](uint64_t a, uint64_t, uint32_t& m) { return h_sqrtss(0, a, m); },
     [](Env& e, uint64_t a, uint64_t) -> uint64_t { return f32_sqrt(e, (uint32_t)a); }, 0xffffffff},
    {"addsd", K64, false, h_addsd, C64(f64_add), ~0ull},
    {"subsd", K64, false, h_subsd, C64(f64_sub), ~0ull},
    {"mulsd", K64, false, h_mulsd, C64(f64_mul), ~0ull},
    {"divsd", K64, false, h_divsd, C64(f64_div), ~0ull},
    {"minsd", K64, false, h_minsd, C64(f64_min), ~0ull},
    {"maxsd", K64, false, h_maxsd, C64(f64_max), ~0ull},
    {"sqrtsd", K64, true, [](uint64_t a, uint64_t, uint32_t& m) { return h_sqrtsd(0, a, m); },
     [](Env& e, uint64_t a, uint64_t) -> uint64_t { return f64_sqrt(e, a); }, ~0ull},
    {"cmpss0", K32, false, h_cmpss<0>, c_cmpss<0>, 0xffffffff},
    {"cmpss1", K32, false, h_cmpss<1>, c_cmpss<1>, 0xffffffff},
    {"cmpss2", K32, false, h_cmpss<2>, c_cmpss<2>, 0xffffffff},
    {"cmpss3", K32, false, h_cmpss<3>, c_cmpss<3>, 0xffffffff},
    {"cmpss4", K32, false, h_cmpss<4>, c_cmpss<4>, 0xffffffff},
    {"cmpss5", K32, false, h_cmpss<5>, c_cmpss<5>, 0xffffffff},
    {"cmpss6", K32, false, h_cmpss<6>, c_cmpss<6>, 0xffffffff},
    {"cmpss7", K32, false, h_cmpss<7>, c_cmpss<7>, 0xffffffff},
    {"cmpsd1", K64, false, h_cmpsd<1>, c_cmpsd<1>, ~0ull},
    {"cmpsd3", K64, false, h_cmpsd<3>, c_cmpsd<3>, ~0ull},
    {"cmpsd4", K64, false, h_cmpsd<4>, c_cmpsd<4>, ~0ull},
    {"cmpsd6", K64, false, h_cmpsd<6>, c_cmpsd<6>, ~0ull},
    {"comiss", K32, false, h_comiss,
     [](Env& e, uint64_t a, uint64_t b) { return comi_bits(f32_compare(e, (uint32_t)a, (uint32_t)b, true)); }, 7},
    {"ucomiss", K32, false, h_ucomiss,
     [](Env& e, uint64_t a, uint64_t b) { return comi_bits(f32_compare(e, (uint32_t)a, (uint32_t)b, false)); }, 7},
    {"comisd", K64, false, h_comisd, [](Env& e, uint64_t a, uint64_t b) { return comi_bits(f64_compare(e, a, b, true)); }, 7},
    {"ucomisd", K64, false, h_ucomisd, [](Env& e, uint64_t a, uint64_t b) { return comi_bits(f64_compare(e, a, b, false)); }, 7},
    {"cvtss2sd", K32, true, h_cvtss2sd, [](Env& e, uint64_t a, uint64_t) { return f32_to_f64(e, (uint32_t)a); }, ~0ull},
    {"cvtsd2ss", K64, true, h_cvtsd2ss, [](Env& e, uint64_t a, uint64_t) -> uint64_t { return f64_to_f32(e, a); }, 0xffffffff},
    {"cvtss2si32", K32, true, h_cvtss2si32, [](Env& e, uint64_t a, uint64_t) -> uint64_t { return (uint32_t)f32_to_i32(e, (uint32_t)a, false); }, 0xffffffff},
    {"cvttss2si32", K32, true, h_cvttss2si32, [](Env& e, uint64_t a, uint64_t) -> uint64_t { return (uint32_t)f32_to_i32(e, (uint32_t)a, true); }, 0xffffffff},
    {"cvtss2si64", K32, true, h_cvtss2si64, [](Env& e, uint64_t a, uint64_t) -> uint64_t { return (uint64_t)f32_to_i64(e, (uint32_t)a, false); }, ~0ull},
    {"cvttss2si64", K32, true, h_cvttss2si64, [](Env& e, uint64_t a, uint64_t) -> uint64_t { return (uint64_t)f32_to_i64(e, (uint32_t)a, true); }, ~0ull},
    {"cvtsd2si32", K64, true, h_cvtsd2si32, [](Env& e, uint64_t a, uint64_t) -> uint64_t { return (uint32_t)f64_to_i32(e, a, false); }, 0xffffffff},
    {"cvttsd2si32", K64, true, h_cvttsd2si32, [](Env& e, uint64_t a, uint64_t) -> uint64_t { return (uint32_t)f64_to_i32(e, a, true); }, 0xffffffff},
    {"cvtsd2si64", K64, true, h_cvtsd2si64, [](Env& e, uint64_t a, uint64_t) -> uint64_t { return (uint64_t)f64_to_i64(e, a, false); }, ~0ull},
    {"cvttsd2si64", K64, true, h_cvttsd2si64, [](Env& e, uint64_t a, uint64_t) -> uint64_t { return (uint64_t)f64_to_i64(e, a, true); }, ~0ull},
    {"cvtsi2ss32", KI32, true, h_cvtsi2ss32, [](Env& e, uint64_t a, uint64_t) -> uint64_t { return i32_to_f32(e, (int32_t)a); }, 0xffffffff},
    {"cvtsi2ss64", KI64, true, h_cvtsi2ss64, [](Env& e, uint64_t a, uint64_t) -> uint64_t { return i64_to_f32(e, (int64_t)a); }, 0xffffffff},
    {"cvtsi2sd32", KI32, true, h_cvtsi2sd32, [](Env& e, uint64_t a, uint64_t) -> uint64_t { return i32_to_f64(e, (int32_t)a); }, ~0ull},
    {"cvtsi2sd64", KI64, true, h_cvtsi2sd64, [](Env& e, uint64_t a, uint64_t) -> uint64_t { return i64_to_f64(e, (int64_t)a); }, ~0ull},
    {"roundss0", K32, true, h_roundss<0>, c_roundss<0>, 0xffffffff},
    {"roundss1", K32, true, h_roundss<1>, c_roundss<1>, 0xffffffff},
    {"roundss2", K32, true, h_roundss<2>, c_roundss<2>, 0xffffffff},
    {"roundss3", K32, true, h_roundss<3>, c_roundss<3>, 0xffffffff},
    {"roundss4", K32, true, h_roundss<4>, c_roundss<4>, 0xffffffff},
    {"roundss12", K32, true, h_roundss<12>, c_roundss<12>, 0xffffffff},
    {"roundsd0", K64, true, h_roundsd<0>, c_roundsd<0>, ~0ull},
    {"roundsd5", K64, true, h_roundsd<5>, c_roundsd<5>, ~0ull},
    {"roundsd11", K64, true, h_roundsd<11>, c_roundsd<11>, ~0ull},
};

uint64_t int_operand(bool wide) {
  uint64_t v = rnd();
  unsigned bits = 1 + rnd() % (wide ? 64 : 32);
  v = bits == 64 ? v : v & ((1ull << bits) - 1);
  if (rnd() & 1) v = 0 - v;
  if (rnd() % 16 == 0) v = wide ? (rnd() & 1 ? 1ull << 63 : ~0ull >> 1) : (rnd() & 1 ? 0x80000000u : 0x7fffffffu);
  return wide ? v : (uint32_t)v;
}

}  // namespace

int main(int argc, char** argv) {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigfpe;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGFPE, &sa, nullptr);
  long iters = argc > 1 ? atol(argv[1]) : 200000;
  rng_state = argc > 2 ? strtoull(argv[2], nullptr, 0) : 0x9e3779b97f4a7c15ull;
  if (!rng_state) rng_state = 1;
  long failures = 0;
  for (const Case& c : cases) {
    long bad = 0;
    for (long k = 0; k < iters; k++) {
      uint64_t a, b;
      switch (c.kind) {
        case K32: a = op32(); b = op32((uint32_t)a); if (rnd() & 1) std::swap(a, b); break;
        case K64: a = op64(); b = op64(a); if (rnd() & 1) std::swap(a, b); break;
        case KI32: a = int_operand(false); b = 0; break;
        default: a = int_operand(true); b = 0; break;
      }
      uint32_t mx = random_mxcsr();
      uint32_t hmx = mx;
      uint64_t hr = 0;
      bool host_done = host_run(c.host, a, b, hmx, hr);
      hr &= c.result_mask;
      Env e(mx);
      uint64_t cr = c.core(e, a, b) & c.result_mask;
      Outcome o = outcome(e);
      uint32_t cmx = mx | o.flags;
      if (o.fault) cr = 0;  // no result: only the fault and the flags count
      if (!host_done) hr = 0;
      if (host_done == o.fault || hr != cr || hmx != cmx) {
        if (bad < 5)
          std::printf("%s mxcsr=%04x a=%016" PRIx64 " b=%016" PRIx64 ": host %016" PRIx64 " mxcsr %04x, core %016" PRIx64
                      " mxcsr %04x\n",
                      c.name, mx, a, b, hr, hmx, cr, cmx);
        if (bad < 5 && host_done == o.fault) std::printf("  (host %s, core %s)\n", host_done ? "completed" : "faulted", o.fault ? "faults" : "completes");
        bad++;
      }
    }
    if (bad) std::printf("%s: %ld of %ld differ\n", c.name, bad, iters);
    failures += bad;
  }
  std::printf("%s: %zu operations x %ld cases\n", failures ? "FAIL" : "ok", sizeof cases / sizeof cases[0], iters);
  return failures ? 1 : 0;
}
