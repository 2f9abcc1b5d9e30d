// One writer at a time in a CA directory: `meshc ca rotate` (and --finish) hold `.meshc-ca.lock` while they change
// it. Two rotations at once would each write their own new root and then commit one of them in ca.json over the
// other's live files, leaving a directory serve refuses ("not the signing certificate ca.json commits to").
// The lock file is created with O_CREAT|O_EXCL and holds the holder's pid; one whose process is gone (a crash, a
// kill) is stale and taken over, since rotation itself is crash-safe. Readers (serve, certs, bootstrap) take no lock:
// ca.json's rename is their commit point.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { CaError } from "./ca-error.js";
import { processAlive } from "../runtime/process-alive.js";

export const CA_LOCK = ".meshc-ca.lock";

function take(path: string): boolean {
  try {
    const fd = openSync(path, "wx", 0o600);
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
}

/** Runs `change` holding `dir`'s CA lock; refuses at once (CaError) while another live process holds it. */
export async function withCaLock<T>(dir: string, change: () => Promise<T>): Promise<T> {
  const path = join(dir, CA_LOCK);
  if (!take(path)) {
    const text = readFileSync(path, "utf8");
    const pid = /^\d+\n$/.test(text) ? Number(text.trim()) : undefined;
    // No pid yet: its holder is between creating and writing it. The same process: another change in flight here
    // (the CLI runs one; a library caller may run more).
    if (pid === undefined || pid === process.pid || processAlive(pid)) {
      throw new CaError(`another meshc (pid ${pid ?? "unknown"}) is changing the CA in ${dir}: wait for it to finish (the lock is ${path}; remove it only if no such process runs)`);
    }
    rmSync(path, { force: true });
    if (!take(path)) throw new CaError(`another meshc took the CA lock ${path} at the same time: run the command again`);
  }
  try {
    return await change();
  } finally {
    rmSync(path, { force: true });
  }
}
