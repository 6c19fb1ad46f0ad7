/**
 * The instruction forms the differential test covers. A form is one
 * instruction encoding class (e.g. "adc m16,imm" in 64-bit mode); its
 * variants are the concrete assembler lines (registers, displacements,
 * immediates) that become code slots, and its setup constrains the random
 * inputs (memory base register, division operands, string pointers...).
 * `ignore` names what the architecture leaves undefined for a given input:
 * those flags (and, for SHLD/SHRD with a count beyond 16, the destination)
 * are not compared.
 */
import { CaseRef, REG } from './case-ref.js';
import { FLAG, OPERAND_AREA, STACK_PAGE, STATUS_FLAGS } from './layout.js';
import { Rng } from './rng.js';

export type Bits = 64 | 32;
export type Size = 8 | 16 | 32 | 64;

export interface Variant {
  asm: string;
  /** immediate shift/rotate count, when the form has one */
  count?: number;
  /** flags a following instruction consumes (flag-pair forms) ... */
  uses?: number;
  /** ... and the register it leaves them in: not compared when a consumed flag is undefined */
  dest?: number;
  /** flags the consumer computes from the consumed ones (undefined when those are) */
  taints?: number;
}

export interface Ignore {
  /** flags whose value is architecturally undefined for this input */
  flags: number;
  /** bit i set: GPR i is undefined */
  regs?: number;
  /** the data window is undefined (memory destination with an undefined result) */
  data?: boolean;
  /** byte ranges [from, to) of the data window (offsets from DATA_WIN) that are not compared */
  dataRanges?: Array<[number, number]>;
  /** FSW bits not compared (e.g. C0-C3 where the SDM calls them undefined) */
  fsw?: number;
  /** MXCSR bits not compared */
  mxcsr?: number;
  /** bit i set: XMMi is undefined */
  xmm?: number;
  /**
   * bit i set: ST(i) (stack order after the instruction) is undefined; when
   * `fsw` includes TOP (bits 11..13), registers are compared by physical
   * number instead and bit i means physical register i
   */
  st?: number;
}

export interface Form {
  /** unique, e.g. "64: adc m16,imm" */
  name: string;
  /** the mnemonic, for mismatch counts by instruction */
  group: string;
  bits: Bits;
  variants: Variant[];
  /** the instruction works on x87/MMX/SSE state: cases get edge-biased values there (set for every family form) */
  fp?: boolean;
  /**
   * Share of cases (0..1) whose MXCSR and FCW get some exceptions unmasked,
   * on top of the random state's 8%: forms that can raise SIMD or x87
   * exceptions set it to compare #XM / #MF more often.
   */
  unmask?: number;
  /**
   * Constrains the inputs. It runs after the random general-register and
   * x87/MMX/SSE state was drawn (fp-state.ts) and may overwrite any of it
   * through the CaseRef (setXmm, mxcsr, fcw, fsw, setX87Stack, setMm, ...).
   */
  setup?(c: CaseRef, rng: Rng, v: Variant): void;
  ignore?(c: CaseRef, v: Variant): Ignore;
}

const { CF, PF, AF, ZF, SF, OF } = FLAG;

const NAMES: Record<Size, readonly string[]> = {
  8: ['al', 'cl', 'dl', 'bl', 'spl', 'bpl', 'sil', 'dil', 'r8b', 'r9b', 'r10b', 'r11b'],
  16: ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di', 'r8w', 'r9w', 'r10w', 'r11w'],
  32: ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'r8d', 'r9d', 'r10d', 'r11d'],
  64: ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11'],
};
const SUFFIX: Record<Size, string> = { 8: 'b', 16: 'w', 32: 'l', 64: 'q' };
const r = (i: number, s: Size): string => `%${NAMES[s][i]}`;
const CCS = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'] as const;

/** Builds the form list of one mode; immediates are drawn from `rng`, so a seed fixes the whole test. */
export function buildForms(bits: Bits, rng: Rng): Form[] {
  const forms: Form[] = [];
  const is64 = bits === 64;
  const sizes: Size[] = is64 ? [8, 16, 32, 64] : [8, 16, 32];
  const M = is64 ? '(%rbx)' : '(%ebx)';
  const mems = is64 ? ['(%rbx)', '8(%rbx)', '3(%rbx)', '-0x10(%rbx)', '0x10(%rbx)'] : ['(%ebx)', '8(%ebx)', '3(%ebx)', '-0x10(%ebx)'];
  const add = (name: string, variants: Array<string | Variant>, extra: Partial<Form> = {}): void => {
    forms.push({
      name: `${bits}: ${name}`,
      group: name.split(' ')[0].toUpperCase(),
      bits,
      variants: variants.map((v) => (typeof v === 'string' ? { asm: v } : v)),
      ...extra,
    });
  };
  /** A few immediates of the given width: edge values plus random ones. */
  const imms = (width: 8 | 16 | 32, n = 6): string[] => {
    const max = 2 ** (width - 1);
    const edges = [0, 1, -1, max - 1, -max, 2 ** (width - 2)];
    const out = new Set(edges.map((x) => String(x)));
    while (out.size < edges.length + n) out.add(String(rng.below(2 * max) - max));
    return [...out];
  };
  /** Immediates that do not fit a sign-extended imm8, so the full-width encoding is used. */
  const wideImms = (s: Size): string[] => {
    if (s === 8) return imms(8);
    const width = s === 16 ? 16 : 32;
    return imms(width as 16 | 32).filter((x) => Number(x) > 127 || Number(x) < -128).concat(['0x1234', '-0x5678']);
  };

  // ---- two-operand ALU ----
  for (const op of ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp', 'test']) {
    const logic = ['or', 'and', 'xor', 'test'].includes(op);
    const ignore = logic ? (): Ignore => ({ flags: AF }) : undefined;
    for (const s of sizes) {
      const x = SUFFIX[s];
      const rr = [`${op} ${r(1, s)}, ${r(2, s)}`, `${op} ${r(2, s)}, ${r(2, s)}`];
      if (is64) rr.push(`${op} ${r(9, s)}, ${r(10, s)}`);
      if (s === 8) rr.push(`${op} %ch, %dl`, `${op} %dh, %ah`);
      add(`${op} r${s},r${s}`, rr, { ignore });
      add(`${op} m${s},r${s}`, mems.map((m) => `${op} ${r(1, s)}, ${m}`), { ignore });
      if (op !== 'test') add(`${op} r${s},m${s}`, mems.map((m) => `${op} ${m}, ${r(2, s)}`), { ignore });
      add(`${op} acc${s},imm`, wideImms(s).map((i) => `${op}${x} $${i}, ${r(0, s)}`), { ignore });
      add(`${op} r${s},imm`, wideImms(s).map((i) => `${op}${x} $${i}, ${r(2, s)}`), { ignore });
      if (s !== 8 && op !== 'test') add(`${op} r${s},imm8`, imms(8).map((i) => `${op}${x} $${i}, ${r(2, s)}`), { ignore });
      add(`${op} m${s},imm`, wideImms(s).map((i) => `${op}${x} $${i}, ${M}`), { ignore });
      if (s !== 8 && op !== 'test') add(`${op} m${s},imm8`, imms(8).map((i) => `${op}${x} $${i}, 8${M}`), { ignore });
    }
  }

  // ---- one-operand ALU ----
  for (const op of ['inc', 'dec', 'neg', 'not']) {
    for (const s of sizes) {
      const regs = [`${op} ${r(2, s)}`, `${op} ${r(0, s)}`];
      if (is64) regs.push(`${op} ${r(10, s)}`);
      add(`${op} r${s}`, regs);
      add(`${op} m${s}`, mems.map((m) => `${op}${SUFFIX[s]} ${m}`));
    }
  }

  // ---- multiply and divide ----
  for (const op of ['mul', 'imul', 'div', 'idiv']) {
    const isDiv = op.endsWith('div');
    const flagsUndef = isDiv ? STATUS_FLAGS : SF | ZF | AF | PF;
    for (const s of sizes) {
      const setup = isDiv ? divSetup(op === 'idiv', s) : undefined;
      add(`${op} r${s}`, [`${op} ${r(1, s)}`], { setup: setup && ((c, g) => setup(c, g, false)), ignore: () => ({ flags: flagsUndef }) });
      add(`${op} m${s}`, [`${op}${SUFFIX[s]} ${M}`], { setup: setup && ((c, g) => setup(c, g, true)), ignore: () => ({ flags: flagsUndef }) });
    }
  }
  for (const s of sizes.filter((z) => z !== 8)) {
    const ig = (): Ignore => ({ flags: SF | ZF | AF | PF });
    add(`imul r${s},r${s}`, [`imul ${r(1, s)}, ${r(2, s)}`, `imul ${r(2, s)}, ${r(2, s)}`], { ignore: ig });
    add(`imul r${s},m${s}`, [`imul ${M}, ${r(2, s)}`, `imul 3${M}, ${r(2, s)}`], { ignore: ig });
    add(`imul r${s},r${s},imm8`, imms(8).map((i) => `imul $${i}, ${r(1, s)}, ${r(2, s)}`), { ignore: ig });
    add(`imul r${s},r${s},imm`, wideImms(s).map((i) => `imul $${i}, ${r(1, s)}, ${r(2, s)}`), { ignore: ig });
    add(`imul r${s},m${s},imm`, [...imms(8, 2), ...wideImms(s)].map((i) => `imul $${i}, ${M}, ${r(2, s)}`), { ignore: ig });
  }

  // ---- shifts and rotates ----
  const counts = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65];
  for (const op of ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sar']) {
    for (const s of sizes) {
      const x = SUFFIX[s];
      const ig = (c: CaseRef, v: Variant): Ignore => shiftIgnore(op, s, v.count ?? Number(c.low(REG.rcx, 8)));
      const clSetup = (c: CaseRef, g: Rng): void => { if (g.chance(0.7)) c.setLow(REG.rcx, 8, BigInt(g.below(66))); };
      add(`${op} r${s},1`, [{ asm: `${op} ${r(2, s)}`, count: 1 }], { ignore: ig });
      add(`${op} r${s},cl`, [`${op} %cl, ${r(2, s)}`], { ignore: ig, setup: clSetup });
      add(`${op} r${s},imm`, counts.map((k) => ({ asm: `${op}${x} $${k}, ${r(2, s)}`, count: k })), { ignore: ig });
      add(`${op} m${s},1`, [{ asm: `${op}${x} ${M}`, count: 1 }], { ignore: ig });
      add(`${op} m${s},cl`, [`${op}${x} %cl, ${M}`], { ignore: ig, setup: clSetup });
      add(`${op} m${s},imm`, counts.map((k) => ({ asm: `${op}${x} $${k}, 3${M}`, count: k })), { ignore: ig });
    }
  }
  for (const op of ['shld', 'shrd']) {
    for (const s of sizes.filter((z) => z !== 8)) {
      const ig = (c: CaseRef, v: Variant): Ignore => doubleShiftIgnore(s, v.count ?? Number(c.low(REG.rcx, 8)));
      const clSetup = (c: CaseRef, g: Rng): void => { if (g.chance(0.7)) c.setLow(REG.rcx, 8, BigInt(g.below(66))); };
      add(`${op} r${s},r${s},imm`, counts.map((k) => ({ asm: `${op} $${k}, ${r(6, s)}, ${r(2, s)}`, count: k })), { ignore: ig });
      add(`${op} r${s},r${s},cl`, [`${op} %cl, ${r(6, s)}, ${r(2, s)}`], { ignore: ig, setup: clSetup });
      add(`${op} m${s},r${s},imm`, counts.map((k) => ({ asm: `${op} $${k}, ${r(6, s)}, ${M}`, count: k })), { ignore: ig });
      add(`${op} m${s},r${s},cl`, [`${op} %cl, ${r(6, s)}, ${M}`], { ignore: ig, setup: clSetup });
    }
  }

  // ---- bit test, bit scan, byte swap ----
  for (const op of ['bt', 'bts', 'btr', 'btc']) {
    const ig = (): Ignore => ({ flags: OF | SF | AF | PF });
    for (const s of sizes.filter((z) => z !== 8)) {
      const x = SUFFIX[s];
      const bitImms = [0, 1, 7, 15, 16, 31, 32, 63, 64, 100, 255];
      add(`${op} r${s},r${s}`, [`${op} ${r(1, s)}, ${r(2, s)}`], { ignore: ig });
      add(`${op} r${s},imm`, bitImms.map((k) => `${op}${x} $${k}, ${r(2, s)}`), { ignore: ig });
      add(`${op} m${s},imm`, bitImms.map((k) => `${op}${x} $${k}, ${M}`), { ignore: ig });
      // register bit offsets reach outside the operand (signed, in bits): up to about +-120 bytes
      add(`${op} m${s},r${s}`, [`${op} ${r(1, s)}, ${M}`, `${op} ${r(1, s)}, 2${M}`], {
        ignore: ig,
        setup: (c, g) => c.setLow(REG.rcx, s, BigInt(g.chance(0.5) ? g.below(2 * s) : g.below(1900) - 960)),
      });
    }
  }
  for (const op of ['bsf', 'bsr']) {
    const ig = (): Ignore => ({ flags: CF | OF | SF | AF | PF });
    for (const s of sizes.filter((z) => z !== 8)) {
      add(`${op} r${s},r${s}`, [`${op} ${r(1, s)}, ${r(2, s)}`], { ignore: ig, setup: (c, g) => { if (g.chance(0.3)) c.setLow(REG.rcx, s, 0n); } });
      add(`${op} r${s},m${s}`, [`${op} ${M}, ${r(2, s)}`], { ignore: ig, setup: (c, g) => { if (g.chance(0.3)) c.setOperand(0, s, 0n); } });
    }
  }
  add('bswap r32', is64 ? ['bswap %edx', 'bswap %r9d'] : ['bswap %edx', 'bswap %eax']);
  if (is64) add('bswap r64', ['bswap %rdx', 'bswap %r9']);

  // ---- conditional moves and sets ----
  for (const cc of CCS) {
    for (const s of sizes.filter((z) => z !== 8)) add(`cmov${cc} r${s},r${s}`, [`cmov${cc} ${r(1, s)}, ${r(2, s)}`]);
    add(`cmov${cc} r32,m32`, [`cmov${cc} ${M}, %edx`]);
    add(`set${cc} r8`, is64 ? [`set${cc} %dl`, `set${cc} %ch`, `set${cc} %sil`] : [`set${cc} %dl`, `set${cc} %ch`]);
    add(`set${cc} m8`, [`set${cc} 3${M}`]);
  }

  // ---- exchange and compare-exchange ----
  for (const s of sizes) {
    add(`xadd r${s},r${s}`, [`xadd ${r(1, s)}, ${r(2, s)}`]);
    add(`xadd m${s},r${s}`, [`xadd ${r(1, s)}, ${M}`, `lock xadd ${r(1, s)}, 8${M}`]);
    add(`xchg r${s},r${s}`, s === 8 ? ['xchg %cl, %dl', 'xchg %ch, %al'] : [`xchg ${r(1, s)}, ${r(2, s)}`, `xchg ${r(2, s)}, ${r(0, s)}`]);
    add(`xchg m${s},r${s}`, [`xchg ${r(1, s)}, ${M}`]);
    add(`cmpxchg r${s},r${s}`, [`cmpxchg ${r(1, s)}, ${r(2, s)}`], { setup: (c, g) => { if (g.chance(0.5)) c.setLow(REG.rax, s, c.reg(REG.rdx)); } });
    add(`cmpxchg m${s},r${s}`, [`cmpxchg ${r(1, s)}, ${M}`, `lock cmpxchg ${r(1, s)}, ${M}`], {
      setup: (c, g) => { if (g.chance(0.5)) c.setLow(REG.rax, s, c.operand(0, s)); },
    });
  }
  add('cmpxchg8b m64', [`cmpxchg8b ${M}`, `lock cmpxchg8b ${M}`], {
    setup: (c, g) => {
      if (g.chance(0.5)) { c.setLow(REG.rax, 32, c.operand(0, 32)); c.setLow(REG.rdx, 32, c.operand(4, 32)); }
    },
  });
  if (is64) {
    add('cmpxchg16b m128', ['cmpxchg16b (%rbx)', 'lock cmpxchg16b (%rbx)'], {
      setup: (c, g) => { if (g.chance(0.5)) { c.setReg(REG.rax, c.operand(0, 64)); c.setReg(REG.rdx, c.operand(8, 64)); } },
    });
  }

  // ---- extensions and address computation ----
  const ext: Array<[string, Size, Size]> = [['movzbw', 8, 16], ['movzbl', 8, 32], ['movzwl', 16, 32], ['movsbw', 8, 16], ['movsbl', 8, 32], ['movswl', 16, 32]];
  if (is64) ext.push(['movzbq', 8, 64], ['movzwq', 16, 64], ['movsbq', 8, 64], ['movswq', 16, 64], ['movslq', 32, 64]);
  for (const [op, from, to] of ext) {
    const regs = [`${op} ${r(1, from)}, ${r(2, to)}`];
    if (from === 8 && to !== 64) regs.push(`${op} %ch, ${r(2, to)}`);
    add(`${op} r${to},r${from}`, regs);
    add(`${op} r${to},m${from}`, [`${op} ${M}, ${r(2, to)}`, `${op} 3${M}, ${r(2, to)}`]);
  }
  const leas = is64
    ? ['0x12(%rcx), %rdx', '-0x80(%rcx,%rsi,1), %rdx', '0x12345678(%rcx,%rsi,8), %rdx', '(,%rsi,4), %rdx', '0x7fffffff(,%rsi,2), %rdx',
      '(%rsp), %rdx', '8(%rsp,%rsi,2), %rdx', '8(%rbp), %rdx', '(%r12,%r13,2), %rdx', '(%r13), %rdx', '-1(%r12), %rdx', '0x10(%rip), %rdx',
      '(%ecx,%esi,4), %rdx', '-0x70000000(%ecx), %rdx', '5(%rcx,%rsi), %edx', '5(%rcx,%rsi), %dx', '(%ecx,%esi), %dx', '0x10, %rdx', '-4(%rcx,%rcx,8), %r9']
    : ['0x12(%ecx), %edx', '-0x80(%ecx,%esi,1), %edx', '0x12345678(%ecx,%esi,8), %edx', '(,%esi,4), %edx', '(%esp), %edx', '8(%ebp), %edx',
      '5(%ecx,%esi), %dx', '0x10, %edx', '(%bx,%si), %dx', '0x1234(%bp,%di), %edx', '-3(%si), %edx', '(%bx), %dx', '-4(%ecx,%ecx,8), %eax'];
  for (const l of leas) add(`lea ${l.replace(/, %\w+$/, '')} -> ${l.replace(/^.*, /, '')}`, [`lea ${l}`]);
  const conv = is64 ? ['cbtw', 'cwtl', 'cltq', 'cwtd', 'cltd', 'cqto'] : ['cbtw', 'cwtl', 'cwtd', 'cltd'];
  for (const op of conv) add(op, [op]);
  add('xlat', ['xlat'], { setup: (c, g) => { if (g.chance(0.5)) c.setLow(REG.rax, 8, BigInt(g.below(32))); } });

  // ---- string instructions ----
  const strSizes: Size[] = sizes;
  for (const op of ['movs', 'stos', 'lods', 'cmps', 'scas']) {
    const prefixes = op === 'cmps' || op === 'scas' ? ['', 'repe ', 'repne '] : ['', 'rep '];
    for (const s of strSizes) {
      for (const p of prefixes) {
        add(`${p}${op}${SUFFIX[s]}`.trim(), [`${p}${op}${SUFFIX[s]}`], { setup: (c, g) => stringSetup(c, g, s) });
      }
    }
  }

  // ---- flags ----
  for (const op of ['lahf', 'sahf', 'clc', 'stc', 'cmc', 'cld', 'std']) add(op, [op]);
  add(is64 ? 'pushfq' : 'pushfl', ['pushf']);
  add('pushfw', ['pushfw']);
  add(is64 ? 'popfq' : 'popfl', ['popf'], { setup: popfSetup(is64 ? 64 : 32) });
  add('popfw', ['popfw'], { setup: popfSetup(16) });

  // ---- stack ----
  const w = is64 ? 64 : 32;
  add(`push r${w}`, is64 ? ['push %rdx', 'push %r9', 'push %rsp'] : ['push %edx', 'push %esp']);
  add('push r16', ['push %dx', 'push %sp']);
  add('push imm8', imms(8).map((i) => `push $${i}`));
  add('push imm', wideImms(32).map((i) => `push $${i}`));
  add('pushw imm', ['pushw $0x1234', 'pushw $-2']);
  add(`push m${w}`, [`push${SUFFIX[w]} ${M}`, `push${SUFFIX[w]} 3${M}`]);
  add('push m16', [`pushw ${M}`]);
  add(`pop r${w}`, is64 ? ['pop %rdx', 'pop %r9', 'pop %rsp'] : ['pop %edx', 'pop %esp']);
  add('pop r16', ['pop %dx']);
  add(`pop m${w}`, [`pop${SUFFIX[w]} ${M}`, `pop${SUFFIX[w]} 8${M}`]);
  add('pop m16', [`popw ${M}`]);
  const bp = REG.rbp;
  add('enter', [0, 1, 2, 3, 8].flatMap((lvl) => [`enter $0, $${lvl}`, `enter $0x18, $${lvl}`]), {
    setup: (c, g) => c.setReg(bp, BigInt(STACK_PAGE + 0x7c0 + 8 * g.below(16))),
  });
  add('leave', ['leave'], { setup: (c, g) => c.setReg(bp, BigInt(STACK_PAGE + 0x7c0 + 4 * g.below(32))) });
  if (!is64) {
    add('pushal', ['pushal']);
    add('pushaw', ['pushaw']);
    add('popal', ['popal']);
    add('popaw', ['popaw']);
  }

  // ---- moves, MOVBE, POPCNT, LZCNT ----
  for (const s of sizes) {
    const x = SUFFIX[s];
    add(`mov r${s},r${s}`, s === 8 ? ['mov %cl, %dl', 'mov %ch, %al'] : [`mov ${r(1, s)}, ${r(2, s)}`, `mov ${r(2, s)}, ${r(2, s)}`]);
    add(`mov r${s},m${s}`, [`mov ${M}, ${r(2, s)}`, `mov 3${M}, ${r(2, s)}`]);
    add(`mov m${s},r${s}`, [`mov ${r(1, s)}, ${M}`, `mov ${r(1, s)}, -5${M}`]);
    add(`mov r${s},imm`, wideImms(s).map((i) => `mov${x} $${i}, ${r(2, s)}`));
    add(`mov m${s},imm`, wideImms(s).map((i) => `mov${x} $${i}, ${M}`));
    add(`mov acc${s},moffs`, [is64 ? `movabs ${OPERAND_AREA}, ${r(0, s)}` : `mov ${OPERAND_AREA}, ${r(0, s)}`]);
    add(`mov moffs,acc${s}`, [is64 ? `movabs ${r(0, s)}, ${OPERAND_AREA + 8}` : `mov ${r(0, s)}, ${OPERAND_AREA + 8}`]);
  }
  if (is64) {
    add('mov r64,imm64', ['movabs $0x123456789abcdef0, %rdx', 'movabs $-2, %r9', 'movabs $0x80000000, %rax']);
    add('mov r32,imm32 (zero-extends)', ['mov $0xffffffff, %edx', 'mov $0x80000000, %r9d']);
  }
  add('nop', ['nop', 'xchg %ax, %ax', 'nopl 0(%rax)'.replace('%rax', is64 ? '%rax' : '%eax')]);
  add('xchg eax,eax (87)', ['.byte 0x87, 0xc0']);
  for (const s of sizes.filter((z) => z !== 8)) {
    add(`movbe r${s},m${s}`, [`movbe ${M}, ${r(2, s)}`, `movbe 3${M}, ${r(2, s)}`]);
    add(`movbe m${s},r${s}`, [`movbe ${r(1, s)}, ${M}`]);
    add(`popcnt r${s},r${s}`, [`popcnt ${r(1, s)}, ${r(2, s)}`], { setup: (c, g) => { if (g.chance(0.2)) c.setLow(REG.rcx, s, 0n); } });
    add(`popcnt r${s},m${s}`, [`popcnt ${M}, ${r(2, s)}`]);
    const lz = (): Ignore => ({ flags: OF | SF | PF | AF });
    add(`lzcnt r${s},r${s}`, [`lzcnt ${r(1, s)}, ${r(2, s)}`], { ignore: lz, setup: (c, g) => { if (g.chance(0.2)) c.setLow(REG.rcx, s, 0n); } });
    add(`lzcnt r${s},m${s}`, [`lzcnt ${M}, ${r(2, s)}`], { ignore: lz });
    add(`tzcnt r${s},r${s}`, [`tzcnt ${r(1, s)}, ${r(2, s)}`], { ignore: lz, setup: (c, g) => { if (g.chance(0.2)) c.setLow(REG.rcx, s, 0n); } });
    add(`tzcnt r${s},m${s}`, [`tzcnt ${M}, ${r(2, s)}`], { ignore: lz });
  }
  // ---- BMI1 / BMI2 (VEX) and ADX; `A, B, C` in AT&T order is Ey/rm, By/vvvv, Gy/reg ----
  for (const s of sizes.filter((z): z is 32 | 64 => z === 32 || z === 64)) {
    const pf = (): Ignore => ({ flags: AF | PF });
    const bextrFlags = (): Ignore => ({ flags: AF | SF | PF });
    // small control values make BEXTR/BZHI/shift counts land inside the operand often
    const ctl = (c: CaseRef, g: Rng): void => { if (g.chance(0.7)) c.setLow(REG.rsi, s, BigInt(g.below(0x4848))); };
    add(`andn r${s},r${s},r${s}`, [`andn ${r(1, s)}, ${r(6, s)}, ${r(2, s)}`, `andn ${r(2, s)}, ${r(2, s)}, ${r(2, s)}`], { ignore: pf });
    add(`andn r${s},r${s},m${s}`, [`andn ${M}, ${r(6, s)}, ${r(2, s)}`], { ignore: pf });
    add(`bextr r${s},r${s},r${s}`, [`bextr ${r(6, s)}, ${r(1, s)}, ${r(2, s)}`], { ignore: bextrFlags, setup: ctl });
    add(`bextr r${s},m${s},r${s}`, [`bextr ${r(6, s)}, ${M}, ${r(2, s)}`], { ignore: bextrFlags, setup: ctl });
    for (const op of ['blsr', 'blsmsk', 'blsi']) {
      add(`${op} r${s},r${s}`, [`${op} ${r(1, s)}, ${r(2, s)}`], { ignore: pf, setup: (c, g) => { if (g.chance(0.2)) c.setLow(REG.rcx, s, 0n); } });
      add(`${op} r${s},m${s}`, [`${op} ${M}, ${r(2, s)}`], { ignore: pf });
    }
    add(`bzhi r${s},r${s},r${s}`, [`bzhi ${r(6, s)}, ${r(1, s)}, ${r(2, s)}`], { ignore: pf, setup: ctl });
    add(`bzhi r${s},m${s},r${s}`, [`bzhi ${r(6, s)}, ${M}, ${r(2, s)}`], { ignore: pf, setup: ctl });
    add(`mulx r${s},r${s},r${s}`, [`mulx ${r(1, s)}, ${r(6, s)}, ${r(7, s)}`, `mulx ${r(1, s)}, ${r(6, s)}, ${r(6, s)}`]);
    add(`mulx r${s},r${s},m${s}`, [`mulx ${M}, ${r(6, s)}, ${r(7, s)}`]);
    for (const op of ['pdep', 'pext']) {
      add(`${op} r${s},r${s},r${s}`, [`${op} ${r(1, s)}, ${r(6, s)}, ${r(2, s)}`]);
      add(`${op} r${s},r${s},m${s}`, [`${op} ${M}, ${r(6, s)}, ${r(2, s)}`]);
    }
    add(`rorx r${s},r${s},imm`, [0, 1, 7, s - 1, s, 200].map((n) => `rorx $${n}, ${r(1, s)}, ${r(2, s)}`));
    add(`rorx r${s},m${s},imm`, [`rorx $5, ${M}, ${r(2, s)}`]);
    for (const op of ['sarx', 'shlx', 'shrx']) {
      add(`${op} r${s},r${s},r${s}`, [`${op} ${r(6, s)}, ${r(1, s)}, ${r(2, s)}`], { setup: ctl });
      add(`${op} r${s},m${s},r${s}`, [`${op} ${r(6, s)}, ${M}, ${r(2, s)}`], { setup: ctl });
    }
    for (const op of ['adcx', 'adox']) {
      add(`${op} r${s},r${s}`, [`${op} ${r(1, s)}, ${r(2, s)}`]);
      add(`${op} r${s},m${s}`, [`${op} ${M}, ${r(2, s)}`]);
    }
  }

  // ---- branches: the snippet falls through to its end either way, the taken path skips a marker write ----
  const skip = (jump: string): string => `${jump} 9f; mov $0x5a, %dl; 9:`;
  for (const cc of CCS) {
    add(`j${cc} rel8`, [skip(`j${cc}`)]);
    add(`j${cc} rel32`, [skip(`{disp32} j${cc}`)]);
  }
  const counterSetup = (c: CaseRef, g: Rng): void => { if (g.chance(0.5)) c.setLow(REG.rcx, g.pick([16, 32, 64] as const), BigInt(g.below(3))); };
  for (const op of ['loop', 'loope', 'loopne']) {
    add(op, [skip(op)], { setup: counterSetup });
    add(`${op} (address-size override)`, [skip(is64 ? `addr32 ${op}` : `addr16 ${op}`)], { setup: counterSetup });
  }
  add(is64 ? 'jrcxz' : 'jecxz', [skip(is64 ? 'jrcxz' : 'jecxz')], { setup: counterSetup });
  add(is64 ? 'jecxz' : 'jcxz', [skip(is64 ? 'jecxz' : 'jcxz')], { setup: counterSetup });
  add('jmp rel8/rel32', [skip('jmp'), skip('{disp32} jmp')]);
  const sp = is64 ? 'rsp' : 'esp';
  add('call rel32', [is64 ? 'call 9f; 9: pop %rdx' : 'call 9f; 9: pop %edx', `call 9f; 9: add $${is64 ? 8 : 4}, %${sp}`]);
  add('call r/m', is64 ? ['lea 9f(%rip), %rdx; call *%rdx; 9:', 'lea 9f(%rip), %rdx; mov %rdx, (%rbx); call *(%rbx); 9:'] : ['call 8f; 8: pop %edx; add $(9f-8b), %edx; call *%edx; 9:']);
  add('ret', [`call 8f; jmp 9f; 8: ret; 9:`]);
  add('ret imm16', [`call 8f; jmp 9f; 8: ret $8; 9:`, `call 8f; jmp 9f; 8: ret $0x100; 9:`]);
  add('jmp r/m', is64 ? ['lea 9f(%rip), %rdx; jmp *%rdx; mov $1, %al; 9:', 'lea 9f(%rip), %rdx; mov %rdx, 8(%rbx); jmp *8(%rbx); mov $1, %al; 9:'] : ['call 8f; 8: pop %edx; add $(9f-8b), %edx; jmp *%edx; mov $1, %al; 9:']);

  // ---- string instructions with an address-size override (64-bit: 32-bit pointers and counter) ----
  if (is64) {
    for (const op of ['movsb', 'stosl', 'lodsw', 'cmpsq', 'scasb']) {
      const p = op.startsWith('cmps') || op.startsWith('scas') ? 'repe ' : 'rep ';
      add(`addr32 ${p}${op}`, [`addr32 ${p}${op}`], {
        setup: (c, g) => { stringSetup(c, g, 8); c.setReg(REG.rcx, c.reg(REG.rcx) | 0xdead000000000000n); c.setReg(REG.rsi, c.reg(REG.rsi) | 0xbeef00000000000n); },
      });
    }
  }

  // ---- segment overrides on flat segments (FS/GS differ between host and guest: not used) ----
  add('mov r32,m32 (cs/ss/es/ds override)', ['cs', 'ss', 'es', 'ds'].map((sreg) => `mov %${sreg}:${M}, %edx`));
  add('mov m32,r32 (ss/es override)', ['ss', 'es'].map((sreg) => `mov %edx, %${sreg}:${M}`));
  if (!is64) add('mov m32,r32 (cs override: #GP)', [`mov %edx, %cs:${M}`]);
  if (is64) add('movsxd r32,r/m32 (no REX.W)', ['.byte 0x63, 0xd1', '.byte 0x63, 0x13']);

  // ---- prefix combinations and opcode aliases (raw bytes: the assembler would not emit them) ----
  const raw = (...bytes: number[]): string => `.byte ${bytes.map((b) => `0x${b.toString(16)}`).join(', ')}`;
  if (is64) {
    add('prefixes: 66 with REX.W (REX.W wins)', [raw(0x66, 0x48, 0x01, 0xca), raw(0x66, 0x48, 0x98)]);
    add('prefixes: REX before 66 (REX ignored)', [raw(0x48, 0x66, 0x01, 0xca), raw(0x41, 0x66, 0x01, 0xca)]);
    add('prefixes: two REX (last one counts)', [raw(0x48, 0x40, 0x01, 0xca), raw(0x40, 0x48, 0x01, 0xca)]);
    add('prefixes: REX selects SPL..DIL over AH..BH', [raw(0x40, 0x88, 0xe2), raw(0x88, 0xe2), raw(0x40, 0x00, 0xf4)]);
  }
  add('prefixes: repeated 66 / segment / F3 on ALU ops', [raw(0x66, 0x66, 0x01, 0xca), raw(0x2e, 0x01, 0xca), raw(0xf3, 0x01, 0xca), raw(0xf2, 0x66, 0x01, 0xca), raw(0x3e, 0x3e, 0x26, 0x01, 0xca)]);
  add('repne movs (F2 acts as REP)', [raw(0xf2, 0xa4), raw(0xf2, 0xa5)], { setup: (c, g) => stringSetup(c, g, 8) });
  add('sal alias (D1 /6, C1 /6, D3 /6)', [{ asm: raw(0xd1, 0xf2), count: 1 }, { asm: raw(0xc1, 0xf2, 0x05), count: 5 }], { ignore: (c, v) => shiftIgnore('shl', 32, v.count ?? 0) });
  add('sal alias (D3 /6, by CL)', [raw(0xd3, 0xf2)], { ignore: (c) => shiftIgnore('shl', 32, Number(c.low(REG.rcx, 8))), setup: (c, g) => { if (g.chance(0.7)) c.setLow(REG.rcx, 8, BigInt(g.below(66))); } });
  add('test alias (F6 /1, F7 /1)', [raw(0xf6, 0xca, 0x55), raw(0xf7, 0xca, 0x78, 0x56, 0x34, 0x92)], { ignore: () => ({ flags: AF }) });
  add('op82 alias of 80 (#UD in 64-bit mode)', [raw(0x82, 0xc2, 0x85), raw(0x82, 0xf2, 0x01)]);
  add('hint NOPs (0F 18-1F, prefetchw, endbr)', [raw(0x0f, 0x18, 0x03), raw(0x0f, 0x0d, 0x0b), raw(0x0f, 0x1f, 0x44, 0x00, 0x00), raw(0xf3, 0x0f, 0x1e, 0xfa), raw(0xf3, 0x0f, 0x1e, 0xfb), raw(0x0f, 0x19, 0xc0), raw(0x0f, 0x1e, 0xc0)]);
  add('pause', ['pause']);

  // ---- running off the data page into an unmapped page: #PF (64-bit only: the 32-bit guest has no paging) ----
  if (is64) {
    add('load crossing into an unmapped page (#PF)', ['mov 0x7fe(%rbx), %edx', 'mov 0x7f9(%rbx), %rdx', 'movzwl 0x7ff(%rbx), %edx', 'add 0x7fd(%rbx), %esi', 'mov 0x800(%rbx), %dl']);
    add('store crossing into an unmapped page (#PF)', ['mov %edx, 0x7fe(%rbx)', 'movq $1, 0x7fc(%rbx)', 'movw %dx, 0x7ff(%rbx)']);
    for (const [name, asm] of [['add', 'add %esi, 0x7fd(%rbx)'], ['xchg', 'xchg %rdx, 0x7fa(%rbx)'], ['cmpxchg8b', 'cmpxchg8b 0x7fc(%rbx)'], ['inc', 'incl 0x7fe(%rbx)']]) {
      add(`${name} read-modify-write crossing into an unmapped page (#PF)`, [asm]);
    }
    const farBit = (c: CaseRef, g: Rng): void => c.setReg(REG.rcx, BigInt(g.chance(0.5) ? 0x4000 + g.below(0x4000) : g.below(0x4000)));
    add('bt m64,r64 with a bit offset past the page (#PF)', ['bt %rcx, (%rbx)'], { setup: farBit, ignore: () => ({ flags: OF | SF | AF | PF }) });
    add('bts m32,r32 with a bit offset past the page (#PF)', ['bts %ecx, (%rbx)'], { setup: farBit, ignore: () => ({ flags: OF | SF | AF | PF }) });
    for (const op of ['rep stosb', 'rep stosl', 'rep stosq', 'rep movsb', 'rep movsq', 'rep lodsw', 'repe cmpsb', 'repne scasb']) {
      add(`${op} running into an unmapped page (#PF)`, [op], {
        setup: (c, g) => {
          c.flags &= ~FLAG.DF;
          c.setReg(REG.rcx, BigInt(1 + g.below(80)));
          const nearEnd = BigInt(OPERAND_AREA + 0x7c0 + g.below(0x40));
          const inWindow = BigInt(OPERAND_AREA - 0x40 + g.below(0x40));
          const srcAtEnd = op.includes('lods') || (op.includes('cmps') && g.chance(0.5));
          c.setReg(REG.rsi, srcAtEnd ? nearEnd : inWindow);
          c.setReg(REG.rdi, srcAtEnd ? inWindow : nearEnd);
          // CMPS: both strings in the zeroed page tail, so they compare equal up to the page end
          if (op.includes('cmps')) { c.setReg(REG.rsi, nearEnd); c.setReg(REG.rdi, nearEnd - BigInt(0x80 + g.below(0x40))); }
        },
      });
    }
  }

  // ---- encodings that must raise #UD ----
  add('ud2', ['ud2']);
  add('ud1', ['.byte 0x0f, 0xb9, 0xc0']);
  add('lock on a register destination (#UD)', ['.byte 0xf0, 0x01, 0xca', '.byte 0xf0, 0x0f, 0xc1, 0xca']);
  add('lock on a non-lockable instruction (#UD)', [`.byte 0xf0; mov %edx, ${M}`, '.byte 0xf0; nop']);
  add('lea with a register operand (#UD)', ['.byte 0x8d, 0xca']);
  add('cmpxchg8b with a register operand (#UD)', ['.byte 0x0f, 0xc7, 0xc9']);

  // ---- 32-bit-only exceptions and ARPL ----
  if (!is64) {
    add('into', ['into'], { setup: (c, g) => { c.flags = g.chance(0.5) ? c.flags | OF : c.flags & ~OF; } });
    for (const s of [16, 32] as const) {
      add(`bound r${s},m${s}&${s}`, [`bound ${r(2, s)}, ${M}`], {
        setup: (c, g) => {
          const lo = BigInt(g.below(200)) - 100n, hi = lo + BigInt(g.below(200));
          c.setOperand(0, s, lo); c.setOperand(s / 8, s, hi);
          c.setLow(REG.rdx, s, lo + BigInt(g.below(400)) - 150n);
        },
      });
    }
    add('arpl r16,r16', ['arpl %cx, %dx']);
    add('arpl m16,r16', [`arpl %cx, ${M}`]);
  }

  flagPairs(add, bits, sizes, rng);

  // ---- BCD (32-bit only; #UD in 64-bit mode) ----
  const bcd: Array<[string, string[], number]> = [
    ['aaa', ['aaa'], OF | SF | ZF | PF], ['aas', ['aas'], OF | SF | ZF | PF], ['daa', ['daa'], OF], ['das', ['das'], OF],
    ['aam', ['aam', 'aam $16', 'aam $7', 'aam $0', 'aam $255'], OF | AF | CF], ['aad', ['aad', 'aad $16', 'aad $7', 'aad $0', 'aad $255'], OF | AF | CF],
  ];
  if (!is64) {
    for (const [op, vs, undef] of bcd) add(op, vs, { ignore: () => ({ flags: undef }) });
  } else {
    add('aaa (#UD)', ['.byte 0x37']);
    add('daa (#UD)', ['.byte 0x27']);
    add('aam (#UD)', ['.byte 0xd4, 0x0a']);
    add('pusha (#UD)', ['.byte 0x60']);
  }
  return forms;
}

/** Flags each condition code reads. */
const CC_FLAGS: Record<typeof CCS[number], number> = {
  o: OF, no: OF, b: CF, ae: CF, e: ZF, ne: ZF, be: CF | ZF, a: CF | ZF, s: SF, ns: SF, p: PF, np: PF, l: SF | OF, ge: SF | OF, le: ZF | SF | OF, g: ZF | SF | OF,
};

/**
 * Flag producer followed by a flag consumer (SETcc, Jcc, ADC/SBB, INC then
 * SETBE, CMC, LAHF): the interpreter keeps flags lazily, so a consumer
 * reading the producer's pending result takes other paths than one reading
 * flags loaded from RFLAGS. The consumer's result is not compared when it
 * reads a flag the producer leaves undefined.
 */
function flagPairs(add: (name: string, variants: Array<string | Variant>, extra?: Partial<Form>) => void, bits: Bits, sizes: Size[], rng: Rng): void {
  void rng;
  const clSetup = (c: CaseRef, g: Rng): void => { if (g.chance(0.7)) c.setLow(REG.rcx, 8, BigInt(g.below(66))); };
  interface Producer { name: string; asm: (s: Size) => string; undef: (c: CaseRef, s: Size) => Ignore; sizes: Size[]; setup?: (c: CaseRef, g: Rng) => void }
  const none = (): Ignore => ({ flags: 0 });
  const fixed = (flags: number) => (): Ignore => ({ flags });
  const wide = sizes.filter((z) => z !== 8);
  const producers: Producer[] = [];
  for (const op of ['add', 'sub', 'adc', 'sbb', 'cmp']) producers.push({ name: op, asm: (s) => `${op} ${r(1, s)}, ${r(2, s)}`, undef: none, sizes });
  for (const op of ['and', 'or', 'xor', 'test']) producers.push({ name: op, asm: (s) => `${op} ${r(1, s)}, ${r(2, s)}`, undef: fixed(AF), sizes });
  for (const op of ['inc', 'dec', 'neg']) producers.push({ name: op, asm: (s) => `${op} ${r(2, s)}`, undef: none, sizes });
  for (const op of ['shl', 'shr', 'sar', 'rol', 'ror', 'rcl', 'rcr']) {
    producers.push({ name: `${op} cl`, asm: (s) => `${op} %cl, ${r(2, s)}`, undef: (c, s) => shiftIgnore(op, s, Number(c.low(REG.rcx, 8))), sizes, setup: clSetup });
  }
  producers.push({ name: 'shld cl', asm: (s) => `shld %cl, ${r(6, s)}, ${r(2, s)}`, undef: (c, s) => doubleShiftIgnore(s, Number(c.low(REG.rcx, 8))), sizes: wide, setup: clSetup });
  producers.push({ name: 'imul', asm: (s) => `imul ${r(1, s)}, ${r(2, s)}`, undef: fixed(SF | ZF | AF | PF), sizes: wide });
  producers.push({ name: 'mul', asm: (s) => `mul ${r(1, s)}`, undef: fixed(SF | ZF | AF | PF), sizes });
  producers.push({ name: 'bt', asm: (s) => `bt ${r(1, s)}, ${r(2, s)}`, undef: fixed(OF | SF | AF | PF), sizes: wide });
  producers.push({ name: 'bsf', asm: (s) => `bsf ${r(1, s)}, ${r(2, s)}`, undef: fixed(CF | OF | SF | AF | PF), sizes: wide, setup: (c, g) => { if (g.chance(0.3)) c.setLow(REG.rcx, 32, 0n); } });
  producers.push({ name: 'popcnt', asm: (s) => `popcnt ${r(1, s)}, ${r(2, s)}`, undef: none, sizes: wide });
  producers.push({ name: 'lzcnt', asm: (s) => `lzcnt ${r(1, s)}, ${r(2, s)}`, undef: fixed(OF | SF | AF | PF), sizes: wide });
  producers.push({ name: 'cmpxchg', asm: (s) => `cmpxchg ${r(1, s)}, ${r(2, s)}`, undef: none, sizes, setup: (c, g) => { if (g.chance(0.5)) c.setReg(REG.rax, c.reg(REG.rdx)); } });
  producers.push({ name: 'xadd', asm: (s) => `xadd ${r(1, s)}, ${r(2, s)}`, undef: none, sizes });
  producers.push({ name: 'sahf', asm: () => 'sahf', undef: none, sizes: [8] });
  producers.push({ name: 'popf', asm: () => 'popf', undef: none, sizes: [8], setup: (c, g) => { c.setReg(REG.rsp, BigInt(OPERAND_AREA)); c.setOperand(0, bits, BigInt((g.u32() & (STATUS_FLAGS | FLAG.DF)) | FLAG.IF | 2)); } });

  const si = '%esi';
  for (const p of producers) {
    for (const s of p.sizes) {
      const head = p.asm(s);
      const label = p.sizes.length > 1 ? `${p.name} r${s}` : p.name;
      const ignore = (c: CaseRef, v: Variant): Ignore => {
        const ig = p.undef(c, s);
        if (v.uses && v.dest !== undefined && (ig.flags & v.uses)) return { ...ig, flags: ig.flags | (v.taints ?? 0), regs: (ig.regs ?? 0) | (1 << v.dest) };
        return ig;
      };
      add(`${label} then setcc`, CCS.map((cc) => ({ asm: `${head}; set${cc} %al`, uses: CC_FLAGS[cc], dest: REG.rax })), { ignore, setup: p.setup });
      add(`${label} then jcc`, CCS.map((cc) => ({ asm: `${head}; j${cc} 9f; mov $0x5a, %al; 9:`, uses: CC_FLAGS[cc], dest: REG.rax })), { ignore, setup: p.setup });
      add(`${label} then carry/flag consumers`, [
        { asm: `${head}; adc $0, ${si}`, uses: CF, dest: REG.rsi, taints: STATUS_FLAGS },
        { asm: `${head}; sbb ${si}, ${si}`, uses: CF, dest: REG.rsi, taints: STATUS_FLAGS },
        { asm: `${head}; inc ${si}; setbe %al`, uses: CF, dest: REG.rax },
        { asm: `${head}; dec ${si}; jc 9f; mov $0x5a, %al; 9:`, uses: CF, dest: REG.rax },
        { asm: `${head}; cmc; setc %al`, uses: CF, dest: REG.rax, taints: CF },
        { asm: `${head}; lahf`, uses: SF | ZF | AF | PF | CF, dest: REG.rax },
        { asm: `${head}; rcl $1, ${si}`, uses: CF, dest: REG.rsi, taints: CF | OF },
      ], { ignore, setup: p.setup });
    }
  }
}

/** DIV/IDIV inputs: mostly a non-zero divisor with a quotient that fits, sometimes #DE (zero divisor or overflow). */
function divSetup(signed: boolean, s: Size): (c: CaseRef, g: Rng, mem: boolean) => void {
  return (c, g, mem) => {
    const divisor = (): bigint => (mem ? c.operand(0, s) : c.low(REG.rcx, s));
    if (g.chance(0.15)) return; // anything, often #DE
    if (divisor() === 0n) { if (mem) c.setOperand(0, s, 7n); else c.setLow(REG.rcx, s, 7n); }
    const d = divisor();
    if (s === 8) {
      // dividend AX: high byte AH
      const lo = c.low(REG.rax, 8);
      const hi = signed ? ((lo & 0x80n) ? 0xffn : 0n) : BigInt(g.below(256)) % d;
      c.setLow(REG.rax, 16, (hi << 8n) | lo);
      return;
    }
    if (signed) {
      const neg = (c.low(REG.rax, s) >> BigInt(s - 1)) & 1n;
      c.setLow(REG.rdx, s, neg ? -1n : 0n);
    } else {
      c.setLow(REG.rdx, s, c.low(REG.rdx, s) % d);
    }
  };
}

/** Undefined flags of a one-register shift or rotate by `count` (before masking). */
export function shiftIgnore(op: string, s: Size, count: number): Ignore {
  const c = count & (s === 64 ? 63 : 31);
  if (c === 0) return { flags: 0 };
  let flags = c === 1 ? 0 : OF;
  if (op === 'shl' || op === 'shr' || op === 'sar') flags |= AF;
  if ((op === 'shl' || op === 'shr') && c >= s) flags |= CF | OF;
  return { flags };
}

/** SHLD/SHRD: a count beyond the operand size leaves the result and all flags undefined. */
export function doubleShiftIgnore(s: Size, count: number): Ignore {
  const c = count & (s === 64 ? 63 : 31);
  if (c === 0) return { flags: 0 };
  if (c > s) return { flags: STATUS_FLAGS, regs: 1 << REG.rdx, data: true };
  return { flags: AF | (c === 1 ? 0 : OF) };
}

/** String ops: a small count (REP uses the whole counter), pointers in the data window, equal runs half the time. */
function stringSetup(c: CaseRef, g: Rng, s: Size): void {
  c.setReg(REG.rcx, BigInt(g.chance(0.1) ? 0 : g.below(10)));
  const area = BigInt(OPERAND_AREA);
  c.setReg(REG.rsi, area - 0x30n + BigInt(g.below(0x60)));
  c.setReg(REG.rdi, area - 0x30n + BigInt(g.below(0x60)));
  if (g.chance(0.5)) {
    // equal runs for CMPS/SCAS: a constant-filled operand area and pointers into it
    const b = BigInt(g.pick([0, 0x41, 0xff]));
    for (let k = 0; k < 32; k++) c.setOperand(k, 8, b);
    c.setReg(REG.rsi, area + BigInt(g.below(8)));
    c.setReg(REG.rdi, area + 8n + BigInt(g.below(8)));
    c.setReg(REG.rax, 0x0101010101010101n * b);
    if (g.chance(0.3)) c.setLow(REG.rax, s, BigInt(g.below(256)));
  }
}

/**
 * POPF loads its value from the operand area (RSP points there). Only bits a
 * CPL-3 POPF may change and that cannot trap are random: status flags, DF,
 * NT and ID; IF stays set because the host cannot clear it (and the
 * interpreter runs at CPL 0, where POPF could), TF/AC/IOPL/RF/VM/VIF/VIP stay clear.
 */
function popfSetup(width: 16 | 32 | 64): (c: CaseRef, g: Rng) => void {
  return (c, g) => {
    c.setReg(REG.rsp, BigInt(OPERAND_AREA));
    const random = g.u32() & (STATUS_FLAGS | FLAG.DF | FLAG.NT | (width === 16 ? 0 : FLAG.ID));
    c.setOperand(0, width, BigInt(random | FLAG.IF | 2));
  };
}

