#!/usr/bin/env node
/**
 * The `tsvisor` command: QEMU's command line in, a running machine, the
 * machine's exit status out. Every failure is one line on stderr and status 1;
 * a stack trace only with TSVISOR_DEBUG=1, since it means a bug in tsvisor.
 */
import { existsSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { BackendUnavailableError, HypervisorArgumentError } from './hypervisor/errors.js';
import { loadAddon, packageRoot } from './hypervisor/addon.js';
import { backendUnavailableReason } from './hypervisor/vm.js';
import { ApiArgumentError, MachineStateError } from './api/errors.js';
import { VirtualMachine } from './api/virtual-machine.js';
import { BusConflictError, KernelLoadError, MachineConfigError } from './machine/errors.js';
import { HumanMonitor } from './qmp/human-monitor.js';
import { MonitorTarget } from './qmp/monitor.js';
import { QmpServer } from './qmp/server.js';
import { unreadableReason } from './qemu-compat/file-check.js';
import {
  applyDemo,
  demoExitStatus,
  formatSize,
  helpText,
  NO_KERNEL_MESSAGE,
  parseQemuArgs,
  QemuArgsError,
  toMachineConfig,
  versionLine,
  versionText,
  type OpenedEndpoints,
  type QemuInvocation,
} from './qemu-compat/index.js';

/** Errors whose message is already the one line the user should see. */
const USER_ERRORS = [
  QemuArgsError,
  MachineConfigError,
  KernelLoadError,
  BackendUnavailableError,
  HypervisorArgumentError,
  BusConflictError,
  ApiArgumentError,
  MachineStateError,
];

/** Where the package ships the demo guest, relative to the package root. */
const DEMO_GUEST = join('dist', 'guests', 'demo.elf');

class CliError extends Error {}

function tsvisorVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let inv = parseQemuArgs(argv);
  for (const warning of inv.warnings) process.stderr.write(`tsvisor: ${warning}\n`);
  switch (inv.request.kind) {
    case 'version':
      process.stdout.write(versionText(tsvisorVersion()));
      return 0;
    case 'help':
      process.stdout.write(helpText(tsvisorVersion()));
      return 0;
    case 'list':
      process.stdout.write(inv.request.text);
      return 0;
    case 'run':
      break;
  }

  if (inv.demo) {
    const guest = join(packageRoot(), DEMO_GUEST);
    if (!existsSync(guest)) throw new CliError(`--demo: the demo guest is missing (${guest}); build it with \`npm run compile\``);
    inv = applyDemo(inv, guest);
  }
  if (inv.kernel === undefined) throw new CliError(NO_KERNEL_MESSAGE);
  const kernelProblem = unreadableReason(inv.kernel);
  if (kernelProblem !== undefined) throw new KernelLoadError(inv.kernel, kernelProblem);
  if (inv.initrd !== undefined) {
    const initrdProblem = unreadableReason(inv.initrd);
    if (initrdProblem !== undefined) throw new CliError(`could not load initrd '${inv.initrd}': ${initrdProblem}`);
  }

  const opened: OpenedEndpoints = { chardevs: [] };
  const addon = loadAddon();
  const config = toMachineConfig(inv, { backends: addon.backends(), unusableReason: (accel) => backendUnavailableReason(accel, addon), opened });
  if (inv.demo) {
    process.stdout.write(
      `tsvisor ${tsvisorVersion()} demo: ${config.accel} backend, ${formatSize(config.memoryBytes)} RAM, guest ${inv.kernel}\n`,
    );
  }
  if (inv.processName !== undefined) process.title = inv.processName;
  const vm = new VirtualMachine(config);
  const target = new MonitorTarget(vm, versionLine(tsvisorVersion()), inv.name);
  const stopSignal = stopOnSignals(vm, target);
  // -no-shutdown: after a guest power-off the paused machine waits for the monitor, QMP or a signal,
  // as QEMU does, even when nothing else keeps the event loop alive.
  const keepAlive = inv.noShutdown ? setInterval(() => {}, 1 << 30) : undefined;
  const closeChardevs = await startChardevs(opened, vm, target);
  const closeMonitors = await startMonitors(inv, vm, target);
  if (inv.startPaused) await Promise.race([target.startRequested, vm.waitForExit()]);
  // A signal while -qmp waits for its client ends the machine before it started.
  const exit = vm.state === 'created' ? await vm.start() : await vm.waitForExit();
  clearInterval(keepAlive);
  const signal = stopSignal();
  await closeMonitors();
  await closeChardevs();
  if (signal !== undefined) return 128 + constants.signals[signal];
  if (exit.reason === 'error') process.stderr.write(`tsvisor: ${exit.message ?? 'the machine stopped on an error'}\n`);
  if (exit.reason === 'crash') process.stderr.write(`tsvisor: ${exit.message ?? 'the guest reported a crash'}\n`);
  return inv.demo ? demoExitStatus(exit) : exit.status;
}

/**
 * SIGINT/SIGTERM/SIGHUP stop the machine at the end of its current slice, so
 * the run loop unwinds and the terminal is left as it was; a second signal
 * exits at once. Returns a getter for the signal that stopped the run, if any.
 */
function stopOnSignals(vm: VirtualMachine, target: MonitorTarget): () => NodeJS.Signals | undefined {
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received !== undefined) process.exit(128 + constants.signals[signal]);
    received = signal;
    process.stderr.write(`tsvisor: terminating on signal ${signal}\n`);
    target.hostShutdownCause ??= 'host-signal';
    void vm.stop();
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  return () => {
    for (const s of signals) process.off(s, onSignal);
    return received;
  };
}

/**
 * The -serial/-chardev endpoints: sockets listen (a socket with wait=on holds the start until a
 * client connects, like QEMU), and -serial mon:stdio gets its monitor. Returns what closes them.
 */
async function startChardevs(opened: OpenedEndpoints, vm: VirtualMachine, target: MonitorTarget): Promise<() => Promise<void>> {
  const waits: Array<Promise<void>> = [];
  for (const { option, value, chardev } of opened.chardevs) {
    try {
      await chardev.ready;
    } catch (err) {
      throw new CliError(`${option} ${value}: ${(err as Error).message}`);
    }
    if (chardev.waits) {
      process.stderr.write(`tsvisor: ${option} ${value}: waiting for a connection on ${chardev.label}\n`);
      waits.push(chardev.waitForStart());
    }
  }
  let monitor: HumanMonitor | undefined;
  const mux = opened.mux;
  if (mux !== undefined) {
    mux.onQuit = () => target.quit();
    monitor = new HumanMonitor(target, mux.monitorInput, mux.monitorOutput, `tsvisor monitor (${versionLine(tsvisorVersion())}); C-a c switches back to the serial console`);
  }
  await Promise.race([Promise.all(waits), vm.waitForExit()]);
  return async () => {
    monitor?.close();
    mux?.close();
    for (const { chardev } of opened.chardevs) await chardev.close();
  };
}

/**
 * Starts the -qmp servers and the -monitor; a unix QMP socket with wait=on holds the start
 * until its first client connects, like QEMU. Returns what closes them after the run.
 */
async function startMonitors(inv: QemuInvocation, vm: VirtualMachine, target: MonitorTarget): Promise<() => Promise<void>> {
  const closers: Array<() => Promise<void> | void> = [];
  const waits: Array<Promise<void>> = [];
  for (const endpoint of inv.qmp) {
    const server = new QmpServer(vm, target);
    closers.push(() => server.close());
    if (endpoint.kind === 'stdio') {
      server.attach(process.stdin, process.stdout);
      continue;
    }
    try {
      await server.listenUnix(endpoint.path);
    } catch (err) {
      throw new CliError(`-qmp unix:${endpoint.path}: cannot listen: ${(err as Error).message}`);
    }
    if (endpoint.wait) {
      process.stderr.write(`tsvisor: -qmp: waiting for a connection on ${endpoint.path}\n`);
      waits.push(server.waitForClient());
    }
  }
  if (inv.monitor === 'stdio') {
    const monitor = new HumanMonitor(target, process.stdin, process.stdout, `tsvisor monitor (${versionLine(tsvisorVersion())})`);
    closers.push(() => monitor.close());
  }
  await Promise.race([Promise.all(waits), vm.waitForExit()]);
  return async () => {
    for (const close of closers) await close();
  };
}

function describe(err: unknown): string {
  if (err instanceof CliError || USER_ERRORS.some((cls) => err instanceof cls)) return (err as Error).message.split('\n')[0];
  const text = err instanceof Error ? err.message : String(err);
  return `internal error: ${text.split('\n')[0]}`;
}

/** Exit only once stdout and stderr have taken everything written (they are async on some hosts). */
function exitAfterFlush(status: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(status);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

function fail(err: unknown): void {
  process.stderr.write(`tsvisor: ${describe(err)}\n`);
  if (process.env.TSVISOR_DEBUG === '1' && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  exitAfterFlush(1);
}

// A reader that goes away (`tsvisor ... | head`) ends tsvisor the way SIGPIPE ends a C program,
// instead of an unhandled 'error' event with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(128 + constants.signals.SIGPIPE);
  fail(err);
});
// Whatever escapes (a device callback throwing on a timer, say) is still one line, not a trace.
process.on('uncaughtException', fail);

main(process.argv.slice(2)).then(exitAfterFlush, fail);
