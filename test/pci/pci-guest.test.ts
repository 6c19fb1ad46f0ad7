/** The pci guest program on the real CPU: mechanism #1, enumeration, BARs and pci-testdev's protocol. */
import test from 'ava';
import { runGuest } from '../helpers/run-guest.js';

test('pci guest: bus 0 enumeration, machine-assigned BARs, sizing, pci-testdev MMIO and I/O tests, BAR move', async (t) => {
  const r = await runGuest('pci', { extraDevices: [{ driver: 'pci-testdev' }], timeoutMs: 60_000 });
  t.deepEqual(r.serial.split('\n').filter((l) => l.startsWith('FAIL')), []);
  t.regex(r.serial, /INFO: 00:00\.0 8086:1237 class 060000/);
  t.regex(r.serial, /INFO: 00:01\.0 1b36:0005 class ff0000/);
  t.regex(r.serial, /PASS: mmio test 2 \(mmio-datamatch-eventfd\)/);
  t.regex(r.serial, /PASS: port test 0 \(portio-no-eventfd\)/);
  t.regex(r.serial, /SUMMARY: \d+ tests, 0 failures/);
  t.is(r.status, 1);
});
