import test from 'ava';
import { and, arg, buffer, device, eisaIdValue, field, ifThen, integer, local, method, name, nameString, notify, operationRegion, pkg, pkgLength, returnValue, scope, store, string } from '../../lib/machine/firmware/aml.js';
import { dwordMemory, ioPorts, resourceTemplate, wordBusNumber, wordIo } from '../../lib/machine/firmware/resource-template.js';

const bytes = (a: Uint8Array | number[]): number[] => Array.from(a);

test('PkgLength: 1 byte up to 63, then lead byte with byte count and low nibble', (t) => {
  t.deepEqual(pkgLength(10), [11]);
  t.deepEqual(pkgLength(62), [63]);
  // 63 bytes of content + 2 length bytes = 65 = 0x41: lead 0x40 | 1, then 0x41 >> 4 = 4.
  t.deepEqual(pkgLength(63), [0x41, 0x04]);
  // 0x1000 content + 3 = 0x1003: lead 0x80 | 3, then 0x00, 0x01.
  t.deepEqual(pkgLength(0x1000), [0x83, 0x00, 0x01]);
});

test('names: single, root, dual, multi, parent prefixes, padding', (t) => {
  t.deepEqual(bytes(nameString('_HID')), [0x5f, 0x48, 0x49, 0x44]);
  t.deepEqual(bytes(nameString('\\_S5')), [0x5c, 0x5f, 0x53, 0x35, 0x5f]);
  t.deepEqual(bytes(nameString('\\_SB.PCI0')), [0x5c, 0x2e, 0x5f, 0x53, 0x42, 0x5f, 0x50, 0x43, 0x49, 0x30]);
  t.deepEqual(bytes(nameString('A.B.C')), [0x2f, 3, 0x41, 0x5f, 0x5f, 0x5f, 0x42, 0x5f, 0x5f, 0x5f, 0x43, 0x5f, 0x5f, 0x5f]);
  t.deepEqual(bytes(nameString('^^FOO')), [0x5e, 0x5e, 0x46, 0x4f, 0x4f, 0x5f]);
  t.throws(() => nameString('lower'));
});

test('integers take the shortest encoding', (t) => {
  t.deepEqual(bytes(integer(0)), [0x00]);
  t.deepEqual(bytes(integer(1)), [0x01]);
  t.deepEqual(bytes(integer(0x0a)), [0x0a, 0x0a]);
  t.deepEqual(bytes(integer(0x1234)), [0x0b, 0x34, 0x12]);
  t.deepEqual(bytes(integer(0x0001ffff)), [0x0c, 0xff, 0xff, 0x01, 0x00]);
  t.deepEqual(bytes(integer(0x1_0000_0000n)), [0x0e, 0, 0, 0, 0, 1, 0, 0, 0]);
  t.throws(() => integer(-1));
});

test('strings, buffers, packages, Name', (t) => {
  t.deepEqual(bytes(string('AB')), [0x0d, 0x41, 0x42, 0x00]);
  // Buffer(3){1,2,3}: 11 PkgLength(1 + 2 + 3 = 6) 0A 03 01 02 03
  t.deepEqual(bytes(buffer([1, 2, 3])), [0x11, 0x06, 0x0a, 0x03, 1, 2, 3]);
  // Name(_S5, Package(){0, 0x0A}): 08 _S5_ 12 PkgLength(5) 02 00 0A 0A
  t.deepEqual(bytes(name('_S5', pkg([integer(0), integer(10)]))), [0x08, 0x5f, 0x53, 0x35, 0x5f, 0x12, 0x05, 0x02, 0x00, 0x0a, 0x0a]);
});

test('Scope, Device, Method, Return', (t) => {
  // Device(DEV0){Name(_UID, 1)}: 5B 82 PkgLength(1+4+6=11) DEV0 08 _UID 01
  t.deepEqual(bytes(device('DEV0', [name('_UID', integer(1))])),
    [0x5b, 0x82, 0x0b, 0x44, 0x45, 0x56, 0x30, 0x08, 0x5f, 0x55, 0x49, 0x44, 0x01]);
  // Scope(\_SB){}: 10 PkgLength(6) 5C _SB_
  t.deepEqual(bytes(scope('\\_SB', [])), [0x10, 0x06, 0x5c, 0x5f, 0x53, 0x42, 0x5f]);
  // Method(_STA, 0, NotSerialized){Return(0x0F)}: 14 PkgLength(1+4+1+3=9) _STA 00 A4 0A 0F
  t.deepEqual(bytes(method('_STA', 0, false, [returnValue(integer(0x0f))])), [0x14, 0x09, 0x5f, 0x53, 0x54, 0x41, 0x00, 0xa4, 0x0a, 0x0f]);
});

test('EISAID compression', (t) => {
  t.is(eisaIdValue('PNP0A03'), 0x030ad041);
  t.is(eisaIdValue('PNP0501'), 0x0105d041);
});

test('resource descriptors', (t) => {
  t.deepEqual(ioPorts(0xcf8, 8), [0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08]);
  t.deepEqual(wordBusNumber(0, 0xff), [0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0, 0, 0, 0, 0xff, 0, 0, 0, 0x00, 0x01]);
  t.deepEqual(wordIo(0x0d00, 0xffff).slice(0, 6), [0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03]);
  const mem = dwordMemory(0xe000_0000, 0xfebf_ffff, false);
  t.is(mem.length, 3 + 0x17);
  t.deepEqual(mem.slice(0, 6), [0x87, 0x17, 0x00, 0x00, 0x0c, 0x01]);
  t.deepEqual(mem.slice(10, 14), [0x00, 0x00, 0x00, 0xe0], 'minimum');
  t.deepEqual(mem.slice(22, 26), [0x00, 0x00, 0xc0, 0x1e], 'length 0x1ec00000');
  const rt = bytes(resourceTemplate([ioPorts(0x60, 1)]));
  t.deepEqual(rt, [0x11, 0x0d, 0x0a, 0x0a, 0x47, 0x01, 0x60, 0x00, 0x60, 0x00, 0x01, 0x01, 0x79, 0x00]);
});

test('OperationRegion, Field, Store, And, If, Notify, LocalN, ArgN', (t) => {
  // OperationRegion(REG0, SystemIO, 0x600, 4): 5B 80 REG0 01 0B 00 06 0A 04
  t.deepEqual(bytes(operationRegion('REG0', 1, 0x600, 4)), [0x5b, 0x80, 0x52, 0x45, 0x47, 0x30, 0x01, 0x0b, 0x00, 0x06, 0x0a, 0x04]);
  // Field(REG0, DWordAcc){ FLD0, 32, FLD1, 100 }: 5B 81 PkgLength(4+1+5+6=16 -> 17) REG0 03 FLD0 20 FLD1 44 06
  t.deepEqual(bytes(field('REG0', 0x03, [{ name: 'FLD0', bits: 32 }, { name: 'FLD1', bits: 100 }])),
    [0x5b, 0x81, 0x11, 0x52, 0x45, 0x47, 0x30, 0x03, 0x46, 0x4c, 0x44, 0x30, 0x20, 0x46, 0x4c, 0x44, 0x31, 0x44, 0x06]);
  t.deepEqual(bytes(store(arg(0), local(2))), [0x70, 0x68, 0x62]);
  t.deepEqual(bytes(and(local(0), integer(4))), [0x7b, 0x60, 0x0a, 0x04, 0x00]);
  // If(Local0){ Notify(DEV0, 1) }: A0 PkgLength(1+1+6=8) 60 86 DEV0 01
  t.deepEqual(bytes(ifThen(local(0), [notify('DEV0', 1)])), [0xa0, 0x08, 0x60, 0x86, 0x44, 0x45, 0x56, 0x30, 0x01]);
  t.throws(() => local(8));
  t.throws(() => arg(7));
});
