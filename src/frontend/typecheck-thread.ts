// Runs the type check (typecheck.ts) on a worker thread (typecheck-worker.ts), so that loadMesh can bundle, evaluate
// and lower, and compileMesh analyze and translate, while TypeScript checks on the other core; the result still
// gates everything (a mesh with type errors yields only the type errors, as before). `meshc build` uses a thread
// and every other command share one thread per process (TypeScript loaded once); `meshc serve` asks it for
// incremental checks, so a reload after an edit re-checks only the files the edit touched. If the thread cannot be started or dies, the check runs on the calling
// thread instead (same result, no overlap).
import { createRequire } from "node:module";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { packageRoot } from "./paths.js";
import { workerScriptFile } from "../runtime/worker-script.js";
import { typecheck, type TypecheckResult } from "./typecheck.js";
import { DEFAULT_TYPECHECK_TIMEOUT_MS, TYPECHECK_MAX_HEAP_MB } from "./eval-defaults.js";
import { codes } from "./codes.js";
import { resolve as resolvePath } from "node:path";
import type { CheckReply, CheckRequest } from "./typecheck-worker.js";

export type TimedCheck = TypecheckResult & { ms: number };

/** This package's TypeScript (the worker loads it from this path: its bundle may run from a temp file). */
const typescriptPath = () => createRequire(join(packageRoot(), "package.json")).resolve("typescript");

let warned = false;

type Checked = Exclude<CheckReply, { saved: true }>;

export class TypecheckThread {
  private worker: Worker | undefined;
  private starting: Promise<Worker | undefined> | undefined;
  private next = 1;
  private pending = new Map<number, (r: Checked | undefined) => void>();
  /** Checks whose records the thread is still writing (CheckReply `saving`): it keeps the process alive until then. */
  private saving = new Set<number>();
  /** The last thread died of its heap limit: its pending checks are answered with that, never retried here. */
  private outOfMemory = false;

  private start(): Promise<Worker | undefined> {
    this.starting ??= (async () => {
      try {
        const file = await workerScriptFile("frontend/typecheck-worker", ["typescript"]);
        // A heap limit of its own: a check that runs out of it ends the thread, not meshc (and is not retried here).
        const w = new Worker(file, { execArgv: [], workerData: { typescript: typescriptPath() }, resourceLimits: { maxOldGenerationSizeMb: TYPECHECK_MAX_HEAP_MB } });
        w.unref();
        w.on("message", (m: CheckReply) => {
          if ("saved" in m) {
            this.saving.delete(m.id);
            this.unrefWhenIdle();
            return;
          }
          if (m.ok && m.saving) this.saving.add(m.id);
          this.settle(m.id, m);
        });
        const gone = () => {
          if (this.worker === w) {
            this.worker = undefined;
            this.starting = undefined;
          }
          this.saving.clear();
          for (const id of [...this.pending.keys()]) this.settle(id, undefined);
        };
        w.on("error", (err: Error & { code?: string }) => {
          if (err?.code === "ERR_WORKER_OUT_OF_MEMORY") this.outOfMemory = true;
          gone();
        });
        w.on("exit", gone);
        this.worker = w;
        return w;
      } catch {
        this.starting = undefined;
        return undefined;
      }
    })();
    return this.starting;
  }

  private settle(id: number, r: Checked | undefined): void {
    const done = this.pending.get(id);
    if (!done) return;
    this.pending.delete(id);
    this.unrefWhenIdle();
    done(r);
  }

  private unrefWhenIdle(): void {
    if (this.pending.size === 0 && this.saving.size === 0) this.worker?.unref();
  }

  /**
   * The check's result; computed on this thread if the worker is unavailable. Never rejects for the user's code.
   * `signal` (shutdown of `meshc serve`) rejects with its reason at once and terminates the thread mid-check (the
   * next check starts a new one); the main-thread fallback is not taken for a cancelled check.
   */
  async check(entry: string, dslEntry: string, incremental = false, signal?: AbortSignal, persist = false, timeoutMs = DEFAULT_TYPECHECK_TIMEOUT_MS): Promise<TimedCheck> {
    signal?.throwIfAborted();
    const w = await this.start();
    signal?.throwIfAborted();
    let onAbort: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const t0 = performance.now();
    let limit: string | undefined;
    this.outOfMemory = false;
    const reply = w
      ? await new Promise<Checked | undefined>((resolve, reject) => {
          const id = this.next++;
          this.pending.set(id, resolve);
          onAbort = () => {
            this.pending.delete(id);
            reject(signal!.reason);
            if (this.worker === w) void this.close();
          };
          signal?.addEventListener("abort", onAbort, { once: true });
          // The thread is stopped mid-check (TypeScript is JavaScript: terminate() interrupts it); the next check
          // starts a new one.
          timer = setTimeout(() => {
            limit = `the type check did not finish within ${timeoutMs % 1000 === 0 ? `${timeoutMs / 1000} s` : `${timeoutMs} ms`} (--typecheck-timeout)`;
            this.pending.delete(id);
            resolve(undefined);
            if (this.worker === w) void this.close();
          }, timeoutMs);
          w.ref(); // a pending check keeps the process alive
          const req: CheckRequest = { id, entry, dslEntry, incremental, persist };
          w.postMessage(req);
        }).finally(() => {
          clearTimeout(timer);
          if (onAbort) signal?.removeEventListener("abort", onAbort);
        })
      : undefined;
    if (!reply && w && !limit && this.outOfMemory) limit = `the type check ran out of memory (heap limit ${TYPECHECK_MAX_HEAP_MB} MiB)`;
    if (limit !== undefined) return { ...limitDiagnostic(entry, limit), ms: Math.round((performance.now() - t0) * 10) / 10 };
    if (reply?.ok) return { diagnostics: reply.diagnostics, files: reply.files, ...(reply.checked !== undefined ? { checked: reply.checked } : {}), ms: reply.ms };
    if (reply && !warned) {
      warned = true;
      process.stderr.write(`meshc: the type-check thread failed (checking on the main thread instead): ${reply.error}\n`);
    }
    const t1 = performance.now();
    const r = typecheck(entry, dslEntry);
    return { ...r, ms: Math.round((performance.now() - t1) * 10) / 10 };
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.starting = undefined;
    await w?.terminate();
  }
}

/** A check stopped by its limits: an error at the entry (the type that exploded is not known), nothing else runs. */
function limitDiagnostic(entry: string, why: string): TypecheckResult {
  const file = resolvePath(entry);
  return {
    diagnostics: [
      {
        code: codes.TypeError,
        severity: "error",
        message: `${why}: a type that explodes (a recursive conditional or mapped type), or a mesh too large to check in that time`,
        hint: "Look for recursive or distributive conditional types in mesh.ts and its imports; a larger mesh may need --typecheck-timeout <seconds>.",
        file,
        line: 1,
        column: 1,
      },
    ],
    files: [file],
  };
}

let shared: TypecheckThread | undefined;

/**
 * The process's checker thread, started on first use and kept (idle, it does not keep the process alive): TypeScript
 * is loaded and the lib and DSL files are parsed once per process, as they were on the main thread before.
 */
export function sharedTypecheckThread(): TypecheckThread {
  return (shared ??= new TypecheckThread());
}
