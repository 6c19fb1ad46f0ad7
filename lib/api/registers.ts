/**
 * A vCPU's registers as plain data for the API: read all of them at once,
 * write a validated subset. Writable are the general-purpose registers, RIP,
 * RFLAGS and the six data/code segment registers (selector and descriptor
 * cache, as a loader sets them); control registers, EFER, TR/LDTR and the
 * descriptor tables are read-only here because changing them behind the
 * guest's back must go through the CPU's own checks (MOV CR, WRMSR, LGDT).
 */
import { GPR_NAMES, type DescriptorTable, type GprName, type SegmentState, type Vcpu } from '../hypervisor/vcpu.js';
import { checkObject, checkU64, describeValue, fail } from './validate.js';

export type WritableRegisterName = GprName | 'rip' | 'rflags';

export type Registers = Record<WritableRegisterName, bigint> & {
  cr0: bigint;
  cr2: bigint;
  cr3: bigint;
  cr4: bigint;
  cr8: bigint;
  efer: bigint;
  cs: SegmentState;
  ds: SegmentState;
  es: SegmentState;
  fs: SegmentState;
  gs: SegmentState;
  ss: SegmentState;
  tr: SegmentState;
  ldtr: SegmentState;
  gdtr: DescriptorTable;
  idtr: DescriptorTable;
};

export const WRITABLE_REGISTERS: readonly WritableRegisterName[] = [...GPR_NAMES, 'rip', 'rflags'];
export const WRITABLE_SEGMENTS = ['cs', 'ds', 'es', 'fs', 'gs', 'ss'] as const;
export type WritableSegmentName = (typeof WRITABLE_SEGMENTS)[number];

/** What setRegisters accepts. */
export type RegisterUpdate = Partial<Record<WritableRegisterName, bigint | number>> & Partial<Record<WritableSegmentName, SegmentState>>;

function checkSegment(name: string, value: unknown): SegmentState {
  checkObject(`registers.${name}`, value);
  const seg = value as Record<string, unknown>;
  const base = checkU64(`registers.${name}.base`, seg.base);
  const num = (field: string, max: number): number => {
    const v = seg[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) fail(`registers.${name}.${field} must be an integer in 0..0x${max.toString(16)}, got ${describeValue(v)}`);
    return v;
  };
  return { base, limit: num('limit', 0xffff_ffff), selector: num('selector', 0xffff), attr: num('attr', 0xffff) };
}

/** RFLAGS bits that are reserved: bit 1 reads as 1; bits 3, 5, 15 and 22..63 as 0. */
const RFLAGS_FIXED_ONE = 0x2n;
const RFLAGS_RESERVED_ZERO = (1n << 3n) | (1n << 5n) | (1n << 15n) | (((1n << 64n) - 1n) ^ ((1n << 22n) - 1n));

export function readRegisters(v: Vcpu): Registers {
  const gprs = Object.fromEntries(GPR_NAMES.map((name, i) => [name, v.getGpr(i)])) as Record<GprName, bigint>;
  return {
    ...gprs,
    rip: v.rip,
    rflags: v.rflags,
    cr0: v.cr0,
    cr2: v.cr2,
    cr3: v.cr3,
    cr4: v.cr4,
    cr8: v.cr8,
    efer: v.efer,
    cs: v.cs,
    ds: v.ds,
    es: v.es,
    fs: v.fs,
    gs: v.gs,
    ss: v.ss,
    tr: v.tr,
    ldtr: v.ldtr,
    gdtr: v.gdtr,
    idtr: v.idtr,
  };
}

/** Checks every field first and only then writes, so a bad field leaves the vCPU untouched. */
export function writeRegisters(v: Vcpu, partial: unknown): void {
  checkObject('registers', partial);
  const updates: Array<[WritableRegisterName, bigint]> = [];
  const segments: Array<[WritableSegmentName, SegmentState]> = [];
  for (const [name, value] of Object.entries(partial)) {
    if ((WRITABLE_SEGMENTS as readonly string[]).includes(name)) {
      segments.push([name as WritableSegmentName, checkSegment(name, value)]);
      continue;
    }
    if (!(WRITABLE_REGISTERS as readonly string[]).includes(name)) {
      fail(`register '${name}' cannot be set through the API (settable: ${[...WRITABLE_REGISTERS, ...WRITABLE_SEGMENTS].join(', ')})`);
    }
    const v64 = checkU64(`registers.${name}`, value);
    if (name === 'rflags' && ((v64 & RFLAGS_RESERVED_ZERO) !== 0n || (v64 & RFLAGS_FIXED_ONE) === 0n)) {
      fail(`registers.rflags ${describeValue(value)} sets reserved bits (bit 1 must be 1; bits 3, 5, 15, 22-63 must be 0)`);
    }
    updates.push([name as WritableRegisterName, v64]);
  }
  for (const [name, value] of updates) {
    if (name === 'rip') v.rip = value;
    else if (name === 'rflags') v.rflags = value;
    else v.setGpr(GPR_NAMES.indexOf(name), value);
  }
  for (const [name, seg] of segments) v[name] = seg;
}
