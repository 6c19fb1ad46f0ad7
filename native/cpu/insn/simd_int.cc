// The MMX and SSE2 integer instruction families (simd_int_*.cc) as one registration.
#include "cpu/simd_int.h"

namespace tsv {

void register_simd_int(OpTables& t) {
  register_simd_int_move(t);
  register_simd_int_arith(t);
  register_simd_int_logic(t);
  register_simd_int_shift(t);
  register_simd_int_shuffle(t);
}

}  // namespace tsv
