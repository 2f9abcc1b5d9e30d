// Temporary folders that this process removes however it ends, short of SIGKILL. A `finally` alone is not enough:
// `meshc build` exits from its Ctrl-C/SIGTERM handler (process.exit skips pending finally blocks), and a server or
// a build ends with a spare evaluation worker still waiting on its script. Each folder still left is removed by a
// synchronous "exit" handler, which runs on process.exit, on a normal end and after an uncaught exception. A signal
// whose default action would end the process (no other listener: `meshc check`, `meshc test`, a tool's run) skips
// "exit" handlers, so for those the folders are removed and the signal raised again, to end as it would have.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isMainThread } from "node:worker_threads";

const live = new Set<string>();
let hooked = false;

function removeAll(): void {
  for (const dir of live) rmSync(dir, { recursive: true, force: true });
  live.clear();
}

/** Removes every folder still live now (a process about to end by SIGKILL, stuck-workers.ts). */
export const removeAllTempDirs = removeAll;

const ENDING_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

function onSignal(signal: NodeJS.Signals): void {
  // Another listener (serve's, build's) owns this signal and ends the process through process.exit.
  if (process.listenerCount(signal) > 1) return;
  removeAll();
  for (const s of ENDING_SIGNALS) process.off(s, onSignal);
  process.kill(process.pid, signal);
}

/** A new folder under the OS temp folder, named `<prefix>XXXXXX`, removed at exit unless removeTempDir() came first. */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  live.add(dir);
  if (!hooked) {
    hooked = true;
    process.once("exit", removeAll);
    // Signals reach the main thread only.
    if (isMainThread) for (const s of ENDING_SIGNALS) process.on(s, onSignal);
  }
  return dir;
}

export function removeTempDir(dir: string): void {
  live.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

const scripts = new Map<string, string>();
let scriptDir: string | undefined;

/**
 * A file holding `text` for the life of this process, for a worker thread's script bundled in memory (a checkout
 * runs from the sources); one per name, written once and shared by every worker that runs it. Written again when
 * it is gone (a temp cleaner such as systemd-tmpfiles removing it under a `meshc serve` idle for days).
 */
export function processScript(name: string, text: string): string {
  let file = scripts.get(name);
  if (file === undefined || !existsSync(file)) {
    if (scriptDir === undefined || !existsSync(scriptDir)) {
      if (scriptDir !== undefined) removeTempDir(scriptDir);
      scriptDir = makeTempDir("meshc-scripts-");
      scripts.clear();
    }
    file = join(scriptDir, name);
    writeFileSync(file, text);
    scripts.set(name, file);
  }
  return file;
}

/** Folders made here and not removed yet (tests). */
export function liveTempDirs(): string[] {
  return [...live];
}
