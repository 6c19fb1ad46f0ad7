/**
 * Tests that need the kvm backend. Whether the host can run it is a property
 * of the host, decided by the addon's real probe (open /dev/kvm, API version,
 * KVM_CREATE_VM, the capabilities the backend needs, a one-instruction guest):
 * where the probe says no, these tests are skipped with the probe's reason,
 * also under CI=true. A missing addon build is different: that is a broken
 * checkout, and testWhen fails it under CI.
 */
import { existsSync } from 'node:fs';
import test from 'ava';
import type { KvmHostTraits } from '../../lib/hypervisor/native-types.js';
import { addonAvailable, loadAddon } from '../../lib/hypervisor/addon.js';
import { backendUnavailableReason } from '../../lib/hypervisor/vm.js';
import { testWhen } from './test-when.js';

type TestFn = ReturnType<typeof testWhen>;

/** undefined when the kvm backend runs here; otherwise why not. */
export const kvmUnavailable: string | undefined = addonAvailable() ? backendUnavailableReason('kvm', loadAddon()) : 'the native addon is not built';

/** `test`, or a skip naming the host's reason; fails under CI only when the addon itself is missing. */
export function testOnKvm(options: { serial?: boolean } = {}): TestFn {
  if (!addonAvailable()) return testWhen(false, 'the native addon is not built', options);
  if (kvmUnavailable === undefined) return options.serial ? test.serial : test;
  const reason = kvmUnavailable;
  return (title, implementation) => test.skip(`${title} [skipped: ${reason}]`, implementation);
}

/** How this host's /dev/kvm runs guests (the probe's measurements), where it runs them at all. */
export const kvmTraits: KvmHostTraits | undefined = kvmUnavailable === undefined ? loadAddon().kvmHostTraits?.() : undefined;

/**
 * PVM's /dev/kvm (the kvm_pvm module) runs a guest that is not PVM-aware through KVM's instruction
 * emulator, which lacks some instructions (docs/backends.md lists what the guest programs meet).
 */
export const kvmIsPvm: boolean = kvmUnavailable === undefined && existsSync('/sys/module/kvm_pvm');

/** `testOnKvm`, or a skip naming why this /dev/kvm cannot run the test when `hostCannot` is a reason. */
export function testOnKvmUnless(hostCannot: string | undefined, options: { serial?: boolean } = {}): TestFn {
  if (hostCannot === undefined || kvmUnavailable !== undefined) return testOnKvm(options);
  return (title, implementation) => test.skip(`${title} [skipped: this /dev/kvm ${hostCannot}]`, implementation);
}
