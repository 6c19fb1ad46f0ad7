/**
 * VFIO end to end: scripts/vfio-in-qemu.mjs boots Debian's kernel under
 * qemu-system-x86_64 (TCG, q35, an emulated Intel IOMMU, QEMU's edu device
 * bound to vfio-pci) and runs tsvisor there with -device vfio-pci on the
 * vfio_edu guest (test/guests/vfio_edu.c): BAR0 through the VFIO region
 * mapping, INTx and MSI through eventfds, and a DMA round trip through the
 * IOMMU mapping of guest RAM. About a minute on a busy 2-core host; needs
 * qemu-system-x86 (.ci/run installs it) and the Linux cache.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { linuxTest } from '../helpers/linux-kernel.js';
import { testWhen } from '../helpers/test-when.js';

const ROOT = resolve(__dirname, '..', '..', '..');
const qemuInstalled = spawnSync('qemu-system-x86_64', ['--version']).status === 0;
// The Linux cache first (fetched on first use), then QEMU.
const linux = linuxTest();
const when = qemuInstalled ? linux : testWhen(false, 'qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)', { serial: true });

/** What the guest must report, one line per part of the VFIO path. */
const EXPECTED = [
  /PASS: edu device 1234:11e8 found at slot \d+/,
  /PASS: identification register 0x010000ed/,
  /PASS: liveness: 0x12345678 reads back inverted \(0xedcba987\)/,
  /PASS: factorial of 10 computed by the device: 3628800/,
  /PASS: INTx: raise 0x1234 interrupted through the IOAPIC \(1\)/,
  /PASS: INTx: acknowledged and EOIed, no second interrupt \(1\)/,
  /PASS: INTx: a second raise \(0x5\) interrupts again/,
  /PASS: MSI: raise 0x40 arrived as vector 0x41/,
  /PASS: MSI: nothing through INTx meanwhile, no extra messages \(2, 2\)/,
  /PASS: DMA: completion interrupt 0x100 as MSI/,
  /PASS: DMA round trip: 256 of 256 bytes came back/,
];

when('vfio-pci in nested QEMU: the edu device through VFIO (MMIO, INTx and MSI through eventfds, DMA through the IOMMU)', async (t) => {
  t.timeout(12 * 60_000);
  const child = spawn('nice', ['-n', '10', process.execPath, join(ROOT, 'scripts', 'vfio-in-qemu.mjs'), '--timeout', '600'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('latin1')));
  child.stderr.on('data', (c: Buffer) => (err += c.toString('latin1')));
  const status = await new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const lines = out.split(/\r?\n/);
  t.log(lines.filter((l) => /^(vfio-in-qemu: edu|SUMMARY|FAIL)/.test(l)).join('\n'));
  t.deepEqual(lines.filter((l) => l.startsWith('FAIL')), [], 'no guest check failed');
  t.regex(out, /vfio-in-qemu: edu bound to vfio-pci/);
  for (const line of EXPECTED) t.regex(out, line);
  t.regex(out, /SUMMARY: \d+ tests, 0 failures/);
  t.is(status, 0, `vfio-in-qemu exit status (stderr: ${err.trim().split('\n').slice(-3).join(' | ')})`);
});
