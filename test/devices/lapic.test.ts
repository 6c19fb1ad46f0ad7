/** Local APIC and APIC bus units: registers, priorities, timer modes (icount clock), routing. */
import test from 'ava';
import * as abi from '../../lib/hypervisor/abi.generated.js';
import { Vcpu } from '../../lib/hypervisor/vcpu.js';
import { Clock } from '../../lib/machine/clock.js';
import { DeliveryMode } from '../../lib/machine/interrupt-types.js';
import { MsrRegistry } from '../../lib/machine/msr-registry.js';
import { BusConflictError } from '../../lib/machine/errors.js';
import { ApicBusHub } from '../../lib/devices/apic-bus.js';
import { EXTINT_PENDING, LocalApic } from '../../lib/devices/lapic.js';
import * as r from '../../lib/devices/lapic-registers.js';

function rig(count = 1) {
  const vmState = new ArrayBuffer(abi.TSV_VM_BUFFER_SIZE);
  const clock = new Clock(vmState, { mode: 'icount', shift: 0 }, () => 0n);
  const vm64 = new BigUint64Array(vmState);
  const advance = (ns: number): void => {
    vm64[abi.TSV_OFF_VM_INSTRET >> 3]! += BigInt(ns);
    clock.runExpiredTimers();
  };
  const events: string[] = [];
  const bus = new ApicBusHub({
    interruptRaised: () => {},
    initVcpu: (i) => events.push(`init ${i}`),
    startupVcpu: (i, v) => events.push(`sipi ${i} 0x${v.toString(16)}`),
  });
  const apics: LocalApic[] = [];
  for (let i = 0; i < count; i++) {
    const state = new ArrayBuffer(abi.TSV_VCPU_BUFFER_SIZE);
    const vcpu = new Vcpu(i, { state, run: () => 0, reset: () => {}, translate: () => -1 });
    vcpu.apicBase = 0xfee00800n | (i === 0 ? 0x100n : 0n);
    const apic = new LocalApic(i, vcpu, clock, bus);
    bus.attach(apic);
    apic.writeRegister(r.REG_SVR, 0x1ff);
    apics.push(apic);
  }
  return { clock, advance, vm64, bus, apics, events, apic: apics[0]! };
}

const reg = (a: LocalApic, offset: number): number => a.readRegister(offset)!;
const irr = (a: LocalApic, v: number): boolean => ((reg(a, r.REG_IRR + (v >> 5) * 16) >>> (v & 31)) & 1) === 1;
const isr = (a: LocalApic, v: number): boolean => ((reg(a, r.REG_ISR + (v >> 5) * 16) >>> (v & 31)) & 1) === 1;

test('reset values, ID and version; MMIO reads are 32-bit registers on 16-byte strides', (t) => {
  const { apic } = rig();
  t.is(reg(apic, r.REG_ID), 0);
  t.is(reg(apic, r.REG_VERSION), 0x50014);
  t.is(reg(apic, r.REG_LVT_TIMER), r.LVT_MASKED);
  t.is(reg(apic, r.REG_DFR), 0xffffffff);
  t.true(apic.claims(0xfee00000));
  t.false(apic.claims(0xfee01000));
  const data = new Uint8Array(16);
  apic.mmioRead(0xfee00030, data, 4);
  t.deepEqual([...data.subarray(0, 4)], [0x14, 0, 5, 0]);
  apic.mmioRead(0xfee00032, data, 2);
  t.deepEqual([...data.subarray(0, 2)], [5, 0], 'sub-register reads see the right bytes');
});

test('priority classes: highest IRR above PPR; ISR blocks its class and below; EOI; TPR', (t) => {
  const { apic } = rig();
  for (const v of [0x31, 0x45, 0x52]) apic.acceptInterrupt(v, false);
  t.is(apic.pendingVector(), 0x52);
  t.is(apic.interruptAcknowledge(0x52), 0x52);
  t.true(isr(apic, 0x52) && !irr(apic, 0x52));
  t.is(reg(apic, r.REG_PPR), 0x50);
  apic.acceptInterrupt(0x55, false);
  t.is(apic.pendingVector(), -1, 'same class as in service: held');
  apic.acceptInterrupt(0x61, false);
  t.is(apic.pendingVector(), 0x61, 'higher class nests');
  apic.interruptAcknowledge(0x61);
  apic.writeRegister(r.REG_EOI, 0);
  apic.writeRegister(r.REG_EOI, 0);
  t.false(isr(apic, 0x52) || isr(apic, 0x61));
  apic.writeRegister(r.REG_TPR, 0x5f);
  t.is(reg(apic, r.REG_PPR), 0x5f);
  t.is(apic.pendingVector(), -1, '0x55 is not above TPR class 5');
  apic.writeRegister(r.REG_TPR, 0x40);
  t.is(apic.pendingVector(), 0x55);
  t.is(apic.arbitrationPriority, 0x50, 'APR: IRR class above TPR');
});

test('CR8 written by the guest (seen in the vCPU buffer) is the TPR', (t) => {
  const { apic } = rig();
  apic.vcpu.cr8 = 9n;
  t.is(reg(apic, r.REG_TPR), 0x90);
});

test('level-triggered vectors set TMR and broadcast their EOI', (t) => {
  const { apic, bus } = rig();
  const eois: number[] = [];
  bus.addEoiListener((v) => eois.push(v));
  bus.deliver({ vector: 0x33, deliveryMode: DeliveryMode.Fixed, logical: false, destination: 0, levelTriggered: true });
  bus.deliver({ vector: 0x34, deliveryMode: DeliveryMode.Fixed, logical: false, destination: 0, levelTriggered: false });
  t.is((reg(apic, r.REG_TMR + 16) >>> 0x13) & 3, 1, 'TMR bit only for the level vector');
  apic.interruptAcknowledge(apic.pendingVector());
  apic.writeRegister(r.REG_EOI, 0);
  apic.interruptAcknowledge(apic.pendingVector());
  apic.writeRegister(r.REG_EOI, 0);
  t.deepEqual(eois, [0x33]);
});

test('ESR: write-before-read, illegal vectors, error LVT', (t) => {
  const { apic } = rig();
  apic.writeRegister(r.REG_LVT_ERROR, 0xe0);
  apic.writeRegister(r.REG_ICR_LOW, 0x40000 | 3); // self IPI, vector 3
  t.is(reg(apic, r.REG_ESR), 0);
  apic.writeRegister(r.REG_ESR, 0);
  t.is(reg(apic, r.REG_ESR), r.ESR_SEND_ILLEGAL_VECTOR);
  t.is(apic.pendingVector(), 0xe0, 'error interrupt');
  apic.acceptInterrupt(7, false);
  apic.writeRegister(r.REG_ESR, 0);
  t.is(reg(apic, r.REG_ESR), r.ESR_RECEIVE_ILLEGAL_VECTOR);
  const data = new Uint8Array(16);
  apic.mmioRead(0xfee00400, data, 4);
  apic.writeRegister(r.REG_ESR, 0);
  t.is(reg(apic, r.REG_ESR), r.ESR_ILLEGAL_REGISTER);
});

test('software disable masks the LVTs and holds fixed interrupts', (t) => {
  const { apic } = rig();
  apic.writeRegister(r.REG_LVT_LINT0, 0x30);
  apic.writeRegister(r.REG_SVR, 0xff);
  t.is(reg(apic, r.REG_LVT_LINT0) & r.LVT_MASKED, r.LVT_MASKED);
  apic.writeRegister(r.REG_LVT_LINT0, 0x30);
  t.is(reg(apic, r.REG_LVT_LINT0) & r.LVT_MASKED, r.LVT_MASKED, 'cannot unmask while disabled');
  apic.acceptInterrupt(0x40, false);
  t.is(apic.pendingVector(), -1);
  apic.writeRegister(r.REG_SVR, 0x1ff);
  t.is(apic.pendingVector(), 0x40);
});

test('timer one-shot: divide configuration, current count, one interrupt', (t) => {
  const { apic, advance } = rig();
  t.is(r.timerDivisor(0b1011), 1);
  t.is(r.timerDivisor(0b0000), 2);
  t.is(r.timerDivisor(0b1010), 128);
  apic.writeRegister(r.REG_TIMER_DIVIDE, 0); // divide by 2
  apic.writeRegister(r.REG_LVT_TIMER, 0x40);
  apic.writeRegister(r.REG_TIMER_INITIAL, 1000);
  advance(500);
  t.is(reg(apic, r.REG_TIMER_CURRENT), 750);
  advance(1499);
  t.is(apic.pendingVector(), -1);
  advance(1);
  t.is(apic.pendingVector(), 0x40);
  t.is(reg(apic, r.REG_TIMER_CURRENT), 0);
  apic.interruptAcknowledge(0x40);
  apic.writeRegister(r.REG_EOI, 0);
  advance(10_000);
  t.is(apic.pendingVector(), -1, 'no second interrupt');
});

test('timer periodic: reloads without drift; masked still counts; initial 0 stops', (t) => {
  const { apic, advance } = rig();
  apic.writeRegister(r.REG_TIMER_DIVIDE, 0xb);
  apic.writeRegister(r.REG_LVT_TIMER, (r.TIMER_PERIODIC << 17) | 0x41);
  apic.writeRegister(r.REG_TIMER_INITIAL, 100);
  let ticks = 0;
  for (let i = 0; i < 10; i++) {
    advance(50);
    if (apic.pendingVector() === 0x41) {
      ticks++;
      apic.interruptAcknowledge(0x41);
      apic.writeRegister(r.REG_EOI, 0);
    }
  }
  t.is(ticks, 5);
  t.is(reg(apic, r.REG_TIMER_CURRENT), 100);
  advance(30);
  t.is(reg(apic, r.REG_TIMER_CURRENT), 70);
  apic.writeRegister(r.REG_TIMER_INITIAL, 0);
  advance(1000);
  t.is(apic.pendingVector(), -1);
});

test('timer TSC-deadline through IA32_TSC_DEADLINE; mode switches disarm', (t) => {
  const { apic, advance, clock } = rig();
  const msr = apic.tscDeadlineMsr;
  msr.write(apic.vcpu, r.MSR_TSC_DEADLINE, 4000n);
  t.is(msr.read(apic.vcpu, r.MSR_TSC_DEADLINE), 0n, 'ignored outside TSC-deadline mode');
  apic.writeRegister(r.REG_LVT_TIMER, (r.TIMER_TSC_DEADLINE << 17) | 0x42);
  msr.write(apic.vcpu, r.MSR_TSC_DEADLINE, 4000n); // 2 GHz: 2000 ns
  t.is(msr.read(apic.vcpu, r.MSR_TSC_DEADLINE), 4000n);
  advance(1999);
  t.is(apic.pendingVector(), -1);
  advance(1);
  t.is(clock.tsc(), 4000n);
  t.is(apic.pendingVector(), 0x42);
  t.is(msr.read(apic.vcpu, r.MSR_TSC_DEADLINE), 0n);
  msr.write(apic.vcpu, r.MSR_TSC_DEADLINE, 10_000n);
  apic.writeRegister(r.REG_LVT_TIMER, 0x42); // back to one-shot: disarmed
  advance(10_000);
  apic.interruptAcknowledge(0x42);
  apic.writeRegister(r.REG_EOI, 0);
  t.is(apic.pendingVector(), -1);
});

test('bus: physical, broadcast, flat and cluster logical destinations', (t) => {
  const { apics, bus } = rig(4);
  const fixed = (destination: number, logical: boolean) =>
    bus.deliver({ vector: 0x50, deliveryMode: DeliveryMode.Fixed, logical, destination, levelTriggered: false });
  const hit = () => apics.map((a) => {
    const p = a.pendingVector() === 0x50;
    if (p) a.interruptAcknowledge(0x50), a.writeRegister(r.REG_EOI, 0);
    return p ? 1 : 0;
  });
  fixed(2, false);
  t.deepEqual(hit(), [0, 0, 1, 0]);
  fixed(0xff, false);
  t.deepEqual(hit(), [1, 1, 1, 1]);
  apics.forEach((a, i) => a.writeRegister(r.REG_LDR, (1 << i) << 24));
  fixed(0b1010, true);
  t.deepEqual(hit(), [0, 1, 0, 1], 'flat: bit mask');
  apics.forEach((a, i) => {
    a.writeRegister(r.REG_DFR, 0x0fffffff);
    a.writeRegister(r.REG_LDR, (((i >> 1) << 4) | (1 << (i & 1))) << 24);
  });
  fixed(0x12, true);
  t.deepEqual(hit(), [0, 0, 0, 1], 'cluster 1, member bit 1');
  fixed(0x03, true);
  t.deepEqual(hit(), [1, 1, 0, 0], 'cluster 0, both members');
});

test('bus: lowest priority picks the lowest APR, ties to the lowest index', (t) => {
  const { apics, bus } = rig(3);
  const lowest = () => bus.deliver({ vector: 0x60, deliveryMode: DeliveryMode.LowestPriority, logical: false, destination: 0xff, levelTriggered: false });
  apics[0]!.writeRegister(r.REG_TPR, 0x20);
  apics[1]!.writeRegister(r.REG_TPR, 0x10);
  apics[2]!.writeRegister(r.REG_TPR, 0x10);
  lowest();
  t.deepEqual(apics.map((a) => a.pendingVector()), [-1, 0x60, -1]);
});

test('ICR: shorthands, NMI, INIT (with de-assert ignored), SIPI', (t) => {
  const { apics, events } = rig(3);
  const [bsp, ap1, ap2] = apics as [LocalApic, LocalApic, LocalApic];
  bsp.writeRegister(r.REG_ICR_LOW, (r.SHORTHAND_ALL_EXCLUDING_SELF << 18) | 0x70);
  t.deepEqual(apics.map((a) => a.pendingVector()), [-1, 0x70, 0x70]);
  bsp.writeRegister(r.REG_ICR_LOW, (r.SHORTHAND_ALL_INCLUDING_SELF << 18) | 0x71);
  t.is(bsp.pendingVector(), 0x71);
  bsp.writeRegister(r.REG_ICR_HIGH, 2 << 24);
  bsp.writeRegister(r.REG_ICR_LOW, DeliveryMode.Nmi << 8);
  t.true(ap2.takeNmi());
  t.false(ap2.takeNmi());
  t.false(ap1.takeNmi());
  bsp.writeRegister(r.REG_ICR_LOW, (DeliveryMode.Init << 8) | r.ICR_LEVEL_TRIGGERED); // de-assert
  bsp.writeRegister(r.REG_ICR_LOW, (DeliveryMode.Init << 8) | r.ICR_LEVEL_ASSERT);
  bsp.writeRegister(r.REG_ICR_LOW, (DeliveryMode.StartUp << 8) | 0x9a);
  t.deepEqual(events, ['init 2', 'sipi 2 0x9a']);
  t.is(ap2.pendingVector(), -1, 'INIT cleared IRR');
  t.is(reg(bsp, r.REG_ICR_LOW) & r.ICR_DELIVERY_PENDING, 0, 'delivery status idle');
});

test('x2APIC: MSR window, 32-bit ID, derived LDR, 64-bit ICR, SELF IPI, #GP cases', (t) => {
  const { apics } = rig(18);
  const a = apics[17]!;
  const msrs = a.x2apicMsrs;
  t.is(msrs.read(a.vcpu, 0x802), undefined, '#GP in xAPIC mode');
  a.vcpu.apicBase = 0xfee00c00n;
  t.is(msrs.read(a.vcpu, 0x802), 17n);
  t.is(msrs.read(a.vcpu, 0x80d), (1n << 16n) | 2n, 'cluster 1, bit 1');
  t.is(msrs.read(a.vcpu, 0x80e), undefined, 'no DFR');
  t.false(msrs.write(a.vcpu, 0x802, 1n), 'ID read-only');
  t.false(msrs.write(a.vcpu, 0x80b, 1n), 'EOI must be 0');
  t.false(msrs.write(a.vcpu, 0x808, 1n << 32n), 'upper bits of a 32-bit register');
  t.false(a.claims(0xfee00000), 'no MMIO in x2APIC mode');
  t.true(msrs.write(a.vcpu, 0x83f, 0x66n));
  t.is(a.pendingVector(), 0x66);
  apics[3]!.vcpu.apicBase = 0xfee00c00n;
  t.true(msrs.write(a.vcpu, 0x830, (3n << 32n) | 0x67n));
  t.is(apics[3]!.pendingVector(), 0x67);
  t.is(msrs.read(a.vcpu, 0x830), (3n << 32n) | 0x67n);
  a.vcpu.apicBase = 0xfee00000n; // disabled: reset
  a.vcpu.apicBase = 0xfee00800n;
  t.is(a.pendingVector(), -1);
  t.is(reg(a, r.REG_SVR), 0xff);
});

test('ExtINT: LINT0 in ExtINT mode asks the 8259 at INTA; with the APIC disabled INTR goes straight through', (t) => {
  const { apic } = rig();
  let intr = true;
  let listener: ((level: boolean) => void) | undefined;
  apic.connectLegacy({ get intr() { return intr; }, acknowledge: () => { intr = false; return 0x20; }, onIntrChange: (l) => (listener = l) });
  t.truthy(listener);
  t.is(apic.pendingVector(), -1, 'LINT0 masked');
  apic.setVirtualWire(true);
  t.is(apic.pendingVector(), EXTINT_PENDING);
  t.is(apic.interruptAcknowledge(EXTINT_PENDING), 0x20);
  t.is(apic.pendingVector(), -1);
  intr = true;
  apic.vcpu.apicBase = 0xfee00000n;
  t.is(apic.pendingVector(), EXTINT_PENDING, 'hardware-disabled APIC: INTR reaches the CPU');
});

test('MSR registry: ranges, overlap, dispatch with #GP for refusals', (t) => {
  const applied: Array<Array<[number, number]>> = [];
  const msrs = new MsrRegistry((ranges) => applied.push(ranges));
  msrs.register(0x40000000, 0x400000ff, { read: () => 7n, write: () => false });
  msrs.register(0x10, 0x10, { read: () => undefined, write: () => true });
  t.deepEqual(applied.at(-1), [[0x10, 0x10], [0x40000000, 0x400000ff]]);
  t.throws(() => msrs.register(0x400000f0, 0x40000100, { read: () => 0n, write: () => true }), { instanceOf: BusConflictError });
  const state = new ArrayBuffer(abi.TSV_VCPU_BUFFER_SIZE);
  const vcpu = new Vcpu(0, { state, run: () => 0, reset: () => {}, translate: () => -1 });
  const u8 = new Uint8Array(state);
  const dv = new DataView(state);
  dv.setUint32(abi.TSV_OFF_EXIT_MSR_INDEX, 0x40000001, true);
  msrs.dispatch(vcpu, false);
  t.is(vcpu.msrData, 7n);
  t.is(u8[abi.TSV_OFF_EXIT_MSR_ERROR], 0);
  msrs.dispatch(vcpu, true);
  t.is(u8[abi.TSV_OFF_EXIT_MSR_ERROR], 1, 'write refused: #GP');
  dv.setUint32(abi.TSV_OFF_EXIT_MSR_INDEX, 0x11, true);
  msrs.dispatch(vcpu, false);
  t.is(u8[abi.TSV_OFF_EXIT_MSR_ERROR], 1, 'no handler: #GP');
});

test('IA32_APIC_BASE relocation moves the xAPIC page', (t) => {
  const { apic } = rig();
  apic.vcpu.apicBase = 0xfeb00900n;
  t.false(apic.claims(0xfee00030));
  t.true(apic.claims(0xfeb00030));
  const data = new Uint8Array(16);
  apic.mmioRead(0xfeb00030, data, 4);
  t.is(data[0], 0x14);
  apic.vcpu.apicBase = 0x1_2340_0900n;
  t.true(apic.claims(0x1_2340_0000), 'above 4 GiB');
  t.is(apic.base, 0x1_2340_0000);
});

test('timer periodic: periods that passed unseen merge into one interrupt (no host busy loop)', (t) => {
  const { apic, clock, vm64 } = rig();
  apic.writeRegister(r.REG_TIMER_DIVIDE, 0xb);
  apic.writeRegister(r.REG_LVT_TIMER, (r.TIMER_PERIODIC << 17) | 0x41);
  apic.writeRegister(r.REG_TIMER_INITIAL, 1); // 1 ns period
  vm64[abi.TSV_OFF_VM_INSTRET >> 3]! += 5_000_000n;
  t.true(clock.runExpiredTimers() <= 2, 'a couple of callbacks, not five million');
  t.is(apic.pendingVector(), 0x41);
});

/** A 4-byte flag word in a small RAM, as a lazy-EOI channel sees guest memory. */
function flagMemory() {
  const view = new DataView(new ArrayBuffer(64));
  return {
    size: 64,
    readU32: (gpa: number) => view.getUint32(gpa, true),
    writeU32: (gpa: number, v: number) => view.setUint32(gpa, v >>> 0, true),
  };
}

test('lazy EOI: granted for a lone edge vector, retired when the guest clears the flag, before the next evaluation', (t) => {
  const { apic } = rig();
  const mem = flagMemory();
  const channel = apic.addEoiAssist('test', mem);
  channel.enable(8);
  mem.writeU32(8, 0xf0);
  apic.acceptInterrupt(0x41, false);
  t.is(apic.interruptAcknowledge(apic.pendingVector()), 0x41);
  t.is(mem.readU32(8), 0xf1, 'bit 0 set, the guest\'s bits kept');
  t.is(channel.grantedVector, 0x41);
  mem.writeU32(8, 0xf0); // the guest's BTR
  apic.acceptInterrupt(0x41, false);
  t.is(apic.pendingVector(), 0x41, 'the same vector is deliverable: the cleared flag retired the first');
  t.is(channel.lazyEois, 1);
  apic.interruptAcknowledge(0x41);
  // A second vector arrives while the flag is set: withdrawn, the guest's EOI write retires the right vector.
  apic.acceptInterrupt(0x61, false);
  t.is(mem.readU32(8), 0xf0, 'withdrawn');
  t.is(channel.grantedVector, -1);
  apic.interruptAcknowledge(apic.pendingVector());
  t.is(mem.readU32(8), 0xf0, 'no grant with another vector in service');
  apic.writeRegister(r.REG_EOI, 0);
  t.true(isr(apic, 0x41) && !isr(apic, 0x61));
  apic.writeRegister(r.REG_EOI, 0);
  t.false(isr(apic, 0x41));
});

test('lazy EOI: never for level-triggered vectors; INIT withdraws a grant; disabling settles a cleared flag first', (t) => {
  const { apic } = rig();
  const mem = flagMemory();
  const channel = apic.addEoiAssist('test', mem);
  channel.enable(0);
  apic.acceptInterrupt(0x41, true);
  apic.interruptAcknowledge(apic.pendingVector());
  t.is(mem.readU32(0), 0, 'level-triggered: the IOAPIC needs the EOI');
  apic.writeRegister(r.REG_EOI, 0);
  apic.acceptInterrupt(0x42, false);
  apic.interruptAcknowledge(apic.pendingVector());
  t.is(mem.readU32(0), 1);
  apic.init();
  t.is(mem.readU32(0), 0, 'INIT empties ISR and clears the flag');
  apic.writeRegister(r.REG_SVR, 0x1ff);
  apic.acceptInterrupt(0x43, false);
  apic.interruptAcknowledge(apic.pendingVector());
  mem.writeU32(0, 0);
  channel.disable();
  t.false(isr(apic, 0x43), 'the guest had cleared the flag: the EOI is done before the channel goes');
  t.false(channel.enabled);
});
