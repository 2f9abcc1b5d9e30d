// Worker threads that were told to stop and did not: a thread inside a native call (a synchronous crypto or
// child-process call in a mesh module) cannot be interrupted by terminate(), and Node joins every worker thread
// when the process exits, so process.exit() would wait for that call to return, possibly for hours. A
// child-process call is ended by killing the processes the thread started (thread-children.ts); a thread still
// stuck after that (a long synchronous crypto call) makes whoever ends the process end it by SIGKILL (exit status
// 137), after removing its temp folders, because nothing else ends it. Output written before is not lost: stdout and stderr are synchronous
// on Linux for files, pipes and terminals.
import type { Worker } from "node:worker_threads";
import { removeAllTempDirs } from "./temp-dirs.js";
import { killThreadChildren } from "./thread-children.js";

const stuck = new Set<Worker>();

/** How long a worker may take to stop after terminate() before it counts as stuck (a JavaScript loop takes ms). */
const STOP_GRACE_MS = 1000;

/**
 * Terminates `worker` and resolves once it has stopped or `graceMs` has passed, whichever is first. A worker still
 * running then is stuck: it no longer keeps the event loop alive, and ending the process takes exitProcess().
 */
export async function terminateWithin(worker: Worker, graceMs = STOP_GRACE_MS): Promise<"stopped" | "stuck"> {
  const stopped = worker.terminate().then(() => "stopped" as const, () => "stopped" as const);
  const within = async (ms: number) => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"stuck">((resolve) => (timer = setTimeout(() => resolve("stuck"), ms)));
    const r = await Promise.race([stopped, late]);
    clearTimeout(timer);
    return r;
  };
  let r = await within(graceMs);
  // A synchronous child-process call returns once the processes it waits for are gone (thread-children.ts).
  if (r === "stuck" && killThreadChildren(worker) > 0) r = await within(graceMs);
  if (r === "stuck") {
    stuck.add(worker);
    worker.once("exit", () => stuck.delete(worker));
    worker.unref();
  }
  return r;
}

/** How many terminated workers have not stopped yet. */
export function stuckWorkers(): number {
  return stuck.size;
}

/** Ends the process with `code`, or by SIGKILL when a stuck worker would make process.exit() wait for it. */
export function exitProcess(code: number): never {
  if (stuck.size > 0) {
    process.stderr.write(`meshc: ${stuck.size} evaluation thread(s) stuck in a native call cannot be stopped; ending with SIGKILL (exit status 137)\n`);
    removeAllTempDirs();
    process.kill(process.pid, "SIGKILL");
  }
  process.exit(code);
}
