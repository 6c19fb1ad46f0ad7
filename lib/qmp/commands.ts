/**
 * The QMP command table. Each command lists the arguments it accepts (an
 * unknown one is refused with GenericError, as QEMU does) and returns the
 * value of the "return" member.
 */
import { QmpError } from './errors.js';
import type { MonitorTarget } from './monitor.js';
import { qmpVersion } from './version.js';

type Args = Record<string, unknown>;

interface QmpCommand {
  /** Argument names and whether each is required; 'properties': any names (device_add's driver properties). */
  args: Record<string, 'required' | 'optional'> | 'properties';
  run(target: MonitorTarget, args: Args): unknown | Promise<unknown>;
}

function stringArg(args: Args, name: string): string {
  const v = args[name];
  if (typeof v !== 'string') throw new QmpError('GenericError', `Invalid parameter type for '${name}', expected: string`);
  return v;
}

export const QMP_COMMANDS: Readonly<Record<string, QmpCommand>> = {
  'query-status': {
    args: {},
    run: (target) => {
      const status = target.status();
      return { status, running: status === 'running' };
    },
  },
  'query-version': { args: {}, run: () => qmpVersion() },
  // QEMU leaves "name" out when -name was not given.
  'query-name': { args: {}, run: (target) => (target.guestName === undefined ? {} : { name: target.guestName }) },
  'query-cpus-fast': {
    args: {},
    run: (target) =>
      Array.from({ length: target.vm.cpuCount }, (_, i) => ({
        'cpu-index': i,
        'qom-path': `/machine/unattached/device[${i}]`,
        // The vCPUs run on the Node main thread (round-robin), so that is their thread.
        'thread-id': process.pid,
        props: { 'core-id': 0, 'thread-id': 0, 'socket-id': i },
        target: 'x86_64',
      })),
  },
  'query-commands': {
    args: {},
    run: () => [...Object.keys(QMP_COMMANDS), 'qmp_capabilities'].map((name) => ({ name })),
  },
  stop: {
    args: {},
    run: async (target) => {
      await target.stop();
      return {};
    },
  },
  cont: {
    args: {},
    run: (target) => {
      target.cont();
      return {};
    },
  },
  system_reset: {
    args: {},
    run: async (target) => {
      await target.systemReset();
      return {};
    },
  },
  system_powerdown: {
    args: {},
    run: (target) => {
      target.systemPowerdown();
      return {};
    },
  },
  system_wakeup: {
    args: {},
    run: (target) => {
      target.systemWakeup();
      return {};
    },
  },
  quit: {
    args: {},
    run: (target) => {
      target.quit();
      return {};
    },
  },
  // QEMU's device_add takes the driver's properties as arguments; the device checks them.
  device_add: {
    args: 'properties',
    run: (target, args) => {
      target.deviceAdd(args);
      return {};
    },
  },
  device_del: {
    args: { id: 'required' },
    run: (target, args) => {
      target.deviceDel(stringArg(args, 'id'));
      return {};
    },
  },
  'human-monitor-command': {
    args: { 'command-line': 'required', 'cpu-index': 'optional' },
    run: (target, args) => target.humanCommand(stringArg(args, 'command-line')),
  },
};

export function checkArguments(name: string, command: QmpCommand, args: unknown): Args {
  if (args === undefined) args = {};
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    throw new QmpError('GenericError', "QMP input member 'arguments' must be an object");
  }
  const given = args as Args;
  if (command.args === 'properties') return given;
  for (const key of Object.keys(given)) {
    if (!(key in command.args)) throw new QmpError('GenericError', `Parameter '${key}' is unexpected`);
  }
  for (const [key, need] of Object.entries(command.args)) {
    if (need === 'required' && !(key in given)) throw new QmpError('GenericError', `Parameter '${key}' is missing`);
  }
  void name;
  return given;
}
