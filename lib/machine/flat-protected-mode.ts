/**
 * The 32-bit flat protected-mode state that firmware hands to an entry point
 * with paging off (the PVH entry, the ACPI 32-bit waking vector): CR4 and EFER
 * clear, CS an execute/read code segment and every data segment read/write,
 * all with base 0 and a 4 GiB limit. CR0 is the caller's: each entry defines
 * its own. The selectors name descriptors the guest is told nothing about.
 */
import * as abi from '../hypervisor/abi.generated.js';
import type { Vcpu } from '../hypervisor/vcpu.js';

export function setFlatProtectedMode32(vcpu: Vcpu, codeSelector: number, dataSelector: number): void {
  vcpu.cr4 = 0n;
  vcpu.efer = 0n;
  const flat = abi.TSV_SEG_ATTR_S | abi.TSV_SEG_ATTR_P | abi.TSV_SEG_ATTR_DB | abi.TSV_SEG_ATTR_G;
  vcpu.cs = { base: 0n, limit: 0xffff_ffff, selector: codeSelector, attr: 0x0b | flat };
  for (const seg of [abi.TSV_SEG_DS, abi.TSV_SEG_ES, abi.TSV_SEG_SS, abi.TSV_SEG_FS, abi.TSV_SEG_GS]) {
    vcpu.setSegment(seg, { base: 0n, limit: 0xffff_ffff, selector: dataSelector, attr: 0x03 | flat });
  }
}
