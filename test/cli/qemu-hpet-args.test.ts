/**
 * -machine hpet=on|off and -no-hpet: argv → MachineConfig.hpet (the last
 * one given wins, as QEMU merges -no-hpet into the machine options), and
 * QEMU's wording for a value that is not a boolean. Pure: no addon.
 */
import test from 'ava';
import { configFromArgs as cfg, argsErrorOf as errorOf } from '../helpers/qemu-args.js';
import { parseQemuArgs } from '../../lib/qemu-compat/index.js';
import { DEFAULT_HPET, defaultMachineConfig, validateMachineConfig, type MachineConfig } from '../../lib/machine/config.js';

const KERNEL = ['-kernel', 'k.elf'];

test('no option: the machine default (on, as QEMU\'s pc machine)', (t) => {
  t.is(cfg(KERNEL).hpet, undefined);
  t.true(DEFAULT_HPET);
});

test('-machine hpet=on|off and the other boolean spellings', (t) => {
  t.is(cfg([...KERNEL, '-machine', 'hpet=off']).hpet, false);
  t.is(cfg([...KERNEL, '-machine', 'pc,hpet=on']).hpet, true);
  t.is(cfg([...KERNEL, '-M', 'type=pc,accel=tcg,hpet=no']).hpet, false);
  t.is(cfg([...KERNEL, '-machine', 'pc,hpet=true']).hpet, true);
  t.is(cfg([...KERNEL, '-machine', 'pc,nohpet']).hpet, false);
  t.true(parseQemuArgs([...KERNEL, '-machine', 'pc,nohpet']).warnings.some((w) => w.includes("short-form boolean option 'nohpet' deprecated")));
});

test('-no-hpet is hpet=off; with -machine hpet= the last one wins', (t) => {
  t.is(cfg([...KERNEL, '-no-hpet']).hpet, false);
  t.is(cfg([...KERNEL, '--no-hpet']).hpet, false);
  t.is(cfg([...KERNEL, '-no-hpet', '-machine', 'hpet=on']).hpet, true);
  t.is(cfg([...KERNEL, '-machine', 'hpet=on', '-no-hpet']).hpet, false);
});

test('a value that is not a boolean is refused in QEMU\'s words, naming the option', (t) => {
  t.is(errorOf([...KERNEL, '-machine', 'pc,hpet=maybe']), "-machine pc,hpet=maybe: Parameter 'hpet' expects 'on' or 'off'");
  t.is(errorOf([...KERNEL, '-machine', 'hpet=']), "-machine hpet=: Parameter 'hpet' expects 'on' or 'off'");
});

test('MachineConfig.hpet must be a boolean (Node API)', (t) => {
  const bad = { ...defaultMachineConfig(), kernel: 'k.elf', hpet: 'yes' } as unknown as MachineConfig;
  t.throws(() => validateMachineConfig(bad), { message: /hpet must be a boolean/ });
});

test('-machine pc,help lists the properties, hpet among them, in QEMU\'s format', (t) => {
  const r = parseQemuArgs(['-machine', 'pc,help']).request;
  t.is(r.kind, 'list');
  const text = r.kind === 'list' ? r.text : '';
  t.true(text.startsWith('pc-machine options:\n'));
  t.true(text.includes('\n  hpet=<bool>            - Enable/disable high precision event timer emulation\n'));
  const types = parseQemuArgs(['-machine', 'help']).request;
  t.true(types.kind === 'list' && types.text.startsWith('Machine types:'));
});
