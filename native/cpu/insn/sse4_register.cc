// register_sse4: SSE3, SSSE3, SSE4.1, SSE4.2, AES-NI and PCLMULQDQ, one call
// per instruction-family file.
#include "cpu/insn/sse4_lanes.h"

namespace tsv {

void register_sse4(OpTables& t) {
  register_sse3_moves(t);
  register_sse3_fp(t);
  register_sse41_fp(t);
  register_ssse3(t);
  register_sse41(t);
  register_sse41_insert_extract(t);
  register_sse42(t);
  register_sse42_string(t);
  register_aes(t);
  register_pclmul(t);
}

}  // namespace tsv
