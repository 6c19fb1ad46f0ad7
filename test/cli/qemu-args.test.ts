/**
 * Golden tests of the QEMU command-line layer: argv -> QemuInvocation -> MachineConfig,
 * and the exact one-line message of every error path. Pure: no addon, no machine.
 */
import test from 'ava';
import {
  applyDemo,
  DEMO_MEMORY_BYTES,
  demoExitStatus,
  fromQemuArgs,
  helpText,
  parseQemuArgs,
  parseSize,
  QemuArgsError,
  toMachineConfig,
  versionLine,
} from '../../lib/qemu-compat/index.js';
import { parseOptList } from '../../lib/qemu-compat/opts.js';
import { defaultMachineConfig, type MachineConfig } from '../../lib/machine/config.js';

const MiB = 1024 * 1024;
const KERNEL = ['-kernel', 'k.elf'];

/** A MachineConfig with the serial callbacks replaced by what they are bound to, for deep equality. */
function described(config: MachineConfig): unknown {
  const serial = config.serial === 'none' ? 'none' : { output: typeof config.serial.output, input: config.serial.input ? 'stream' : undefined };
  return { ...config, serial };
}

function cfg(argv: string[], backends: string[] = ['interp']): MachineConfig {
  return fromQemuArgs(argv, { backends, stdout: { write: () => true }, stdin: process.stdin });
}

function errorOf(argv: string[], backends: string[] = ['interp']): string {
  const err = (() => {
    try {
      cfg(argv, backends);
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  if (!(err instanceof QemuArgsError)) throw new Error(`expected QemuArgsError for ${argv.join(' ')}, got ${String(err)}`);
  return err.message;
}

// ---------------------------------------------------------------- the whole mapping

test('minimal kernel command line gets QEMU defaults (serial on stdout, 128 MiB, interp)', (t) => {
  const c = cfg(KERNEL);
  t.deepEqual(described(c), described({ ...defaultMachineConfig(), kernel: 'k.elf', serial: { output: () => {}, input: process.stdin } }));
  t.is(c.accel, 'interp');
  t.is(c.memoryBytes, 128 * MiB);
});

test('a typical test-runner command line maps field by field', (t) => {
  const c = cfg([
    '-nodefaults', '-nographic', '-serial', 'stdio', '-kernel', 'x.elf', '-append', 'a b c', '-initrd', 'rd.img',
    '-m', '256M', '-smp', '1', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x4', '-device', 'pc-testdev',
    '-no-reboot', '-machine', 'pc,accel=tcg', '-display', 'none', '-icount', 'shift=3',
  ]);
  t.deepEqual(described(c), {
    accel: 'interp',
    memoryBytes: 256 * MiB,
    smp: 1,
    kernel: 'x.elf',
    append: 'a b c',
    initrd: 'rd.img',
    serial: { output: 'function', input: 'stream' },
    devices: [{ driver: 'isa-debug-exit', iobase: 0xf4, iosize: 4 }, { driver: 'pc-testdev' }],
    noReboot: true,
    clock: { mode: 'icount', shift: 3 },
  });
});

test('serial stdio writes guest bytes to the given stdout', (t) => {
  const chunks: Uint8Array[] = [];
  const c = fromQemuArgs(KERNEL, { stdout: { write: (d) => chunks.push(d) } });
  if (c.serial === 'none' || !c.serial.output) return t.fail('serial should be bound');
  c.serial.output(Uint8Array.of(0x41));
  t.deepEqual(chunks, [Uint8Array.of(0x41)]);
});

// ---------------------------------------------------------------- option spelling

test('options take one or two dashes', (t) => {
  t.deepEqual(parseQemuArgs(['--kernel', 'k', '--m', '64', '--no-reboot']), parseQemuArgs(['-kernel', 'k', '-m', '64', '-no-reboot']));
});

test('an option argument may start with a dash', (t) => {
  t.is(cfg([...KERNEL, '-append', '-v --x']).append, '-v --x');
});

test('a later option of the same kind wins, devices accumulate', (t) => {
  const c = cfg(['-kernel', 'a', '-kernel', 'b', '-m', '64', '-m', '32', '-device', 'pc-testdev', '-device', 'isa-debug-exit']);
  t.is(c.kernel, 'b');
  t.is(c.memoryBytes, 32 * MiB);
  t.is(c.devices.length, 2);
});

// ---------------------------------------------------------------- -m sizes

test('-m sizes: plain MiB, suffixes, size= key, fractions, rounding to pages', (t) => {
  const mem = (v: string) => cfg([...KERNEL, '-m', v]).memoryBytes;
  t.is(mem('512'), 512 * MiB);
  t.is(mem('512M'), 512 * MiB);
  t.is(mem('512m'), 512 * MiB);
  t.is(mem('2G'), 2 * 1024 * MiB);
  t.is(mem('4096k'), 4 * MiB);
  t.is(mem('4096K'), 4 * MiB);
  t.is(mem('size=64M'), 64 * MiB);
  t.is(mem('1.5G'), 1536 * MiB);
  t.is(mem('3145729B'), 3 * MiB + 4096);
});

test('parseSize is exact and rejects garbage', (t) => {
  t.is(parseSize('1', 'B'), 1);
  t.is(parseSize('0.5K', 'B'), 512);
  t.throws(() => parseSize('0.3B', 'B'));
  t.throws(() => parseSize('', 'M'));
  t.throws(() => parseSize('-1', 'M'));
  t.throws(() => parseSize('0x10', 'M'));
  t.throws(() => parseSize('16E', 'M'));
});

test('-m errors name the option and value', (t) => {
  t.is(errorOf([...KERNEL, '-m', '12Q']), '-m 12Q: invalid size');
  t.is(errorOf([...KERNEL, '-m', '']), '-m : empty parameter');
  t.is(errorOf([...KERNEL, '-m', 'size=']), '-m size=: invalid size');
  t.is(errorOf([...KERNEL, '-m', '1']), '-m 1: memory size too small (at least 2 MiB)');
  t.is(errorOf([...KERNEL, '-m', '4G']), '-m 4G: memory size too large (at most 3 GiB)');
  t.is(errorOf([...KERNEL, '-m', '64,slots=2']), '-m 64,slots=2: memory hot-plug (slots=, maxmem=) is not supported');
});

// ---------------------------------------------------------------- QemuOpts values

test('QemuOpts: implied key, ",," escapes, bare words are booleans, help', (t) => {
  const o = parseOptList('drv,a=1,,2,,,b,c=x=y', 'driver');
  t.deepEqual(o.entries, [
    { key: 'driver', value: 'drv' },
    { key: 'a', value: '1,2,' },
    { key: 'b', value: 'on' },
    { key: 'c', value: 'x=y' },
  ]);
  t.false(o.wantsHelp);
  t.true(parseOptList('help').wantsHelp);
  t.true(parseOptList('foo,?', 'driver').wantsHelp);
  t.is(parseOptList('driver=pc-testdev', 'driver').get('driver'), 'pc-testdev');
  t.is(parseOptList('a=1,a=2').get('a'), '2');
});

test('QemuOpts booleans: on/off/yes/no/true/false', (t) => {
  for (const v of ['on', 'yes', 'true']) t.true(parseOptList(`g=${v}`).getBool('g'));
  for (const v of ['off', 'no', 'false']) t.false(parseOptList(`g=${v}`).getBool('g'));
  t.notThrows(() => cfg([...KERNEL, '-machine', 'pc,graphics=off']));
  t.notThrows(() => cfg([...KERNEL, '-machine', 'pc,graphics']));
});

test('bad boolean names the option, the key and the value', (t) => {
  t.is(
    errorOf([...KERNEL, '-machine', 'pc,graphics=maybe']),
    "-machine pc,graphics=maybe: parameter 'graphics' expects on/off, yes/no or true/false, not 'maybe'",
  );
});

test('comma escaping reaches the value; a stray comma is an error', (t) => {
  t.is(errorOf([...KERNEL, '-device', 'isa-debug-exit,,x']), "-device isa-debug-exit,,x: 'isa-debug-exit,x' is not a valid device model name");
  t.is(errorOf([...KERNEL, '-device', 'pc-testdev,']), '-device pc-testdev,: empty parameter');
  t.is(errorOf([...KERNEL, '-device', 'isa-debug-exit,=1']), "-device isa-debug-exit,=1: parameter name missing in '=1'");
});

// ---------------------------------------------------------------- -device

test('-device isa-debug-exit: QEMU defaults 0x501/0x2, hex, decimal and octal numbers', (t) => {
  const dev = (v: string) => cfg([...KERNEL, '-device', v]).devices[0];
  t.deepEqual(dev('isa-debug-exit'), { driver: 'isa-debug-exit', iobase: 0x501, iosize: 2 });
  t.deepEqual(dev('isa-debug-exit,iobase=0xf4,iosize=0x4'), { driver: 'isa-debug-exit', iobase: 0xf4, iosize: 4 });
  t.deepEqual(dev('isa-debug-exit,iobase=244,iosize=1'), { driver: 'isa-debug-exit', iobase: 0xf4, iosize: 1 });
  t.deepEqual(dev('isa-debug-exit,iobase=0364,id=exit0'), { driver: 'isa-debug-exit', iobase: 0xf4, iosize: 2 });
  t.deepEqual(dev('driver=pc-testdev'), { driver: 'pc-testdev' });
});

test('-device errors', (t) => {
  t.is(errorOf([...KERNEL, '-device', 'foo']), "-device foo: 'foo' is not a valid device model name");
  t.is(errorOf([...KERNEL, '-device', 'foo,bar=1']), "-device foo,bar=1: 'foo' is not a valid device model name");
  t.is(errorOf([...KERNEL, '-device', 'isa-debug-exit,bogus=1']), "-device isa-debug-exit,bogus=1: invalid parameter 'bogus'");
  t.is(errorOf([...KERNEL, '-device', 'isa-debug-exit,iobase=0xg']), "-device isa-debug-exit,iobase=0xg: parameter 'iobase' expects a number, not '0xg'");
  t.is(errorOf([...KERNEL, '-device', 'isa-debug-exit,iobase=0x10000']), "-device isa-debug-exit,iobase=0x10000: parameter 'iobase' is out of range (0x10000 > 0xffff)");
  t.is(errorOf([...KERNEL, '-device', 'isa-debug-exit,iosize=3']), "-device isa-debug-exit,iosize=3: parameter 'iosize' must be 1, 2 or 4");
  t.is(errorOf([...KERNEL, '-device', 'isa-debug-exit,iobase=0xfffe,iosize=4']), '-device isa-debug-exit,iobase=0xfffe,iosize=4: ports 0xfffe+0x4 go past the end of the I/O space');
  t.is(errorOf([...KERNEL, '-device', 'pc-testdev,iobase=1']), "-device pc-testdev,iobase=1: invalid parameter 'iobase'");
  t.is(errorOf([...KERNEL, '-device', 'iobase=1']), "-device iobase=1: parameter 'driver' is missing");
});

test('-device help lists models; -device MODEL,help lists its properties', (t) => {
  const list = parseQemuArgs(['-device', 'help']).request;
  t.is(list.kind, 'list');
  if (list.kind === 'list') t.regex(list.text, /isa-debug-exit[\s\S]*pc-testdev/);
  const props = parseQemuArgs(['-device', 'isa-debug-exit,help']).request;
  if (props.kind !== 'list') return t.fail();
  t.regex(props.text, /iobase[\s\S]*iosize/);
  t.throws(() => parseQemuArgs(['-device', 'nope,help']), { message: "-device nope,help: 'nope' is not a valid device model name" });
});

// ---------------------------------------------------------------- serial, display, defaults

test('serial defaults follow QEMU: stdio by default and with -nographic, none with -nodefaults', (t) => {
  const serial = (argv: string[]) => described(cfg([...KERNEL, ...argv])) as { serial: unknown };
  const stdio = { output: 'function', input: 'stream' };
  t.deepEqual(serial([]).serial, stdio);
  t.deepEqual(serial(['-nographic']).serial, stdio);
  t.deepEqual(serial(['-display', 'none']).serial, stdio);
  t.is(serial(['-nodefaults']).serial, 'none');
  t.is(serial(['-nodefaults', '-nographic']).serial, 'none');
  t.deepEqual(serial(['-nodefaults', '-serial', 'stdio']).serial, stdio);
  t.is(serial(['-nographic', '-serial', 'none']).serial, 'none');
  t.deepEqual(serial(['-serial', 'null']).serial, { output: 'function', input: undefined });
});

test('-serial and -display errors', (t) => {
  t.is(errorOf([...KERNEL, '-serial', 'pty']), "-serial pty: serial backend 'pty' is not supported (use stdio, null, none, file:PATH, chardev:ID, mon:stdio, unix:PATH,server=on, tcp:[HOST]:PORT,server=on)");
  t.is(errorOf([...KERNEL, '-serial', 'stdio', '-serial', 'null']), '-serial null: only one serial port is supported');
  t.is(errorOf([...KERNEL, '-display', 'gtk']), "-display gtk: display 'gtk' is not available: tsvisor has no graphical display (use -display none)");
  t.is(errorOf([...KERNEL, '-display', 'none,gl=on']), "-display none,gl=on: invalid parameter 'gl'");
});

// ---------------------------------------------------------------- -smp

test('-smp 1 in every spelling is accepted', (t) => {
  for (const v of ['1', 'cpus=1', '1,sockets=1,cores=1,threads=1,maxcpus=1', 'sockets=1']) t.is(cfg([...KERNEL, '-smp', v]).smp, 1);
});

test('-smp N, cpus=, and a topology give the vCPU count', (t) => {
  t.is(cfg([...KERNEL, '-smp', '2']).smp, 2);
  t.is(cfg([...KERNEL, '-smp', 'cpus=4']).smp, 4);
  t.is(cfg([...KERNEL, '-smp', 'sockets=2,cores=2,threads=2']).smp, 8);
  t.is(cfg([...KERNEL, '-smp', '4,sockets=1,cores=4,maxcpus=4']).smp, 4);
  t.is(cfg([...KERNEL, '-smp', '64']).smp, 64);
});

test('-smp errors are one line', (t) => {
  t.is(errorOf([...KERNEL, '-smp', '65']), '-smp 65: at most 64 vCPUs are supported');
  // QEMU derives sockets = 2 / 4 = 0, so the hierarchy cannot hold the 2 CPUs.
  t.is(errorOf([...KERNEL, '-smp', '2,cores=4']), '-smp 2,cores=4: the topology (sockets 0 * dies 1 * clusters 1 * cores 4 * threads 1 = 0) must equal maxcpus (2)');
  t.is(errorOf([...KERNEL, '-smp', '1,maxcpus=4']), '-smp 1,maxcpus=4: CPU hot-plug is not supported: maxcpus must equal cpus');
  t.is(errorOf([...KERNEL, '-smp', '4,maxcpus=2']), '-smp 4,maxcpus=2: maxcpus (2) must be at least cpus (4)');
  t.is(
    errorOf([...KERNEL, '-smp', '4,sockets=1,cores=2,threads=1']),
    '-smp 4,sockets=1,cores=2,threads=1: the topology (sockets 1 * dies 1 * clusters 1 * cores 2 * threads 1 = 2) must equal maxcpus (4)',
  );
  t.is(errorOf([...KERNEL, '-smp', '0']), "-smp 0: parameter 'cpus' must be at least 1");
  t.is(errorOf([...KERNEL, '-smp', 'two']), "-smp two: parameter 'cpus' expects a number, not 'two'");
  t.is(errorOf([...KERNEL, '-smp', '1,nodes=1']), "-smp 1,nodes=1: invalid parameter 'nodes'");
});

// ---------------------------------------------------------------- accelerators and machine

test('accelerator spellings: tcg and interp are the interpreter', (t) => {
  for (const argv of [['-accel', 'tcg'], ['-accel', 'interp'], ['-machine', 'accel=tcg'], ['-M', 'pc,accel=interp'], ['-accel', 'accel=tcg']]) {
    t.is(cfg([...KERNEL, ...argv]).accel, 'interp', argv.join(' '));
  }
  t.is(cfg([...KERNEL, '-machine', 'pc']).accel, 'interp');
});

test('kvm is chosen when the build has it; fallback lists take the first available', (t) => {
  const both = ['interp', 'kvm'];
  t.is(cfg([...KERNEL, '-accel', 'kvm'], both).accel, 'kvm');
  t.is(cfg([...KERNEL, '-enable-kvm'], both).accel, 'kvm');
  t.is(cfg([...KERNEL, '-machine', 'accel=kvm:tcg'], both).accel, 'kvm');
  t.is(cfg([...KERNEL, '-machine', 'accel=kvm:tcg'], ['interp']).accel, 'interp');
  t.is(cfg([...KERNEL, '-accel', 'kvm', '-accel', 'tcg'], ['interp']).accel, 'interp');
  // Without knowledge of the build, the first choice goes to the machine, which checks it.
  t.is(fromQemuArgs([...KERNEL, '-accel', 'kvm']).accel, 'kvm');
});

test('accelerator errors', (t) => {
  t.is(errorOf([...KERNEL, '-accel', 'kvm']), '-accel kvm: KVM backend not available in this build');
  t.is(errorOf([...KERNEL, '-enable-kvm']), '-enable-kvm: KVM backend not available in this build');
  t.is(errorOf([...KERNEL, '-machine', 'accel=kvm']), '-machine accel=kvm: KVM backend not available in this build');
  t.is(errorOf([...KERNEL, '-machine', 'accel=tcg', '-M', 'pc,accel=kvm']), '-M pc,accel=kvm: KVM backend not available in this build');
  t.is(errorOf([...KERNEL, '-accel', 'hvf']), "-accel hvf: accelerator 'hvf' is not supported (use tcg, interp or kvm)");
  t.is(errorOf([...KERNEL, '-accel', 'tcg,thread=multi']), "-accel tcg,thread=multi: invalid parameter 'thread'");
  t.is(errorOf([...KERNEL, '-accel', 'tcg', '-machine', 'accel=tcg']), '-machine accel=tcg: -accel and -machine accel= cannot be used together');
  t.is(errorOf([...KERNEL, '-machine', 'q35']), "-machine q35: unsupported machine type 'q35' (-machine help lists them)");
  t.is(errorOf([...KERNEL, '-machine', 'pc,usb=on']), "-machine pc,usb=on: invalid parameter 'usb'");
});

test('-machine help and -accel help list what is accepted', (t) => {
  const m = parseQemuArgs(['-machine', 'help']).request;
  t.true(m.kind === 'list' && /\bpc\b/.test(m.text));
  const a = parseQemuArgs(['-accel', 'help']).request;
  t.true(a.kind === 'list' && /tcg[\s\S]*kvm/.test(a.text));
});

// ---------------------------------------------------------------- -icount

test('-icount shift=N and -icount N select the deterministic clock', (t) => {
  t.deepEqual(cfg([...KERNEL, '-icount', 'shift=0']).clock, { mode: 'icount', shift: 0 });
  t.deepEqual(cfg([...KERNEL, '-icount', '10']).clock, { mode: 'icount', shift: 10 });
  t.deepEqual(cfg(KERNEL).clock, { mode: 'realtime' });
});

test('-icount errors', (t) => {
  t.is(errorOf([...KERNEL, '-icount', 'shift=11']), "-icount shift=11: parameter 'shift' is out of range (11 > 0xa)");
  t.is(errorOf([...KERNEL, '-icount', 'shift=auto']), '-icount shift=auto: adaptive icount (shift=auto) is not supported; give N = 0..10');
  t.is(errorOf([...KERNEL, '-icount', 'sleep=off']), "-icount sleep=off: invalid parameter 'sleep'");
});

// ---------------------------------------------------------------- -rtc

test('-rtc base= sets where the RTC calendar starts', (t) => {
  t.is(cfg(KERNEL).rtcBase, undefined);
  t.is(cfg([...KERNEL, '-rtc', 'base=localtime']).rtcBase, 'localtime');
  t.is(cfg([...KERNEL, '-rtc', 'utc']).rtcBase, 'utc');
  t.deepEqual(cfg([...KERNEL, '-rtc', 'base=2006-06-17T16:01:21']).rtcBase, { datetime: '2006-06-17T16:01:21' });
  t.deepEqual(cfg([...KERNEL, '-rtc', 'base=2006-06-17']).rtcBase, { datetime: '2006-06-17' });
});

test('-rtc errors', (t) => {
  t.is(errorOf([...KERNEL, '-rtc', 'base=2006-13-01']), "-rtc base=2006-13-01: invalid date '2006-13-01': use utc, localtime or YYYY-MM-DD[THH:MM:SS]");
  t.is(errorOf([...KERNEL, '-rtc', 'clock=vm']), "-rtc clock=vm: invalid parameter 'clock'");
});

// ---------------------------------------------------------------- whole-line errors

test('unknown option, missing argument, bare word', (t) => {
  t.is(errorOf(['-foo']), '-foo: invalid option');
  t.is(errorOf(['--foo', '-kernel', 'k']), '--foo: invalid option');
  t.is(errorOf(['-']), "'-': disk images are not supported (boot with -kernel FILE)");
  for (const opt of ['-kernel', '-append', '-initrd', '-m', '-smp', '-serial', '-display', '-device', '-machine', '-M', '-accel', '-icount']) {
    t.is(errorOf([opt]), `${opt}: requires an argument`);
  }
  t.is(errorOf(['disk.img']), "'disk.img': disk images are not supported (boot with -kernel FILE)");
});

test('-append and -initrd need a kernel; --demo brings its own', (t) => {
  t.is(errorOf(['-append', 'x']), '-append x: only allowed with -kernel');
  t.is(errorOf(['-initrd', 'r']), '-initrd r: only allowed with -kernel');
  t.is(errorOf(['--demo', '-kernel', 'k']), '--demo: cannot be combined with -kernel (the demo brings its own guest)');
  t.notThrows(() => parseQemuArgs(['--demo', '-append', 'verbose']));
});

test('no kernel is not a parse error (the CLI decides); -version/-help are not machines', (t) => {
  t.is(cfg([]).kernel, undefined);
  t.is(parseQemuArgs(['-version']).request.kind, 'version');
  t.is(parseQemuArgs(['-h']).request.kind, 'help');
  t.is(parseQemuArgs(['-help']).request.kind, 'help');
  t.is(parseQemuArgs(['--help']).request.kind, 'help');
  // -version answers at once, like QEMU: a later mistake does not hide it.
  t.is(parseQemuArgs(['-version', '-foo']).request.kind, 'version');
  t.throws(() => fromQemuArgs(['-version']), { instanceOf: QemuArgsError });
});

// ---------------------------------------------------------------- texts and demo

test('version line and help text', (t) => {
  t.is(versionLine('0.1.0'), 'QEMU emulator version 8.2.0 (tsvisor 0.1.0)');
  const help = helpText('0.1.0');
  t.is(help.split('\n')[0], 'QEMU emulator version 8.2.0 (tsvisor 0.1.0)');
  for (const opt of ['-kernel', '-append', '-initrd', '-m', '-smp', '-serial', '-nographic', '-display', '-nodefaults', '-device',
    '-no-reboot', '-machine', '-accel', '-icount', '-version', '-h', '--demo']) {
    t.true(help.includes(`  ${opt}`), opt);
  }
});

test('demo: its guest, 64 MiB (an explicit -m wins), isa-debug-exit at 0xf4', (t) => {
  const c = toMachineConfig(applyDemo(parseQemuArgs(['--demo']), '/pkg/dist/guests/demo.elf'), { backends: ['interp'] });
  t.is(c.kernel, '/pkg/dist/guests/demo.elf');
  t.is(c.memoryBytes, DEMO_MEMORY_BYTES);
  t.deepEqual(c.devices, [{ driver: 'isa-debug-exit', iobase: 0xf4, iosize: 4 }]);
  const big = toMachineConfig(applyDemo(parseQemuArgs(['--demo', '-m', '256', '-device', 'isa-debug-exit,iobase=0xf4,iosize=1']), 'd'));
  t.is(big.memoryBytes, 256 * MiB);
  t.deepEqual(big.devices, [{ driver: 'isa-debug-exit', iobase: 0xf4, iosize: 1 }]);
});

test('demo exit status: only debug-exit status 1 (guest wrote 0) is success', (t) => {
  t.is(demoExitStatus({ status: 1, reason: 'debug-exit' }), 0);
  t.is(demoExitStatus({ status: 3, reason: 'debug-exit' }), 3);
  t.is(demoExitStatus({ status: 0, reason: 'shutdown' }), 1);
  t.is(demoExitStatus({ status: 1, reason: 'error', message: 'x' }), 1);
});
