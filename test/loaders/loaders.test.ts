import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../lib/hypervisor/addon.js';
import { KernelLoadError } from '../../lib/machine/errors.js';
import { detectKernelProtocol, loadKernelFiles } from '../../lib/machine/loaders/kernel-loader.js';
import { LinuxLoadFailure, loadLinux } from '../../lib/machine/loaders/linux.js';
import { findPvhEntry, loadPvh } from '../../lib/machine/loaders/pvh.js';
import { BOOT_CMDLINE, BOOT_PML4, PVH_START_INFO, ZERO_PAGE } from '../../lib/machine/loaders/boot-layout.js';
import { runKernel } from '../helpers/run-guest.js';
import { makeBzImage } from './images.js';

const MIB = 1 << 20;
const probe = (name: string): Uint8Array => readFileSync(join(packageRoot(), 'dist', 'guests', name));
const dir = mkdtempSync(join(tmpdir(), 'tsvisor-loaders-'));

test('bzImage: kernel at pref_address, zero page, command line, initrd below initrd_addr_max, page tables', (t) => {
  const ram = new Uint8Array(64 * MIB);
  const payload = Uint8Array.from({ length: 0x400 }, (_, i) => i & 0xff);
  const initrd = new TextEncoder().encode('INITRD CONTENTS\n');
  const boot = loadLinux({ ram, image: makeBzImage(payload, { initrdAddrMax: 0x2ff_ffff }), cmdline: 'console=ttyS0 quiet', initrd, rsdpAddress: 0xe0000 });
  t.is(boot.loadAddress, 0x100_0000);
  t.is(boot.entry, 0x100_0200);
  t.deepEqual(ram.subarray(0x100_0000, 0x100_0400), payload);
  const zp = Buffer.from(ram.buffer, ZERO_PAGE, 4096);
  t.is(zp.readUInt32LE(0x202), 0x53726448, 'setup header copied');
  t.is(zp[0x210], 0xff, 'type_of_loader');
  t.is(zp[0x211]! & 0x81, 0x81, 'LOADED_HIGH kept, CAN_USE_HEAP set');
  t.is(zp.readUInt32LE(0x214), 0x100_0000, 'code32_start = where the kernel is');
  t.is(zp.readUInt32LE(0x228), BOOT_CMDLINE);
  t.is(Buffer.from(ram.buffer, BOOT_CMDLINE, 20).toString('latin1'), 'console=ttyS0 quiet\0');
  t.is(zp.readUInt32LE(0x21c), initrd.length);
  const initrdAt = zp.readUInt32LE(0x218);
  t.is(initrdAt % 4096, 0);
  t.true(initrdAt + initrd.length <= 0x300_0000, 'below initrd_addr_max');
  t.true(initrdAt >= boot.kernelEnd, 'above the kernel and its init_size');
  t.deepEqual(ram.subarray(initrdAt, initrdAt + initrd.length), initrd);
  t.is(Number(zp.readBigUInt64LE(0x70)), 0xe0000, 'acpi_rsdp_addr (protocol 2.14+)');
  t.is(zp[0x1e8], 3, 'E820 entries');
  t.deepEqual([Number(zp.readBigUInt64LE(0x2d0 + 40)), Number(zp.readBigUInt64LE(0x2d0 + 48)), zp.readUInt32LE(0x2d0 + 56)], [MIB, 63 * MIB, 1]);
  const pt = new DataView(ram.buffer);
  t.is(Number(pt.getBigUint64(BOOT_PML4, true)) & ~0xfff, 0xa000, 'PML4 -> PDPT');
  t.is(Number(pt.getBigUint64(0xb000 + 8, true)), 0x20_0000 | 0x83, '2 MiB identity pages');
});

test('bzImage rejections: old protocol, no 64-bit entry, too little RAM, command line too long', (t) => {
  const ram = new Uint8Array(32 * MIB);
  const payload = new Uint8Array(0x400);
  t.throws(() => loadLinux({ ram, image: makeBzImage(payload, { version: 0x205 }), cmdline: '' }), { instanceOf: LinuxLoadFailure, message: /2\.05 is too old/ });
  t.throws(() => loadLinux({ ram, image: makeBzImage(payload, { xloadflags: 0 }), cmdline: '' }), { message: /no 64-bit entry point/ });
  t.throws(() => loadLinux({ ram, image: makeBzImage(payload, { initSize: 20 * MIB }), cmdline: '' }), { message: /more than the guest RAM/ });
  t.throws(() => loadLinux({ ram, image: makeBzImage(payload, { cmdlineSize: 4 }), cmdline: 'too long' }), { message: /at most 4/ });
  const nonReloc = loadLinux({ ram, image: makeBzImage(payload, { relocatable: false }), cmdline: '' });
  t.is(nonReloc.loadAddress, 0x100000, 'non-relocatable: code32_start');
});

test('PVH: note found, segments loaded, hvm_start_info with cmdline, module and memory map', (t) => {
  const image = probe('pvh_probe.elf');
  const entry = findPvhEntry(image);
  t.truthy(entry);
  const ram = new Uint8Array(32 * MIB);
  const initrd = new TextEncoder().encode('module line\nrest');
  const boot = loadPvh({ ram, image, cmdline: 'hello pvh', initrd, rsdpAddress: 0xe0000 });
  t.is(boot.entry, entry!);
  const si = Buffer.from(ram.buffer, PVH_START_INFO, 56);
  t.is(si.readUInt32LE(0), 0x336ec578);
  t.is(si.readUInt32LE(4), 1);
  t.is(si.readUInt32LE(12), 1, 'one module');
  t.is(Number(si.readBigUInt64LE(24)), BOOT_CMDLINE);
  t.is(Number(si.readBigUInt64LE(32)), 0xe0000, 'rsdp_paddr');
  t.is(si.readUInt32LE(48), 3, 'memmap entries');
  const mod = Buffer.from(ram.buffer, Number(si.readBigUInt64LE(16)), 32);
  t.is(Number(mod.readBigUInt64LE(8)), initrd.length);
  t.deepEqual(ram.subarray(Number(mod.readBigUInt64LE(0)), Number(mod.readBigUInt64LE(0)) + initrd.length), initrd);
});

test('PVH rejections: segment below 1 MiB, no note, entry outside the segments', (t) => {
  const image = Buffer.from(probe('pvh_probe.elf'));
  const ram = new Uint8Array(32 * MIB);
  const phoff = image.readUInt32LE(28);
  const low = Buffer.from(image);
  low.writeUInt32LE(0x80000, phoff + 12); // PT_LOAD p_paddr
  t.throws(() => loadPvh({ ram, image: low, cmdline: '' }), { message: /segment 0 at 0x80000 .* lies outside the guest RAM available to kernels/ });
  t.throws(() => loadPvh({ ram, image: probe('hello.elf'), cmdline: '' }), { message: /no PVH entry note/ });
  const noteAt = image.indexOf(Buffer.from('Xen\0'));
  const farEntry = Buffer.from(image);
  farEntry.writeUInt32LE(0x1f0_0000, noteAt + 4);
  t.throws(() => loadPvh({ ram, image: farEntry, cmdline: '' }), { message: /PVH entry 0x1f00000 lies outside the loaded segments/ });
});

test('loader selection by content, and the error when nothing fits', (t) => {
  t.is(detectKernelProtocol(probe('hello.elf')), 'multiboot');
  t.is(detectKernelProtocol(makeBzImage(new Uint8Array(16))), 'linux');
  t.is(detectKernelProtocol(probe('pvh_probe.elf')), 'pvh');
  const junk = join(dir, 'junk.bin');
  writeFileSync(junk, Buffer.alloc(4096, 0x90));
  t.throws(() => loadKernelFiles(new Uint8Array(4 * MIB), { kernel: junk }), {
    instanceOf: KernelLoadError,
    message: `could not load kernel '${junk}': not a multiboot kernel, Linux bzImage or PVH ELF (no multiboot header, no "HdrS" setup header, no PVH entry note)`,
  });
  const old = join(dir, 'old.bz');
  writeFileSync(old, makeBzImage(new Uint8Array(512), { version: 0x204 }));
  t.throws(() => loadKernelFiles(new Uint8Array(4 * MIB), { kernel: old }), { message: /^could not load kernel '.*old\.bz': Linux boot protocol 2\.04 is too old/ });
});

test('bzImage boots on the CPU: 64-bit entry, boot_params checked by the guest', async (t) => {
  const kernel = join(dir, 'probe.bzImage');
  writeFileSync(kernel, makeBzImage(probe('linux_probe.bin')));
  const initrd = join(dir, 'probe.initrd');
  writeFileSync(initrd, 'first line of the initrd\nsecond\n');
  const r = await runKernel(kernel, { append: 'root=/dev/ram0 console=ttyS0', initrd, memoryMb: 64 });
  t.is(r.serial, 'linux-probe: cmdline=root=/dev/ram0 console=ttyS0\nlinux-probe: initrd=first line of the initrd\nlinux-probe: ok\n');
  t.is(r.status, 1);
});

test('PVH ELF boots on the CPU: 32-bit entry, start info checked by the guest', async (t) => {
  const initrd = join(dir, 'pvh.initrd');
  writeFileSync(initrd, 'pvh module\n');
  const r = await runKernel(join(packageRoot(), 'dist', 'guests', 'pvh_probe.elf'), { append: 'pvh args', initrd, memoryMb: 32 });
  t.is(r.serial, 'pvh-probe: cmdline=pvh args\npvh-probe: module=pvh module\npvh-probe: ok\n');
  t.is(r.status, 1);
});
