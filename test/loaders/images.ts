/** Boot images built by the loader tests: a bzImage wrapper around a flat 64-bit binary. */

export interface BzImageOptions {
  version?: number;
  prefAddress?: number;
  relocatable?: boolean;
  xloadflags?: number;
  loadflags?: number;
  initSize?: number;
  initrdAddrMax?: number;
  cmdlineSize?: number;
}

/** One setup sector after the boot sector, then `payload` as the protected-mode kernel. */
export function makeBzImage(payload: Uint8Array, o: BzImageOptions = {}): Uint8Array {
  const setupSects = 1;
  const out = new Uint8Array((setupSects + 1) * 512 + payload.length);
  const v = new DataView(out.buffer);
  out[0x1f1] = setupSects;
  v.setUint16(0x1fe, 0xaa55, true);
  out[0x200] = 0xeb; // short jump over the header; its offset byte gives the header length
  out[0x201] = 0x66;
  v.setUint32(0x202, 0x53726448, true);
  v.setUint16(0x206, o.version ?? 0x20f, true);
  out[0x211] = o.loadflags ?? 0x01;
  v.setUint32(0x214, 0x100000, true);
  v.setUint32(0x22c, o.initrdAddrMax ?? 0x7fff_ffff, true);
  v.setUint32(0x230, 0x20_0000, true);
  out[0x234] = (o.relocatable ?? true) ? 1 : 0;
  v.setUint16(0x236, o.xloadflags ?? 0x1, true);
  v.setUint32(0x238, o.cmdlineSize ?? 2047, true);
  v.setBigUint64(0x258, BigInt(o.prefAddress ?? 0x100_0000), true);
  v.setUint32(0x260, o.initSize ?? 0x10_0000, true);
  out.set(payload, (setupSects + 1) * 512);
  return out;
}
