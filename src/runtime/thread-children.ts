// The processes a worker thread started (Linux): a mesh module's synchronous child-process call (execSync,
// spawnSync) blocks its thread until the child and every process holding the child's pipes have exited, and
// terminate() cannot interrupt it. Killing that process tree ends the call, so the thread stops as a JavaScript
// loop would: the command ends with its own exit status instead of SIGKILL, and no process is left behind.
//
// The kernel lists each thread's children separately (/proc/self/task/<tid>/children), so only what that worker's
// thread started is killed, never meshc's own children (esbuild's service, Envoy, serve's worker processes). The
// worker writes its kernel thread id into a shared cell when it starts (shareThreadId), before it runs user code.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import type { Worker } from "node:worker_threads";

const cells = new WeakMap<Worker, Int32Array>();

/** A cell for the worker's thread id: pass it in workerData as `threadIdCell`, then register(worker, cell). */
export function threadIdCell(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

export function registerThreadIdCell(worker: Worker, cell: Int32Array): void {
  cells.set(worker, cell);
}

/**
 * In a worker, before it runs user code: stores this thread's kernel id in workerData.threadIdCell, when there is
 * one (Linux only), and drops the cell from workerData so the module cannot point it at another thread.
 */
export function shareThreadId(data: unknown): void {
  const holder = data as { threadIdCell?: unknown } | null;
  const cell = holder?.threadIdCell;
  if (holder) delete holder.threadIdCell;
  if (!(cell instanceof Int32Array)) return;
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").at(-1));
    if (Number.isSafeInteger(tid) && tid > 0) Atomics.store(cell, 0, tid);
  } catch {
    // No /proc: a stuck call is then ended by SIGKILL of meshc (stuck-workers.ts).
  }
}

function childrenOf(path: string): number[] {
  try {
    return readFileSync(path, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Every process below `pid` (each of its threads' children, recursively). */
function descendants(pid: number, out: Set<number>): void {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return;
  }
  for (const t of tasks) {
    for (const c of childrenOf(`/proc/${pid}/task/${t}/children`)) {
      if (out.has(c)) continue;
      out.add(c);
      descendants(c, out);
    }
  }
}

/**
 * SIGKILLs the processes `worker`'s thread started and all below them; returns how many. The tree is listed before
 * any is killed, so a killed parent's children (re-parented at once) are not missed. A process that detached
 * itself (setsid and double fork) is no longer below and survives.
 */
export function killThreadChildren(worker: Worker): number {
  const tid = cells.get(worker)?.[0] ?? 0;
  // The main thread's id is the pid: its children are meshc's own.
  if (tid <= 0 || tid === process.pid) return 0;
  const tree = new Set<number>();
  for (const c of childrenOf(`/proc/self/task/${tid}/children`)) {
    tree.add(c);
    descendants(c, tree);
  }
  for (const pid of tree) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  return tree.size;
}
