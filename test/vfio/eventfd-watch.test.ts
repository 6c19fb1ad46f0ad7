/**
 * The addon's eventfd watch (native/vfio/eventfd_watch.cc), which carries
 * VFIO interrupts to the JavaScript thread: signals coalesce into one
 * callback with their count, close() is idempotent, and the watch never
 * keeps Node alive by itself (a machine that exited without destroy() must
 * not hold the process).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, writeSync } from 'node:fs';
import { addonAvailable, loadAddon } from '../../lib/hypervisor/addon.js';
import { testWhen } from '../helpers/test-when.js';

const when = testWhen(addonAvailable() && process.platform === 'linux', 'the native addon (Linux build) is not built');

function signal(fd: number, n: number): void {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  writeSync(fd, b);
}

when('signals before the loop turns arrive as one callback with their sum; later ones call again', async (t) => {
  const vfio = loadAddon().vfio!;
  const fd = vfio.createEventfd();
  const counts: number[] = [];
  let wake: () => void = () => {};
  const watch = vfio.watchEventfd(fd, (n) => {
    counts.push(n);
    wake();
  });
  const keep = setInterval(() => {}, 1000);
  try {
    signal(fd, 2);
    signal(fd, 3);
    await new Promise<void>((r) => (wake = r));
    t.deepEqual(counts, [5]);
    signal(fd, 1);
    await new Promise<void>((r) => (wake = r));
    t.deepEqual(counts, [5, 1]);
    watch.close();
    watch.close();
    signal(fd, 1);
    await new Promise((r) => setTimeout(r, 50));
    t.deepEqual(counts, [5, 1], 'nothing after close()');
  } finally {
    clearInterval(keep);
    closeSync(fd);
  }
});

when('an open watch does not keep the process alive', (t) => {
  const script = `const a = require(${JSON.stringify(require.resolve('../../lib/hypervisor/addon.js'))}).loadAddon();
const fd = a.vfio.createEventfd();
a.vfio.watchEventfd(fd, () => {});
console.log('end of script');`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout.trim(), 'end of script');
});
