// SSSE3 (0F 38 00-0B, 1C-1E; 0F 3A 0F): byte shuffle, horizontal add/subtract,
// multiply-add of unsigned by signed bytes, rounded high multiply, sign and
// absolute value, byte alignment. Each operation is written once for N bytes
// of operand (ssse3_ops.h): N = 16 for the xmm forms registered here (66
// prefix). The mm forms (no prefix) need the MMX availability check with its
// pending-x87-exception (#MF) rule, which the x87 files provide.
#include "cpu/insn/ssse3_ops.h"

namespace tsv {

void register_ssse3(OpTables& t) {
  sse_op(t, MAP_0F38, 0x00, PFX_66, 0, SSE_VxWx<ssse3::pshufb<16>>);
  sse_op(t, MAP_0F38, 0x01, PFX_66, 0, SSE_VxWx<ssse3::phaddw<16>>);
  sse_op(t, MAP_0F38, 0x02, PFX_66, 0, SSE_VxWx<ssse3::phaddd<16>>);
  sse_op(t, MAP_0F38, 0x03, PFX_66, 0, SSE_VxWx<ssse3::phaddsw<16>>);
  sse_op(t, MAP_0F38, 0x04, PFX_66, 0, SSE_VxWx<ssse3::pmaddubsw<16>>);
  sse_op(t, MAP_0F38, 0x05, PFX_66, 0, SSE_VxWx<ssse3::phsubw<16>>);
  sse_op(t, MAP_0F38, 0x06, PFX_66, 0, SSE_VxWx<ssse3::phsubd<16>>);
  sse_op(t, MAP_0F38, 0x07, PFX_66, 0, SSE_VxWx<ssse3::phsubsw<16>>);
  sse_op(t, MAP_0F38, 0x08, PFX_66, 0, SSE_VxWx<ssse3::psign<int8_t, 16>>);
  sse_op(t, MAP_0F38, 0x09, PFX_66, 0, SSE_VxWx<ssse3::psign<int16_t, 16>>);
  sse_op(t, MAP_0F38, 0x0a, PFX_66, 0, SSE_VxWx<ssse3::psign<int32_t, 16>>);
  sse_op(t, MAP_0F38, 0x0b, PFX_66, 0, SSE_VxWx<ssse3::pmulhrsw<16>>);
  sse_op(t, MAP_0F38, 0x1c, PFX_66, 0, SSE_VxWx<ssse3::pabs<int8_t, 16>>);
  sse_op(t, MAP_0F38, 0x1d, PFX_66, 0, SSE_VxWx<ssse3::pabs<int16_t, 16>>);
  sse_op(t, MAP_0F38, 0x1e, PFX_66, 0, SSE_VxWx<ssse3::pabs<int32_t, 16>>);
  sse_op(t, MAP_0F3A, 0x0f, PFX_66, 0, SSE_VxWxIb<ssse3::palignr<16>>);
}

}  // namespace tsv
