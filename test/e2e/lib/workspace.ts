// One end-to-end test's workspace: a temp dir, its process group (Procs) and the closables it starts (apps),
// with a cleanup registered before anything starts. On failure the error carries every process's log tail and
// the dir is kept for reading (also when the test is cancelled by its timeout); on success the dir is removed.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { Procs } from "./procs.js";

export interface Workspace {
  dir: string;
  procs: Procs;
  /** Closed after the processes stop (in-process apps). Returns its argument. */
  closeLater<T extends { close(): Promise<void> }>(c: T): T;
}

export async function inWorkspace(t: TestContext, prefix: string, body: (w: Workspace) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const procs = new Procs(dir);
  const closables: { close(): Promise<void> }[] = [];
  let succeeded = false;
  t.after(async () => {
    await procs.stopAll();
    await Promise.all(closables.map((c) => c.close()));
    if (succeeded) rmSync(dir, { recursive: true, force: true });
  });
  try {
    await body({ dir, procs, closeLater: (c) => (closables.push(c), c) });
    succeeded = true;
  } catch (e) {
    const err = e as Error;
    err.message = `${err.message}\n\nprocess logs (kept in ${dir}):\n${procs.tails()}`;
    throw err;
  }
}
