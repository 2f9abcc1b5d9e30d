// Reads a file of a directory meshc serves or compares but did not necessarily write (a build directory, a state
// folder): a regular file only, never through a symlink (the file's own name), never blocking on a FIFO or a device
// (O_NONBLOCK), and at most `max` bytes, so a hostile or damaged directory costs a clear refusal, not a hung or
// swollen server. The messages name the refusal, never the file's content.
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { open } from "node:fs/promises";

export type BoundedRead = { ok: true; bytes: Buffer } | { ok: false; missing: boolean; message: string };

const FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

function refusal(err: NodeJS.ErrnoException): BoundedRead {
  if (err.code === "ENOENT" || err.code === "ENOTDIR") return { ok: false, missing: true, message: "missing" };
  if (err.code === "ELOOP") return { ok: false, missing: false, message: "a symbolic link (only regular files are read)" };
  return { ok: false, missing: false, message: `unreadable (${err.code ?? "error"})` };
}

function kindOf(st: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (st.isDirectory()) return "a folder";
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

const tooLarge = (max: number): BoundedRead => ({ ok: false, missing: false, message: `larger than ${showBytes(max)}` });

export function showBytes(n: number): string {
  return n >= 1 << 30 && n % (1 << 30) === 0 ? `${n / (1 << 30)} GiB` : n >= 1 << 20 && n % (1 << 20) === 0 ? `${n / (1 << 20)} MiB` : `${n} bytes`;
}

export function readBoundedSync(path: string, max: number): BoundedRead {
  let fd: number;
  try {
    fd = openSync(path, FLAGS);
  } catch (err) {
    return refusal(err as NodeJS.ErrnoException);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { ok: false, missing: false, message: kindOf(st) };
    if (st.size > max) return tooLarge(max);
    // One byte more than the size, to see a file that grew since fstat (it is refused past max).
    const buf = Buffer.allocUnsafe(Math.min(st.size, max) + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n === buf.length) {
        if (n > max) return tooLarge(max);
        return { ok: false, missing: false, message: "changed while it was read" };
      }
    }
    return { ok: true, bytes: buf.subarray(0, n) };
  } catch (err) {
    return refusal(err as NodeJS.ErrnoException);
  } finally {
    closeSync(fd);
  }
}

export async function readBounded(path: string, max: number): Promise<BoundedRead> {
  let h: Awaited<ReturnType<typeof open>>;
  try {
    h = await open(path, FLAGS);
  } catch (err) {
    return refusal(err as NodeJS.ErrnoException);
  }
  try {
    const st = await h.stat();
    if (!st.isFile()) return { ok: false, missing: false, message: kindOf(st) };
    if (st.size > max) return tooLarge(max);
    const buf = Buffer.allocUnsafe(Math.min(st.size, max) + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await h.read(buf, n, buf.length - n, null);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n === buf.length) return n > max ? tooLarge(max) : { ok: false, missing: false, message: "changed while it was read" };
    }
    return { ok: true, bytes: buf.subarray(0, n) };
  } catch (err) {
    return refusal(err as NodeJS.ErrnoException);
  } finally {
    await h.close();
  }
}
