// Replacing a file by rename, safe in a directory other users can write to: the temporary file has a random name
// and is created with O_CREAT|O_EXCL ("wx"), which refuses a path that exists and a symlink, so no one can have
// planted it to receive what is written (a private key) or to own the file once it is renamed into place. The mode
// is set on the open descriptor (the umask neither narrows nor widens it).
import { randomBytes } from "node:crypto";
import { closeSync, fchmodSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * A fresh name beside `path` for its temporary file: `.<name>.tmp-<pid>-<ms>-<random>` (the pid and time let a
 * cleaner tell an interrupted write's leftover by its age: translate-cache-prune.ts).
 */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Date.now()}-${randomBytes(8).toString("hex")}`);
}

/** Writes `data` to `path` through a new temporary file and a rename; the file has exactly `mode`. */
export function writeFileAtomicSync(path: string, data: string | Uint8Array, mode: number): void {
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, "wx", mode);
  try {
    try {
      fchmodSync(fd, mode);
      const bytes = typeof data === "string" ? Buffer.from(data) : data;
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
