/**
 * Up-front check that the files named on the command line can be read, so a
 * typo gives QEMU's one-line "could not load kernel 'FILE': <reason>" with the
 * C library's wording of the OS error (tools match on it) before any VM exists.
 */
import { closeSync, fstatSync, openSync } from 'node:fs';

/** glibc's strerror texts for the errors opening a file can give; libuv words some of them differently. */
const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
  EMFILE: 'Too many open files',
  ENFILE: 'Too many open files in system',
  EIO: 'Input/output error',
  ENXIO: 'No such device or address',
};

/** The reason text of a Node fs error: strerror wording when known, else libuv's, capitalized. */
export function osErrorReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && STRERROR[e.code]) return STRERROR[e.code];
  const text = e instanceof Error ? e.message : String(err);
  // libuv messages look like "ECODE: description, syscall 'path'"; keep the description.
  const m = /^[A-Z0-9]+: ([^,]+)/.exec(text);
  const reason = m ? m[1] : text.split('\n')[0];
  return reason.charAt(0).toUpperCase() + reason.slice(1);
}

/** Why `path` cannot be read as a regular file, or undefined when it can. */
export function unreadableReason(path: string): string | undefined {
  if (path === '') return STRERROR.ENOENT;
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    if (fstatSync(fd).isDirectory()) return STRERROR.EISDIR;
    return undefined;
  } catch (err) {
    return osErrorReason(err);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
