// Removal of a build tree that an atomic swap (./write.ts) retired, off `meshc build`'s critical path.
// Once the new tree is in place under <dir>, the old one (renamed to .<dir>.old-XXXX beside it) is garbage: nobody
// serves it and nothing reads it. Removing its ~5,000 folders and ~7,000 files took 1.3-1.9 s on this machine's disk
// (unlinks are cheap CPU but slow I/O), which `meshc build` used to wait for before it exited. A detached child
// process removes it instead, so the build reports success and exits as soon as the new tree is in place.
// A remover that dies (machine reboot, kill) leaves a retired tree behind; the next build into <dir> sweeps any it
// finds (retiredSiblings).
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

// The child removes with the promise-based rm (its unlinks run in parallel on libuv's pool: a synchronous removal
// took several times longer here). Plain JavaScript with node: built-ins only, given with -e.
const REMOVER = `const { rm } = require("node:fs/promises");
Promise.all(process.argv.slice(1).map((d) => rm(d, { recursive: true, force: true }))).catch(() => process.exit(1));`;

/** The name a retired tree of `target` gets beside it (the temp tree's name with .old- for .tmp-). */
export function retiredName(tmp: string): string {
  return tmp.replace(/\.tmp-([^/]*)$/, ".old-$1");
}

/**
 * Retired trees of `target` left beside it by an earlier build whose remover did not finish. Only looked for while
 * `target` exists: between a swap's two renames (another build's), its retired tree is the only copy of the build.
 */
export function retiredSiblings(target: string): string[] {
  if (!existsSync(target)) return [];
  const prefix = `.${basename(target)}.old-`;
  try {
    return readdirSync(dirname(target))
      .filter((e) => e.startsWith(prefix))
      .map((e) => join(dirname(target), e));
  } catch {
    return [];
  }
}

/**
 * Removes `dirs` in a detached child process that outlives this one; falls back to removing them here (awaited)
 * when no child can be started.
 */
export async function removeDetached(dirs: readonly string[]): Promise<void> {
  if (dirs.length === 0) return;
  try {
    const child = spawn(process.execPath, ["-e", REMOVER, ...dirs], { detached: true, stdio: "ignore", env: { PATH: process.env.PATH ?? "" } });
    const started = await new Promise<boolean>((res) => {
      child.once("spawn", () => res(true));
      child.once("error", () => res(false));
    });
    child.unref();
    if (started) return;
  } catch {
    // fall through: remove in this process
  }
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
}
