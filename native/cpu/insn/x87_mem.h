// x87 memory operands as extended-precision numbers: m32fp, m64fp, m16int,
// m32int, m64int (exact conversions; denormal and SNaN sources keep their class
// so the operation raises DE/IE).
#pragma once
#include "cpu/insn/x87.h"

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv {
namespace x87 {

enum MemKind : unsigned { MK_F32, MK_F64, MK_I16, MK_I32, MK_I64 };

template <unsigned MK> TSV_INLINE fp80::Num read_num(Cpu& c, const Insn* i, uint64_t off) {
  if constexpr (MK == MK_F32) return fp80::unpack_f32(rd<uint32_t>(c, i->seg, off));
  else if constexpr (MK == MK_F64) return fp80::unpack_f64(rd<uint64_t>(c, i->seg, off));
  else if constexpr (MK == MK_I16) return fp80::from_int((int16_t)rd<uint16_t>(c, i->seg, off));
  else if constexpr (MK == MK_I32) return fp80::from_int((int32_t)rd<uint32_t>(c, i->seg, off));
  else return fp80::from_int((int64_t)rd<uint64_t>(c, i->seg, off));
}

// 80-bit memory values (FLD/FSTP m80, FBLD/FBSTP, FSAVE images)
TSV_INLINE Fp80 rd_m80(Cpu& c, int seg, uint64_t off) {
  Fp80 v;
  v.mant = rd<uint64_t>(c, seg, off);
  v.se = rd<uint16_t>(c, seg, off + 8);
  return v;
}
TSV_INLINE void wr_m80(Cpu& c, int seg, uint64_t off, Fp80 v) {
  probe_write(c, seg, off, 10);
  wr<uint64_t>(c, seg, off, v.mant);
  wr<uint16_t>(c, seg, off + 8, v.se);
}

}  // namespace x87
}  // namespace tsv
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
