#!/usr/bin/env node
// Runs tsvisor's KVM backend for real on a host without /dev/kvm: boots Debian's
// Linux kernel under qemu-system-x86_64 -accel tcg -cpu max (QEMU's TCG emulates
// AMD SVM), loads kvm_amd there, and runs a command against the /dev/kvm it
// offers, in a copy of this checkout. Not part of `npm test` (it needs QEMU
// and takes minutes); see docs/backends.md "How the KVM backend was verified
// without /dev/kvm".
//
//   node scripts/kvm-in-qemu.mjs [--memory MB] [--timeout SECONDS] [--keep DIR] [--with-linux] [-- SHELL COMMAND]
//
// The default command runs the KVM tests (test/kvm/*.test.js) with ava. The
// command runs in /w, a copy of package.json, build/Release/*.node, dist/,
// scripts/ and node_modules, with node and its shared libraries; `npm run compile` and the
// native build must be done first. The kernel and busybox come from the cache
// scripts/fetch-linux.mjs fills ($TSVISOR_CACHE or ~/.cache/tsvisor/linux).
// Everything the guest prints goes to stdout; the exit status is the command's.
// The QEMU/initramfs machinery is scripts/nested-qemu.mjs (shared with vfio-in-qemu.mjs).
import path from 'node:path';
import { linuxCache, parseRunnerArgs, runnerMain } from './nested-qemu.mjs';

const LABEL = 'kvm-in-qemu';
const DEFAULT_COMMAND = 'node node_modules/ava/entrypoints/cli.mjs --verbose --serial dist/test/kvm/*.test.js';
// Modules that kvm-amd needs, in load order (kvm needs irqbypass).
const KVM_MODULES = ['virt/lib/irqbypass.ko', 'arch/x86/kvm/kvm.ko', 'arch/x86/kvm/kvm-amd.ko'];

const SETUP = `echo "${LABEL}: $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPU, svm: $(grep -o -w -m1 svm /proc/cpuinfo), npt: $(grep -o -w -m1 npt /proc/cpuinfo)"
dmesg | grep -i -E 'kvm|svm|tsc' | sed 's/^/${LABEL}: dmesg: /'
ls -l /dev/kvm 2>&1 | sed 's/^/${LABEL}: /'
# The guests' instructions run on QEMU's TCG here (the outer CPU): guest programs may give
# QEMU's documented answers where it departs from the SDM (test/guests/runtime/report.c).
export TSVISOR_KVM_OUTER_CPU=qemu-tcg`;

// --with-linux: the Linux test kernel and initramfs (bzImage and initramfs.cpio of the cache, as the
// Linux tests and `npm run bench` use them) go along too, in a cache the command finds through
// TSVISOR_CACHE, so a tsvisor inside can boot Linux on the nested /dev/kvm.
const GUEST_CACHE = 'w/linux-cache';
const LINUX_FILES = ['bzImage', 'initramfs.cpio'];

await runnerMain(LABEL, () => {
  const opts = parseRunnerArgs(process.argv.slice(2), { command: DEFAULT_COMMAND }, 'kvm-in-qemu.mjs [--memory MB] [--timeout SECONDS] [--keep DIR] [--with-linux] [-- COMMAND]', ['--with-linux']);
  const withLinux = opts.switches.has('--with-linux');
  return {
    ...opts,
    label: LABEL,
    modules: KVM_MODULES.map((file) => ({ file })),
    setup: withLinux ? `${SETUP}\nexport TSVISOR_CACHE=/${GUEST_CACHE}` : SETUP,
    files: withLinux
      ? LINUX_FILES.map((f) => ({ path: `${GUEST_CACHE}/linux/${f}`, source: path.join(linuxCache, f), hint: 'run node scripts/fetch-linux.mjs first' }))
      : [],
    // as and ld assemble the conformance test's scenarios (test/native/harness.ts).
    programs: ['as', 'ld'],
    requiredPaths: ['dist/test/kvm'],
    qemuArgs: ['-accel', 'tcg', '-cpu', 'max'],
  };
});
