/**
 * -global DRIVER.PROPERTY=VALUE (and the long form driver=,property=,value=).
 *
 * Real command lines carry a few of these (libvirt and test runners add them by
 * habit). tsvisor has no qdev property tree, so each accepted one is a fact about
 * tsvisor's own machine: it is accepted only with a value that describes what
 * tsvisor does anyway, and anything else is one line naming it.
 */
import { BadValue } from './bad-value.js';
import { parseOptList } from './opts.js';

export interface GlobalProperty {
  driver: string;
  property: string;
  value: string;
}

interface KnownGlobal {
  driver: string;
  property: string;
  /** Why the value cannot be had, or undefined when it holds for tsvisor's machine. */
  check(value: string): string | undefined;
}

const KNOWN_GLOBALS: readonly KnownGlobal[] = [
  {
    // QEMU's in-kernel PIT under KVM. tsvisor's PIT (lib/devices/i8254-pit.ts) delivers ticks the
    // host ran late, one after the other: that is the "delay" policy (KVM's reinject).
    driver: 'kvm-pit',
    property: 'lost_tick_policy',
    check: (v) =>
      v === 'delay' ? undefined : ['discard', 'slew', 'merge'].includes(v) ? `tsvisor's PIT always delivers late ticks (only 'delay')` : `invalid lost_tick_policy '${v}'`,
  },
  // The PIIX4 power-management function's sleep states. S3 is offered unless disable_s3 is non-zero
  // (MachineConfig.disableS3); S4 (hibernation by the firmware) never is.
  {
    driver: 'PIIX4_PM',
    property: 'disable_s3',
    check: (v: string) => (/^\d+$/.test(v) && Number(v) <= 0xff ? undefined : `'${v}' is not a number`),
  },
  {
    driver: 'PIIX4_PM',
    property: 'disable_s4',
    check: (v: string) => (v === '1' ? undefined : v === '0' ? `tsvisor's ACPI tables offer no S4 sleep state (only 1)` : `'${v}' is not a number`),
  },
];

/** Reads one -global argument; throws BadValue unless it is one tsvisor can honour. */
export function parseGlobal(text: string): GlobalProperty {
  let driver: string | undefined;
  let property: string | undefined;
  let value: string | undefined;
  // DRIVER.PROPERTY=VALUE: the driver name ends at the first dot (property names may have dots).
  const short = /^([^.=,]+)\.([^=]+)=(.*)$/s.exec(text);
  if (short !== null) {
    [, driver, property, value] = short as unknown as [string, string, string, string];
  } else {
    const opts = parseOptList(text).allowOnly(['driver', 'property', 'value']);
    driver = opts.get('driver');
    property = opts.get('property');
    value = opts.get('value');
    if (driver === undefined || property === undefined || value === undefined) {
      throw new BadValue('expected DRIVER.PROPERTY=VALUE or driver=D,property=P,value=V');
    }
  }
  const known = KNOWN_GLOBALS.find((g) => g.driver === driver && g.property === property);
  if (known === undefined) throw new BadValue(`global property '${driver}.${property}' is not supported by tsvisor`);
  const problem = known.check(value);
  if (problem !== undefined) throw new BadValue(problem);
  return { driver, property, value };
}

export function knownGlobalNames(): string[] {
  return KNOWN_GLOBALS.map((g) => `${g.driver}.${g.property}`);
}
