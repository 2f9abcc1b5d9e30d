// A started evaluation worker waiting for its bundle (`meshc serve` reloads, issue 12 item 5): starting a worker
// thread (isolate, Node's bootstrap, loading eval-worker's script) is taken off the reload's critical path by
// starting the next one as soon as an evaluation ends. Isolation is unchanged: a spare is used for exactly one
// evaluation and terminated after it, like a worker started on demand, and it has the same heap limit (a spare
// started with another limit is discarded). It runs no user code until it is handed a bundle. An idle spare does
// not keep the process alive.
import { Worker } from "node:worker_threads";
import { registerThreadIdCell, threadIdCell } from "../runtime/thread-children.js";

let spare: { worker: Worker; maxHeapMb: number } | undefined;

/**
 * Starts an evaluation worker running `script` (worker-script.ts): with `{ bundleUrl }` it evaluates that bundle at
 * once, with `{ waitForBundle: true }` it waits for a `{ bundleUrl }` message (eval-worker.ts). pipeOutput() before use.
 */
export function startEvalWorker(script: string, maxHeapMb: number, workerData: Record<string, unknown>): Worker {
  const cell = threadIdCell();
  const worker = new Worker(script, {
    workerData: { ...workerData, threadIdCell: cell },
    // The bundle is plain JavaScript: no loaders (such as tsx) from the parent's command line.
    execArgv: [],
    resourceLimits: { maxOldGenerationSizeMb: maxHeapMb },
    // The module's console output goes to stderr, so it never mixes into machine output on stdout.
    stdout: true,
    stderr: true,
  });
  registerThreadIdCell(worker, cell);
  return worker;
}

/**
 * The module's console output goes to stderr. Piped only when the worker is put to use: a piped worker keeps the
 * process alive even when unref'd, and a waiting spare runs no code that prints.
 */
export function pipeOutput(worker: Worker): void {
  worker.stdout.pipe(process.stderr, { end: false });
  worker.stderr.pipe(process.stderr, { end: false });
}

/** The spare started for this heap limit, if one is waiting (it is then no longer the spare). */
export function takeSpare(maxHeapMb: number): Worker | undefined {
  const s = spare;
  spare = undefined;
  if (!s) return undefined;
  // threadId is -1 once a worker has exited: a spare that died while waiting is not used.
  if (s.maxHeapMb === maxHeapMb && s.worker.threadId >= 0) {
    s.worker.ref();
    pipeOutput(s.worker);
    return s.worker;
  }
  void s.worker.terminate();
  return undefined;
}

/** Starts the spare for the next evaluation (unless one is waiting). */
export function prepareSpare(script: string, maxHeapMb: number): void {
  if (spare) return;
  const worker = startEvalWorker(script, maxHeapMb, { waitForBundle: true });
  worker.unref();
  const s = { worker, maxHeapMb };
  // A spare that dies while waiting (e.g. it could not start) is simply not used.
  worker.once("exit", () => {
    if (spare === s) spare = undefined;
  });
  worker.once("error", () => undefined);
  spare = s;
}

/** Terminates the waiting spare, if any. */
export async function discardSpare(): Promise<void> {
  const s = spare;
  spare = undefined;
  if (s) await s.worker.terminate();
}

/** Whether a spare is waiting (tests). */
export function hasSpare(): boolean {
  return spare !== undefined && spare.worker.threadId >= 0;
}
