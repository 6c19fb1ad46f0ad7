/**
 * Golden tests of the QEMU command-line layer, second part: QemuOpts short-form
 * booleans and their warning, -smp topology forms, -m size= forms, -name,
 * -no-shutdown, -vnc, -global and the `-device help` format. Pure: no addon.
 */
import test from 'ava';
import { configFromArgs as cfg, argsErrorOf as errorOf } from '../helpers/qemu-args.js';
import { parseQemuArgs } from '../../lib/qemu-compat/index.js';
import { parseOptList, takeOptWarnings } from '../../lib/qemu-compat/opts.js';
import { parseSmp } from '../../lib/qemu-compat/smp-option.js';

const KERNEL = ['-kernel', 'k.elf'];
const MiB = 1024 * 1024;

// ---------------------------------------------------------------- QemuOpts short-form booleans

test('bare "foo" is foo=on and "nofoo" is foo=off, each with QEMU\'s deprecation warning', (t) => {
  const o = parseOptList('unix:p,server,nowait'.slice(5), 'path');
  t.deepEqual(o.entries, [
    { key: 'path', value: 'p' },
    { key: 'server', value: 'on' },
    { key: 'wait', value: 'off' },
  ]);
  t.deepEqual(takeOptWarnings(), [
    "warning: short-form boolean option 'server' deprecated\nPlease use server=on instead",
    "warning: short-form boolean option 'nowait' deprecated\nPlease use wait=off instead",
  ]);
  t.deepEqual(takeOptWarnings(), [], 'taken once');
});

test('the implied first key, key=value and help give no warning', (t) => {
  parseOptList('pc-testdev,id=x', 'driver');
  parseOptList('help');
  parseOptList('a=on,b=no,c=false,d=yes');
  t.deepEqual(takeOptWarnings(), []);
});

test('the walker prefixes each warning with the option and its argument', (t) => {
  const inv = parseQemuArgs([...KERNEL, '-machine', 'pc,graphics', '-qmp', 'unix:/tmp/q.sock,server,nowait']);
  t.deepEqual(inv.warnings, [
    "-machine pc,graphics: warning: short-form boolean option 'graphics' deprecated\nPlease use graphics=on instead",
    "-qmp unix:/tmp/q.sock,server,nowait: warning: short-form boolean option 'server' deprecated\nPlease use server=on instead",
    "-qmp unix:/tmp/q.sock,server,nowait: warning: short-form boolean option 'nowait' deprecated\nPlease use wait=off instead",
  ]);
  t.deepEqual(inv.qmp, [{ kind: 'unix', path: '/tmp/q.sock', wait: false }]);
  t.deepEqual(parseQemuArgs([...KERNEL, '-machine', 'pc,graphics=on']).warnings, []);
});

test('a failing option leaves no warning behind for the next parse', (t) => {
  t.throws(() => parseQemuArgs([...KERNEL, '-machine', 'pc,graphics,bogus=1']));
  t.deepEqual(parseQemuArgs(KERNEL).warnings, []);
});

test('"nofoo" of a key the option lacks is refused by the key\'s name', (t) => {
  t.is(errorOf([...KERNEL, '-name', 'vm,nocolor']), "-name vm,nocolor: invalid parameter 'color'");
  t.is(errorOf([...KERNEL, '-icount', 'shift=1,nosleep']), "-icount shift=1,nosleep: invalid parameter 'sleep'");
});

test('booleans: on/off, yes/no, true/false, short forms; anything else is one line', (t) => {
  for (const v of ['graphics=on', 'graphics=yes', 'graphics=true', 'graphics', 'graphics=off', 'graphics=no', 'graphics=false', 'nographics']) {
    t.notThrows(() => cfg([...KERNEL, '-machine', `pc,${v}`]), v);
  }
  t.is(errorOf([...KERNEL, '-machine', 'pc,graphics=1']), "-machine pc,graphics=1: parameter 'graphics' expects on/off, yes/no or true/false, not '1'");
});

test('",," is a literal comma in any value', (t) => {
  t.deepEqual(parseOptList('a=x,,y,b=,,,,', undefined).entries, [
    { key: 'a', value: 'x,y' },
    { key: 'b', value: ',,' },
  ]);
  t.is(cfg([...KERNEL, '-name', 'my,,vm']).smp, 1);
  t.is(parseQemuArgs([...KERNEL, '-name', 'my,,vm']).name, 'my,vm');
});

// ---------------------------------------------------------------- -smp

test('-smp derives omitted values like QEMU (cores preferred over sockets, threads last)', (t) => {
  const topo = (v: string) => {
    const s = parseSmp(v);
    return [s.cpus, s.sockets, s.cores, s.threads];
  };
  t.deepEqual(topo('4'), [4, 1, 4, 1]);
  t.deepEqual(topo('cpus=4'), [4, 1, 4, 1]);
  t.deepEqual(topo('4,sockets=2'), [4, 2, 2, 1]);
  t.deepEqual(topo('4,cores=2'), [4, 2, 2, 1]);
  t.deepEqual(topo('8,sockets=2,cores=2'), [8, 2, 2, 2]);
  t.deepEqual(topo('sockets=2,cores=3,threads=2'), [12, 2, 3, 2]);
  t.deepEqual(topo('maxcpus=6'), [6, 1, 6, 1]);
  t.deepEqual(topo('4,cores=2,maxcpus=4'), [4, 2, 2, 1]);
  t.deepEqual(topo('6,dies=2,clusters=3'), [6, 1, 1, 1].map((n, i) => (i === 0 ? 6 : n)));
  t.is(cfg([...KERNEL, '-smp', '4,sockets=2']).smp, 4);
  t.is(cfg([...KERNEL, '-smp', 'sockets=2,cores=3,threads=2']).smp, 12);
});

test('-smp errors: topology product, hot-plug, zero, limits, keys', (t) => {
  t.is(errorOf([...KERNEL, '-smp', '5,cores=2']), '-smp 5,cores=2: the topology (sockets 2 * dies 1 * clusters 1 * cores 2 * threads 1 = 4) must equal maxcpus (5)');
  t.is(errorOf([...KERNEL, '-smp', '2,sockets=2,cores=2']), '-smp 2,sockets=2,cores=2: the topology (sockets 2 * dies 1 * clusters 1 * cores 2 * threads 0 = 0) must equal maxcpus (2)');
  t.is(errorOf([...KERNEL, '-smp', '2,maxcpus=4']), '-smp 2,maxcpus=4: CPU hot-plug is not supported: maxcpus must equal cpus');
  t.is(errorOf([...KERNEL, '-smp', 'cores=0']), "-smp cores=0: parameter 'cores' must be at least 1");
  t.is(errorOf([...KERNEL, '-smp', 'sockets=2,cores=33']), '-smp sockets=2,cores=33: at most 64 vCPUs are supported');
  t.is(errorOf([...KERNEL, '-smp', '2,books=1']), "-smp 2,books=1: invalid parameter 'books'");
  t.is(errorOf([...KERNEL, '-smp', '2,threads=x']), "-smp 2,threads=x: parameter 'threads' expects a number, not 'x'");
});

// ---------------------------------------------------------------- -m

test('-m size= forms and memory hot-plug', (t) => {
  t.is(cfg([...KERNEL, '-m', 'size=256']).memoryBytes, 256 * MiB);
  t.is(cfg([...KERNEL, '-m', 'size=1G']).memoryBytes, 1024 * MiB);
  t.is(cfg([...KERNEL, '--m', 'size=3M']).memoryBytes, 3 * MiB);
  t.is(errorOf([...KERNEL, '-m', '1G,slots=2,maxmem=4G']), '-m 1G,slots=2,maxmem=4G: memory hot-plug (slots=, maxmem=) is not supported');
  t.is(errorOf([...KERNEL, '-m', 'size=1G,maxmem=2G']), '-m size=1G,maxmem=2G: memory hot-plug (slots=, maxmem=) is not supported');
  t.is(errorOf([...KERNEL, '-m', 'size=lots']), '-m size=lots: invalid size');
});

// ---------------------------------------------------------------- -name, -no-shutdown, -vnc

test('-name: implied guest=, process=, debug-threads', (t) => {
  t.is(parseQemuArgs([...KERNEL, '-name', 'vm1']).name, 'vm1');
  const inv = parseQemuArgs([...KERNEL, '-name', 'guest=vm2,process=tsv-vm2,debug-threads=on']);
  t.is(inv.name, 'vm2');
  t.is(inv.processName, 'tsv-vm2');
  t.is(errorOf([...KERNEL, '-name', 'vm,debug-threads=maybe']), "-name vm,debug-threads=maybe: parameter 'debug-threads' expects on/off, yes/no or true/false, not 'maybe'");
  t.is(errorOf([...KERNEL, '-name', 'vm,color=red']), "-name vm,color=red: invalid parameter 'color'");
  t.is(errorOf([...KERNEL, '-name', 'vm,process=']), "-name vm,process=: parameter 'process' is empty");
});

test('-no-shutdown reaches the MachineConfig; without it the field is absent', (t) => {
  t.true(cfg([...KERNEL, '-no-shutdown']).noShutdown);
  t.true(cfg([...KERNEL, '--no-shutdown', '-no-reboot']).noShutdown);
  t.is(cfg(KERNEL).noShutdown, undefined);
});

test('-vnc none and -display none are accepted (no display); anything else is one line', (t) => {
  t.notThrows(() => cfg([...KERNEL, '-vnc', 'none', '-display', 'none']));
  t.notThrows(() => cfg([...KERNEL, '-display', 'type=none']));
  t.is(errorOf([...KERNEL, '-vnc', ':0']), '-vnc :0: tsvisor has no VNC server (only -vnc none)');
  t.is(errorOf([...KERNEL, '-display', 'gtk']), "-display gtk: display 'gtk' is not available: tsvisor has no graphical display (use -display none)");
});

// ---------------------------------------------------------------- -global

test('-global: the properties real command lines carry, short and long form', (t) => {
  const inv = parseQemuArgs([
    ...KERNEL,
    '-global', 'kvm-pit.lost_tick_policy=delay',
    '-global', 'PIIX4_PM.disable_s3=1',
    '-global', 'driver=PIIX4_PM,property=disable_s4,value=1',
  ]);
  t.deepEqual(inv.globals, [
    { driver: 'kvm-pit', property: 'lost_tick_policy', value: 'delay' },
    { driver: 'PIIX4_PM', property: 'disable_s3', value: '1' },
    { driver: 'PIIX4_PM', property: 'disable_s4', value: '1' },
  ]);
  t.notThrows(() => cfg([...KERNEL, '-global', 'kvm-pit.lost_tick_policy=delay']));
  // S3 is offered as on QEMU's pc machine unless disable_s3 is non-zero (the last one wins).
  t.is(cfg([...KERNEL]).disableS3, undefined);
  t.is(cfg([...KERNEL, '-global', 'PIIX4_PM.disable_s3=1']).disableS3, true);
  t.is(cfg([...KERNEL, '-global', 'PIIX4_PM.disable_s3=1', '-global', 'PIIX4_PM.disable_s3=0']).disableS3, undefined);
});

test('-global errors: unknown driver.property, values tsvisor cannot honour, malformed', (t) => {
  t.is(errorOf([...KERNEL, '-global', 'e1000.mac=52:54:00:00:00:01']), "-global e1000.mac=52:54:00:00:00:01: global property 'e1000.mac' is not supported by tsvisor");
  t.is(errorOf([...KERNEL, '-global', 'kvm-pit.lost_tick_policy=discard']), "-global kvm-pit.lost_tick_policy=discard: tsvisor's PIT always delivers late ticks (only 'delay')");
  t.is(errorOf([...KERNEL, '-global', 'kvm-pit.lost_tick_policy=sometimes']), "-global kvm-pit.lost_tick_policy=sometimes: invalid lost_tick_policy 'sometimes'");
  t.is(errorOf([...KERNEL, '-global', 'PIIX4_PM.disable_s4=0']), "-global PIIX4_PM.disable_s4=0: tsvisor's ACPI tables offer no S4 sleep state (only 1)");
  t.is(errorOf([...KERNEL, '-global', 'PIIX4_PM.disable_s3=on']), "-global PIIX4_PM.disable_s3=on: 'on' is not a number");
  t.is(errorOf([...KERNEL, '-global', 'PIIX4_PM.disable_s4=x']), "-global PIIX4_PM.disable_s4=x: 'x' is not a number");
  t.is(errorOf([...KERNEL, '-global', 'kvm-pit']), "-global kvm-pit: invalid parameter 'kvm-pit'");
  t.is(errorOf([...KERNEL, '-global', 'driver=kvm-pit,property=lost_tick_policy']), '-global driver=kvm-pit,property=lost_tick_policy: expected DRIVER.PROPERTY=VALUE or driver=D,property=P,value=V');
  t.is(errorOf([...KERNEL, '-global', 'driver=x,prop=y,value=z']), "-global driver=x,prop=y,value=z: invalid parameter 'prop'");
});

// ---------------------------------------------------------------- -device help

test('-device help and -device ? list every model in QEMU\'s quoted form', (t) => {
  const expected = [
    'Misc devices:',
    'name "hyperv-testdev", bus ISA, desc "Hyper-V test device at port 0x3000 (SynIC routes; needs -cpu hv-synic)"',
  ][0];
  for (const arg of ['help', '?']) {
    const req = parseQemuArgs(['-device', arg]).request;
    if (req.kind !== 'list') return t.fail();
    const lines = req.text.trimEnd().split('\n');
    t.is(lines[0], expected);
    const names = lines.slice(1).map((l) => /^name "([^"]+)", bus (ISA|PCI), desc "[^"]*"$/.exec(l)?.[1]);
    t.deepEqual(names, ['hyperv-testdev', 'isa-debug-exit', 'pc-testdev', 'pci-testdev', 'vfio-pci']);
    t.regex(req.text, /^name "pci-testdev", bus PCI, /m);
    t.regex(req.text, /^name "pc-testdev", bus ISA, /m);
  }
});
