/**
 * A Linux machine driven over QMP on a unix socket, as the hot-plug and S3
 * tests use it: Debian's bzImage with a busybox initramfs running `script`
 * (plus extra initramfs entries), -icount, its serial output collected, and
 * a QMP client already past capabilities negotiation.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMachine } from '../../lib/api/virtual-machine.js';
import { MIB } from '../../lib/machine/config.js';
import { buildTestInitramfs, linuxTestInit, type CpioEntry } from '../../lib/machine/initramfs.js';
import { QmpServer } from '../../lib/qmp/server.js';
import { QmpClient } from '../qmp/qmp-client.js';
import { LINUX_BZIMAGE, LINUX_CACHE } from './linux-kernel.js';

export interface LinuxQmpSession {
  vm: ReturnType<typeof createMachine>;
  client: QmpClient;
  /** Everything the serial port printed so far. */
  serial(): string;
  /** The last `lines` lines of the serial output, for failure messages. */
  tail(lines?: number): string;
  /** Closes the client and the server, stops the machine if it still runs, and destroys it. */
  close(): Promise<void>;
}

export async function startLinuxWithQmp(options: {
  script: string;
  append: string;
  smp?: number;
  extra?: readonly CpioEntry[];
  tmpPrefix: string;
}): Promise<LinuxQmpSession> {
  const dir = mkdtempSync(join(tmpdir(), options.tmpPrefix));
  const initrd = join(dir, 'initramfs.cpio');
  const busybox = readFileSync(join(LINUX_CACHE, 'busybox-static', 'bin', 'busybox'));
  writeFileSync(initrd, buildTestInitramfs(busybox, linuxTestInit(options.script), options.extra));
  let serial = '';
  const vm = createMachine({
    kernel: LINUX_BZIMAGE,
    initrd,
    append: options.append,
    memoryBytes: 256 * MIB,
    ...(options.smp === undefined ? {} : { smp: options.smp }),
    clock: { mode: 'icount', shift: 1 },
    noReboot: true,
    serial: { output: (data) => void (serial += Buffer.from(data).toString('utf8')) },
  });
  const server = new QmpServer(vm);
  const socketPath = join(dir, 'qmp.sock');
  await server.listenUnix(socketPath);
  const client = await QmpClient.connect(socketPath);
  await client.take((m) => m.QMP !== undefined);
  return {
    vm,
    client,
    serial: () => serial,
    tail: (lines = 25) => serial.split('\n').slice(-lines).join('\n'),
    async close() {
      client.close();
      await server.close();
      if (vm.state === 'running' || vm.state === 'paused') await vm.stop();
      vm.destroy();
    },
  };
}
