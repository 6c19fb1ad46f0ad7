#!/usr/bin/env node
// Runs tsvisor's VFIO path for real on a host without /dev/vfio: boots Debian's
// Linux kernel under qemu-system-x86_64 -machine q35 with an emulated Intel
// IOMMU (VT-d) and QEMU's `edu` PCI device, loads vfio, vfio_iommu_type1 and
// vfio-pci there, binds the edu device to vfio-pci, and runs a command in a
// copy of this checkout. See docs/pci-assignment.md "How VFIO is verified".
//
//   node scripts/vfio-in-qemu.mjs [--memory MB] [--timeout SECONDS] [--keep DIR] [-- SHELL COMMAND]
//
// The default command runs the vfio_edu guest program in tsvisor with
// `-device vfio-pci,host=0000:00:04.0` and succeeds when the guest reports no
// failure (isa-debug-exit code 0, which tsvisor exits with as status 1). `npm run compile` and the native build must
// be done first; the kernel and busybox come from scripts/fetch-linux.mjs's cache.
// The exit status is the command's.
import { parseRunnerArgs, runnerMain } from './nested-qemu.mjs';

const LABEL = 'vfio-in-qemu';
/** Where the edu device sits in the nested machine (-device edu,addr=04.0). */
export const EDU_ADDRESS = '0000:00:04.0';
const DEFAULT_COMMAND = `node dist/lib/cli.js -m 64 -kernel dist/guests/vfio_edu.elf -device vfio-pci,host=${EDU_ADDRESS} -device isa-debug-exit,iobase=0xf4,iosize=0x04 -nodefaults -serial stdio; test $? -eq 1`;
// vfio-pci-core needs vfio, vfio_virqfd and irqbypass; vfio_iommu_type1 needs vfio.
const VFIO_MODULES = [
  { file: 'virt/lib/irqbypass.ko' },
  { file: 'drivers/vfio/vfio.ko' },
  { file: 'drivers/vfio/vfio_iommu_type1.ko' },
  { file: 'drivers/vfio/vfio_virqfd.ko' },
  { file: 'drivers/vfio/pci/vfio-pci-core.ko' },
  { file: 'drivers/vfio/pci/vfio-pci.ko' },
];

// Hands the edu device to vfio-pci the way docs/pci-assignment.md tells a user to.
const SETUP = `dev=/sys/bus/pci/devices/${EDU_ADDRESS}
echo "${LABEL}: $(uname -r); edu: $(cat $dev/vendor):$(cat $dev/device), iommu group $(basename $(readlink $dev/iommu_group))"
dmesg | grep -i -E 'DMAR|iommu|vfio' | head -20 | sed 's/^/${LABEL}: dmesg: /'
echo vfio-pci > $dev/driver_override
echo ${EDU_ADDRESS} > /sys/bus/pci/drivers_probe
echo "${LABEL}: edu bound to $(basename $(readlink $dev/driver)); $(ls /dev/vfio | tr '\\n' ' ')"`;

await runnerMain(LABEL, () => {
  const opts = parseRunnerArgs(process.argv.slice(2), { command: DEFAULT_COMMAND, memoryMb: 1024, timeoutS: 600 }, 'vfio-in-qemu.mjs [--memory MB] [--timeout SECONDS] [--keep DIR] [-- COMMAND]');
  return {
    ...opts,
    label: LABEL,
    modules: VFIO_MODULES,
    setup: SETUP,
    requiredPaths: ['dist/lib/cli.js', 'dist/guests'],
    qemuArgs: ['-accel', 'tcg', '-cpu', 'max', '-machine', 'q35', '-device', 'intel-iommu', '-device', 'edu,addr=04.0'],
    append: ['intel_iommu=on'],
  };
});
