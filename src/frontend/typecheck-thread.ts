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

  private start(): Promise<Worker | undefined> {
    this.starting ??= (async () => {
      try {
        const file = await workerScriptFile("frontend/typecheck-worker", ["typescript"]);
        const w = new Worker(file, { execArgv: [], workerData: { typescript: typescriptPath() } });
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
        w.on("error", gone);
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
  async check(entry: string, dslEntry: string, incremental = false, signal?: AbortSignal, persist = false): Promise<TimedCheck> {
    signal?.throwIfAborted();
    const w = await this.start();
    signal?.throwIfAborted();
    let onAbort: (() => void) | undefined;
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
          w.ref(); // a pending check keeps the process alive
          const req: CheckRequest = { id, entry, dslEntry, incremental, persist };
          w.postMessage(req);
        }).finally(() => onAbort && signal?.removeEventListener("abort", onAbort))
      : undefined;
    if (reply?.ok) return { diagnostics: reply.diagnostics, files: reply.files, ...(reply.checked !== undefined ? { checked: reply.checked } : {}), ms: reply.ms };
    if (reply && !warned) {
      warned = true;
      process.stderr.write(`meshc: the type-check thread failed (checking on the main thread instead): ${reply.error}\n`);
    }
    const t0 = performance.now();
    const r = typecheck(entry, dslEntry);
    return { ...r, ms: Math.round((performance.now() - t0) * 10) / 10 };
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.starting = undefined;
    await w?.terminate();
  }
}

let shared: TypecheckThread | undefined;

/**
 * The process's checker thread, started on first use and kept (idle, it does not keep the process alive): TypeScript
 * is loaded and the lib and DSL files are parsed once per process, as they were on the main thread before.
 */
export function sharedTypecheckThread(): TypecheckThread {
  return (shared ??= new TypecheckThread());
}
