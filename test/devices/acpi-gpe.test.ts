/** The GPE0 block and the SCI it shares with the PM1 events (wired-OR). */
import test from 'ava';
import { AcpiGpe0 } from '../../lib/devices/acpi-gpe.js';
import { IrqLines } from '../../lib/machine/irq.js';
import { WiredOrLine } from '../../lib/machine/wired-or.js';

test('GPE0: status set by the hardware, write 1 to clear, SCI while an enabled status bit is set', (t) => {
  const irqs = new IrqLines(24);
  const sci = new WiredOrLine(irqs.line(9));
  const pm1 = sci.source();
  const gpe = new AcpiGpe0(sci.source());
  gpe.raise(1);
  t.is(gpe.pioRead(0, 2), 0x0002);
  t.false(irqs.line(9).level, 'not enabled: no SCI');
  gpe.pioWrite(2, 1, 0x02);
  t.true(gpe.enabled(1));
  t.true(irqs.line(9).level);
  pm1.set(true);
  gpe.pioWrite(0, 2, 0x0002); // clear GPE 1
  t.is(gpe.pioRead(0, 4), 0x0002_0000, 'status clear, enable kept (one dword read)');
  t.true(irqs.line(9).level, 'the PM1 source still holds the shared SCI');
  pm1.set(false);
  t.false(irqs.line(9).level);
  gpe.raise(9);
  gpe.pioWrite(3, 1, 0x02); // enable GPE 9 through the high byte
  t.true(irqs.line(9).level);
  gpe.pioWrite(0, 1, 0x00); // writing 0s clears nothing
  t.is(gpe.pioRead(1, 1), 0x02);
  gpe.reset();
  t.is(gpe.pioRead(0, 4), 0);
  t.false(irqs.line(9).level);
  t.throws(() => gpe.raise(16));
});
