// What the tests of `meshc serve --workers N` share: the /readyz body with its workers, waiting until every worker
// listens with the current snapshot, and whether a process is still alive.
import { eventually } from "../xds/harness.js";

export interface WorkersReady {
  ready: boolean;
  workers: { slot: number; pid: number; listening: boolean; current: boolean; streams: number; restarts: number }[];
}

/** Polls `<admin>/readyz` until it answers 200 with every worker listening and holding the current snapshot. */
export function waitWorkersReady(admin: string): Promise<WorkersReady> {
  return eventually(async () => {
    const r = await fetch(`${admin}/readyz`);
    const body = (await r.json()) as WorkersReady;
    return r.status === 200 && body.workers.every((w) => w.listening && w.current) ? body : undefined;
  }, "every worker listening with the snapshot", 120_000, 200);
}

/** Whether process `pid` exists (signal 0). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
