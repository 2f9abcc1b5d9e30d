// The entry of the worker thread that evaluates a bundled mesh (see isolate.ts). It imports the bundle, awaits its
// default export and posts exactly one message: the model as plain data (model-wire.ts), or the exception the
// module threw, or "not a mesh". Everything else (process.exit, an uncaught error in a timer, an endless loop,
// running out of heap) ends or outlives the worker, and the parent reports it; the worker cannot end the parent's
// process by those means. Built into a standalone script by isolate.ts, so it imports only small, dependency-free
// modules.
import { parentPort, workerData } from "node:worker_threads";
import { MESH } from "../dsl/brand.js";
import { shareThreadId } from "../runtime/thread-children.js";
import { encodeModel } from "./model-wire.js";
import { applyPatches, freeze, trackTimers, type ApplyReply, type ApplyRequest } from "./patch-worker.js";

/** What the worker posts; isolate.ts accepts nothing else. */
export type WorkerMessage =
  | { kind: "model"; model: ReturnType<typeof encodeModel>; /** mesh.patch() calls: the worker stays and waits for an "apply" (patch-worker.ts). */ patches?: number }
  | { kind: "threw"; error: ThrownValue }
  | { kind: "not-mesh" };

export interface ThrownValue {
  name?: string;
  message: string;
  stack?: string;
}

const LIMIT = 8192;
const cut = (s: string) => (s.length > LIMIT ? `${s.slice(0, LIMIT)}…` : s);

export function describeThrown(error: unknown): ThrownValue {
  try {
    const e = error as { name?: unknown; message?: unknown; stack?: unknown };
    if (error instanceof Error || (typeof e === "object" && e !== null && typeof e.message === "string")) {
      const out: ThrownValue = { message: cut(String(e.message)) };
      if (typeof e.name === "string") out.name = cut(e.name);
      if (typeof e.stack === "string") out.stack = cut(e.stack);
      return out;
    }
    return { message: cut(`non-error value thrown: ${String(error)}`) };
  } catch {
    return { message: "an unprintable value was thrown" };
  }
}

/**
 * Defence in depth against mistakes (a mesh module is not sandboxed: it runs with the user's rights, README): it has
 * no business signalling the process that runs the compiler, its parent or a process group. Node's process.kill
 * accepts a pid as a string or anything that coerces to a number, so the pid is compared as Node will use it;
 * process._kill, which process.kill calls, is guarded the same way.
 */
export function guardSignals(): void {
  // Converted once, and only a positive int32 passes: the native call reads the pid as an int32 (pid + 2**32 is the
  // pid again, 2**32 is 0: the process group, 2**32 - 1 is -1: every process), and a valueOf() could answer
  // differently when read again. The original gets the number checked, never the caller's value.
  const wrap = <F extends (pid: number, signal?: string | number) => unknown>(original: F): F =>
    ((pid: unknown, signal?: string | number) => {
      const n = Number(pid);
      if ((n | 0) !== n || n <= 0 || n === process.pid || n === process.ppid) throw new Error("a mesh module may not send signals to meshc");
      return original(n, signal);
    }) as F;
  const p = process as typeof process & { _kill?: (pid: number, signal?: string | number) => unknown };
  if (typeof p._kill === "function") p._kill = wrap(p._kill.bind(process));
  process.kill = wrap(process.kill.bind(process)) as typeof process.kill;
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error("eval-worker.ts runs only as a worker thread");
  // A spare worker (spare-worker.ts) was started before there was a bundle: it waits for the one message naming it.
  const data = workerData as { bundleUrl?: string; waitForBundle?: boolean };
  shareThreadId(workerData);
  const bundleUrl = data.waitForBundle
    ? await new Promise<string>((resolve) => port.once("message", (m: unknown) => resolve(String((m as { bundleUrl?: unknown } | null)?.bundleUrl))))
    : data.bundleUrl!;
  guardSignals();

  trackTimers();
  let message: WorkerMessage;
  let patchFns: unknown[] = [];
  try {
    const mod = (await import(bundleUrl)) as { default?: unknown };
    let value = mod.default as { then?: unknown } | undefined;
    if (value && typeof value.then === "function") value = (await value) as typeof value;
    message =
      value !== null && typeof value === "object" && (value as Record<symbol, unknown>)[MESH] === true
        ? { kind: "model", model: encodeModel(value) }
        : { kind: "not-mesh" };
    const patches = message.kind === "model" ? (value as { patches?: unknown }).patches : undefined;
    if (Array.isArray(patches) && patches.length > 0 && message.kind === "model") {
      patchFns = patches.map((p: unknown) => (p !== null && typeof p === "object" ? (p as { patch?: unknown }).patch : undefined));
      message.patches = patchFns.length;
      freeze(); // from here on: no timers, no clock, no randomness (patch-worker.ts)
    }
  } catch (error) {
    message = { kind: "threw", error: describeThrown(error) };
  }
  if (patchFns.length > 0) {
    // Stay for the compiler's one "apply" message (isolate.ts, PatchSession); it terminates this worker after.
    port.once("message", (m: unknown) => {
      const req = m as Partial<ApplyRequest>;
      const reply: ApplyReply = { kind: "applied", results: req?.kind === "apply" && Array.isArray(req.jobs) ? applyPatches(patchFns, req.jobs) : [] };
      port.postMessage(reply);
    });
  }
  port.postMessage(message);
}

await main();
