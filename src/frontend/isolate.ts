// Runs a bundled mesh in a worker thread, so the user's code cannot hurt the compiler or the server running it:
// - process.exit() inside a worker ends only that thread; an uncaught error (e.g. thrown in a timer) ends it too;
// - a wall-clock limit (--eval-timeout) and terminate() stop even an endless synchronous loop, while the parent's
//   event loop stays free (xDS, /healthz and signal handlers keep running in `meshc serve`);
// - resourceLimits bound the worker's V8 heap (--eval-max-heap); running out of it ends the worker, not meshc;
// - each evaluation's module graph lives and dies with its worker, so reloads do not accumulate modules.
// The parent accepts exactly one well-formed message (eval-worker.ts) and decodes the model from plain data
// (model-wire.ts); anything else is an EvalOutcome of kind "aborted", reported as MESH0006.
// Why a worker thread rather than a child process: it starts in tens of milliseconds with no second Node
// runtime to load, V8 enforces its heap limit and reports ERR_WORKER_OUT_OF_MEMORY distinctly, and terminate()
// is synchronous from V8's side; a child process would isolate native memory too, but costs a process per reload.
import { pathToFileURL } from "node:url";
import type { ThrownValue, WorkerMessage } from "./eval-worker.js";
import { decodeModel, WireError, wireLimits, type DecodeInfo } from "./model-wire.js";
import { PatchSession } from "./patch-session.js";
import { pipeOutput, prepareSpare, startEvalWorker, takeSpare } from "./spare-worker.js";
import { workerScriptFile } from "../runtime/worker-script.js";

/** How long after an evaluation the next spare worker is started (off the rest of the reload's critical path). */
const SPARE_DELAY_MS = 1000;

import { DEFAULT_EVAL_MAX_HEAP_MB, DEFAULT_EVAL_TIMEOUT_MS } from "./eval-defaults.js";
import { terminateWithin } from "../runtime/stuck-workers.js";
export { DEFAULT_EVAL_MAX_HEAP_MB, DEFAULT_EVAL_TIMEOUT_MS };

export interface EvalLimits {
  /** Wall-clock limit for evaluating the module and producing its default export. @default 30 s */
  timeoutMs?: number;
  /** V8 old-generation heap limit of the worker, in MiB. @default 1024 */
  maxHeapMb?: number;
  /** Aborting stops the worker at once (e.g. `meshc serve` shutting down during a reload). */
  signal?: AbortSignal;
  /** Wall-clock limit for the TypeScript check (typecheck-thread.ts). @default 120 s */
  typecheckTimeoutMs?: number;
}

export type AbortReason = "timeout" | "exit" | "crash" | "out-of-memory" | "malformed" | "cancelled";

export type EvalOutcome =
  | {
      kind: "model";
      model: unknown;
      /** The live worker, when asked for and the mesh has mesh.patch() calls (patch-session.ts). */ patches?: PatchSession;
      /** Decoding found no string without a UTF-8 form (model-wire.ts DecodeInfo): validation skips that walk. */
      wellFormed?: boolean;
    }
  | { kind: "threw"; error: ThrownValue }
  | { kind: "not-mesh" }
  | { kind: "aborted"; reason: AbortReason; message: string; error?: ThrownValue };

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/**
 * Evaluates the bundle at `bundleFile` (already written) in a fresh worker. Resolves with the one outcome; never
 * rejects for anything the user's code does.
 */
export async function evaluateIsolated(
  bundleFile: string,
  limits: EvalLimits = {},
  options: { keepPatches?: boolean; /** Use a worker started ahead of time, and start the next one (spare-worker.ts). */ spare?: boolean } = {},
): Promise<EvalOutcome> {
  const timeoutMs = limits.timeoutMs ?? DEFAULT_EVAL_TIMEOUT_MS;
  const maxHeapMb = limits.maxHeapMb ?? DEFAULT_EVAL_MAX_HEAP_MB;
  if (limits.signal?.aborted) return { kind: "aborted", reason: "cancelled", message: "evaluation cancelled" };
  const script = await workerScriptFile("frontend/eval-worker");
  const bundleUrl = pathToFileURL(bundleFile).href;
  const spare = options.spare ? takeSpare(maxHeapMb) : undefined;
  spare?.postMessage({ bundleUrl });
  const worker = spare ?? startEvalWorker(script, maxHeapMb, { bundleUrl });
  if (!spare) pipeOutput(worker);

  return await new Promise<EvalOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: EvalOutcome, patchCount = 0) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Counted from the end of this evaluation (starting a worker costs CPU the rest of the reload needs).
      if (options.spare) setTimeout(() => prepareSpare(script, maxHeapMb), SPARE_DELAY_MS).unref();
      limits.signal?.removeEventListener("abort", onAbort);
      worker.removeAllListeners("message");
      if (outcome.kind === "model" && patchCount > 0 && options.keepPatches) {
        // The worker stays, holding the patch functions, until the session applies them or is closed.
        resolve({ ...outcome, patches: new PatchSession(worker, patchCount, { timeoutMs, maxHeapMb, ...(limits.signal ? { signal: limits.signal } : {}) }) });
        return;
      }
      // Whatever the module left running (timers, pending promises) ends with the worker; a worker stuck in a
      // native call (terminate() cannot interrupt it) is left behind, and the outcome stands (stuck-workers.ts).
      void terminateWithin(worker).then(() => resolve(outcome));
    };
    const onAbort = () => finish({ kind: "aborted", reason: "cancelled", message: "evaluation cancelled" });
    const timer = setTimeout(
      () => finish({ kind: "aborted", reason: "timeout", message: `evaluating the mesh did not finish within ${seconds(timeoutMs)} (--eval-timeout); an endless loop or a promise that never settles?` }),
      timeoutMs,
    );
    limits.signal?.addEventListener("abort", onAbort, { once: true });

    worker.on("message", (m: unknown) => {
      const outcome = accept(m, maxHeapMb);
      const n = (m as { patches?: unknown } | null)?.patches;
      finish(outcome, outcome.kind === "model" && typeof n === "number" && Number.isInteger(n) && n > 0 ? n : 0);
    });
    worker.on("messageerror", () => finish({ kind: "aborted", reason: "malformed", message: "the evaluation worker sent a message that could not be read" }));
    worker.on("error", (err: Error & { code?: string }) => {
      if (err?.code === "ERR_WORKER_OUT_OF_MEMORY") {
        finish({ kind: "aborted", reason: "out-of-memory", message: `evaluating the mesh ran out of memory (heap limit ${maxHeapMb} MiB, --eval-max-heap)` });
        return;
      }
      const thrown = describe(err);
      finish({ kind: "aborted", reason: "crash", message: `an uncaught ${thrown.name && thrown.name !== "Error" ? `${thrown.name}: ` : "error: "}${thrown.message}`, error: thrown });
    });
    worker.on("exit", (code) =>
      finish({
        kind: "aborted",
        reason: "exit",
        message: `the mesh module ended its evaluation (exit code ${code}) before producing a mesh: process.exit() called, or the default export's promise never settles`,
      }),
    );
  });
}

const clip = (s: string) => (s.length > 8192 ? `${s.slice(0, 8192)}…` : s);

function describe(err: unknown): ThrownValue {
  const e = err as { name?: unknown; message?: unknown; stack?: unknown } | null;
  const out: ThrownValue = { message: clip(typeof e?.message === "string" ? e.message : String(err)) };
  if (typeof e?.name === "string") out.name = clip(e.name);
  if (typeof e?.stack === "string") out.stack = clip(e.stack);
  return out;
}

/** The parent's gate: only a complete, well-formed message becomes an outcome other than "malformed". */
function accept(m: unknown, maxHeapMb: number): EvalOutcome {
  const malformed = (why: string): EvalOutcome => ({ kind: "aborted", reason: "malformed", message: `the evaluation worker's result was malformed: ${why}` });
  if (m === null || typeof m !== "object") return malformed("not an object");
  const msg = m as Partial<WorkerMessage> & { kind?: unknown };
  if (msg.kind === "not-mesh") return { kind: "not-mesh" };
  if (msg.kind === "threw") {
    const e = (msg as { error?: unknown }).error as Partial<ThrownValue> | undefined;
    if (!e || typeof e.message !== "string" || (e.name !== undefined && typeof e.name !== "string") || (e.stack !== undefined && typeof e.stack !== "string")) {
      return malformed("an exception without a message");
    }
    // Clipped as the worker's own describeThrown() clips: a module may post a message of its own.
    return { kind: "threw", error: { message: clip(e.message), ...(e.name !== undefined ? { name: clip(e.name) } : {}), ...(e.stack !== undefined ? { stack: clip(e.stack) } : {}) } };
  }
  if (msg.kind === "model") {
    try {
      const info: DecodeInfo = {};
      const model = decodeModel((msg as { model?: unknown }).model, info, wireLimits(maxHeapMb));
      return { kind: "model", model, ...(info.wellFormed === true && { wellFormed: true }) };
    } catch (e) {
      if (e instanceof WireError) return malformed(e.message);
      if (e instanceof RangeError) return malformed(e.message); // e.g. a stack overflow on a pathological message
      throw e;
    }
  }
  return malformed(`unknown kind ${JSON.stringify(msg.kind)}`);
}
