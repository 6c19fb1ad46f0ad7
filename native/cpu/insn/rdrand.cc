// RDRAND (0F C7 /6) and RDSEED (0F C7 /7), register forms, 16/32/64-bit
// destinations. The value comes from the host's random source (host_random.h).
// CF = 1 with a value, CF = 0 and a zero destination without one; OF, SF, ZF,
// AF and PF are cleared. #UD unless CPUID offers the instruction, and with a
// LOCK (the decoder), F2 or F3 prefix (F3 0F C7 /7 would be RDPID, not offered).
#include "cpu/decoder.h"
#include "cpu/features.h"
#include "cpu/host_random.h"
#include "cpu/vm.h"

namespace tsv {
namespace {

template <bool SEED, class T> const Insn* random_to_reg(Cpu& c, const Insn* i) {
  const CpuFeatures& f = c.vm->features();
  if (!(SEED ? f.rdseed() : f.rdrand()) || (i->flags & (INSN_REP | INSN_REPNE))) raise_ud(c);
  T v = 0;
  bool ok = host_random(&v, sizeof v);
  if (!ok) v = 0;
  setr<T>(c, i->rm, v);
  set_arith_flags(c, ok ? F_CF : 0);
  return next(c, i);
}
template <class T> const Insn* RDRAND_Rv(Cpu& c, const Insn* i) { return random_to_reg<false, T>(c, i); }
template <class T> const Insn* RDSEED_Rv(Cpu& c, const Insn* i) { return random_to_reg<true, T>(c, i); }

}  // namespace

void register_rdrand(OpTables& t) {
  t.grp[G9_0FC7][6] = opd(D_REGONLY, TSV_HV(RDRAND_Rv));
  t.grp[G9_0FC7][7] = opd(D_REGONLY, TSV_HV(RDSEED_Rv));
}

}  // namespace tsv
