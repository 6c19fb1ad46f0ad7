/**
 * A newc ("070701") cpio writer for Linux initramfs images, and the small
 * busybox initramfs tsvisor's Linux boot test uses. newc: a 110-byte ASCII
 * header of 13 eight-digit hex fields (ino, mode, uid, gid, nlink, mtime,
 * filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check),
 * the NUL-terminated name, padding to 4 bytes, the data, padding to 4;
 * the archive ends with an entry named "TRAILER!!!".
 */

export type CpioEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; data: Uint8Array; mode?: number }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'chardev'; path: string; major: number; minor: number; mode?: number };

export const CPIO_NEWC_MAGIC = '070701';
export const CPIO_TRAILER = 'TRAILER!!!';
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

const pad4 = (n: number): number => (4 - (n % 4)) % 4;
const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

function header(fields: { ino: number; mode: number; nlink: number; size: number; rdevMajor: number; rdevMinor: number; nameSize: number }): string {
  return CPIO_NEWC_MAGIC + [fields.ino, fields.mode, 0, 0, fields.nlink, 0, fields.size, 0, 0, fields.rdevMajor, fields.rdevMinor, fields.nameSize, 0].map(hex8).join('');
}

export function writeNewcCpio(entries: readonly CpioEntry[]): Uint8Array {
  const enc = new TextEncoder();
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const push = (bytes: Uint8Array): void => {
    chunks.push(bytes);
    offset += bytes.length;
  };
  const align = (): void => push(new Uint8Array(pad4(offset)));
  const emit = (name: string, mode: number, nlink: number, data: Uint8Array, rdevMajor = 0, rdevMinor = 0, ino = 0): void => {
    const nameBytes = enc.encode(name + '\0');
    push(enc.encode(header({ ino, mode, nlink, size: data.length, rdevMajor, rdevMinor, nameSize: nameBytes.length })));
    push(nameBytes);
    align();
    push(data);
    align();
  };
  entries.forEach((e, i) => {
    const name = e.path.replace(/^\/+/, '');
    if (name === '' || name.split('/').includes('..')) throw new RangeError(`cpio path '${e.path}' is not a relative path inside the archive`);
    const ino = i + 1;
    switch (e.type) {
      case 'dir':
        emit(name, S_IFDIR | (e.mode ?? 0o755), 2, new Uint8Array(0), 0, 0, ino);
        break;
      case 'file':
        emit(name, S_IFREG | (e.mode ?? 0o644), 1, e.data, 0, 0, ino);
        break;
      case 'symlink':
        emit(name, S_IFLNK | 0o777, 1, enc.encode(e.target), 0, 0, ino);
        break;
      case 'chardev':
        emit(name, S_IFCHR | (e.mode ?? 0o600), 1, new Uint8Array(0), e.major, e.minor, ino);
        break;
    }
  });
  emit(CPIO_TRAILER, 0, 1, new Uint8Array(0));
  const out = new Uint8Array(offset);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The marker the test initramfs prints once userspace runs. */
export const LINUX_TEST_MARKER = 'TSVISOR-LINUX-USERSPACE-OK';

/**
 * /init of the test initramfs: mount proc and sys, print the marker, the
 * processor count and the current clocksource, then run extraScript (busybox
 * sh; a test's own steps, none by default), then power off at once.
 */
export function linuxTestInit(extraScript = ''): string {
  return `#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
echo ${LINUX_TEST_MARKER}
echo "cpus: $(/bin/busybox nproc)"
echo "clocksource: $(/bin/busybox cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
${extraScript}/bin/busybox poweroff -f
`;
}

export const LINUX_TEST_INIT = linuxTestInit();

/** A busybox initramfs: /bin/busybox, /bin/sh, /init, /dev/console, mount points, and `extra` entries. */
export function buildTestInitramfs(busybox: Uint8Array, init = LINUX_TEST_INIT, extra: readonly CpioEntry[] = []): Uint8Array {
  return writeNewcCpio([
    { type: 'dir', path: 'bin' },
    { type: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 },
    { type: 'symlink', path: 'bin/sh', target: 'busybox' },
    { type: 'dir', path: 'dev' },
    // The kernel opens /dev/console for init's stdio before any devtmpfs exists.
    { type: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { type: 'dir', path: 'proc' },
    { type: 'dir', path: 'sys' },
    { type: 'file', path: 'init', data: new TextEncoder().encode(init), mode: 0o755 },
    ...extra,
  ]);
}
