// The compiler's handle on an evaluation worker kept alive for mesh.patch() (issue 13): the worker evaluated
// mesh.ts and holds its patch functions; `apply` sends it the generated resources once (as JSON text) and
// waits, under the evaluation's own limits (--eval-timeout from the moment the resources are sent,
// --eval-max-heap), for the patched ones. Whatever happens (a reply, a timeout, a crash, running out of heap,
// cancellation), the worker is terminated afterwards; `close` terminates it without applying (every compile
// path calls it in a finally). The reply is checked as strictly as the model is (isolate.ts).
import type { Worker } from "node:worker_threads";
import type { ApplyReply, PatchJob, PatchJobResult } from "./patch-worker.js";
import { terminateWithin } from "../runtime/stuck-workers.js";

export type { PatchJob, PatchJobResult };

export type ApplyOutcome =
  | { kind: "applied"; results: PatchJobResult[] }
  | { kind: "aborted"; reason: "timeout" | "exit" | "crash" | "out-of-memory" | "malformed" | "cancelled" | "closed"; message: string };

export interface SessionLimits {
  timeoutMs: number;
  maxHeapMb: number;
  signal?: AbortSignal;
}

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

export class PatchSession {
  private closed = false;
  /** Set when the worker died while waiting (an escaped error in a callback the module left, an exit). */
  private died: ApplyOutcome | undefined;

  constructor(
    private readonly worker: Worker,
    /** How many mesh.patch() calls the worker holds. */
    readonly count: number,
    private readonly limits: SessionLimits,
  ) {
    worker.on("error", (err: Error & { code?: string }) => {
      this.died ??= this.errorOutcome(err);
    });
    worker.on("exit", (code) => {
      this.died ??= { kind: "aborted", reason: "exit", message: `the evaluation worker ended (exit code ${code}) before applying the patches: process.exit() called?` };
    });
  }

  private errorOutcome(err: Error & { code?: string }): ApplyOutcome {
    if (err?.code === "ERR_WORKER_OUT_OF_MEMORY") {
      return { kind: "aborted", reason: "out-of-memory", message: `applying the patches ran out of memory (heap limit ${this.limits.maxHeapMb} MiB, --eval-max-heap)` };
    }
    return { kind: "aborted", reason: "crash", message: `an uncaught ${err?.name && err.name !== "Error" ? `${err.name}: ` : "error: "}${err?.message ?? String(err)}` };
  }

  /** Applies the jobs (at most once per session); always terminates the worker. */
  async apply(jobs: PatchJob[]): Promise<ApplyOutcome> {
    if (this.closed) return { kind: "aborted", reason: "closed", message: "the patch session was closed" };
    this.closed = true;
    if (this.died) {
      await terminateWithin(this.worker);
      return this.died;
    }
    const { timeoutMs, signal } = this.limits;
    const outcome = await new Promise<ApplyOutcome>((resolve) => {
      let done = false;
      const finish = (o: ApplyOutcome) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.worker.removeAllListeners("message");
        resolve(o);
      };
      const onAbort = () => finish({ kind: "aborted", reason: "cancelled", message: "applying the patches was cancelled" });
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      const timer = setTimeout(
        () => finish({ kind: "aborted", reason: "timeout", message: `applying the patches did not finish within ${seconds(timeoutMs)} (--eval-timeout); an endless loop in a patch?` }),
        timeoutMs,
      );
      this.worker.on("message", (m: unknown) => finish(accept(m, jobs.length)));
      this.worker.on("messageerror", () => finish({ kind: "aborted", reason: "malformed", message: "the evaluation worker sent a reply that could not be read" }));
      this.worker.on("error", (err: Error & { code?: string }) => finish(this.errorOutcome(err)));
      this.worker.on("exit", (code) => finish({ kind: "aborted", reason: "exit", message: `the evaluation worker ended (exit code ${code}) while applying the patches: process.exit() called in a patch?` }));
      this.worker.postMessage({ kind: "apply", jobs });
    });
    await terminateWithin(this.worker);
    return outcome;
  }

  /** Terminates the worker without applying anything (idempotent). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await terminateWithin(this.worker);
  }
}

/** The parent's gate on the reply: exactly one result per job, each well formed. */
function accept(m: unknown, jobs: number): ApplyOutcome {
  const malformed = (why: string): ApplyOutcome => ({ kind: "aborted", reason: "malformed", message: `the evaluation worker's patch reply was malformed: ${why}` });
  const reply = m as Partial<ApplyReply> | null;
  if (reply === null || typeof reply !== "object" || reply.kind !== "applied" || !Array.isArray(reply.results)) return malformed("not an \"applied\" reply");
  if (reply.results.length !== jobs) return malformed(`${reply.results.length} results for ${jobs} resources`);
  const results: PatchJobResult[] = [];
  for (const r of reply.results as unknown[]) {
    const x = r as Record<string, unknown> | null;
    if (x === null || typeof x !== "object") return malformed("a result is not an object");
    if (x.ok === true && typeof x.output === "string") results.push({ ok: true, output: x.output });
    else if (x.ok === false && typeof x.patch === "number" && typeof x.reason === "string" && x.error !== null && typeof x.error === "object" && typeof (x.error as { message?: unknown }).message === "string") {
      const e = x.error as { name?: unknown; message: string; stack?: unknown };
      results.push({
        ok: false,
        patch: x.patch,
        reason: x.reason as never,
        error: { message: e.message, ...(typeof e.name === "string" ? { name: e.name } : {}), ...(typeof e.stack === "string" ? { stack: e.stack } : {}) },
      });
    } else return malformed("a result is neither an output nor a failure");
  }
  return { kind: "applied", results };
}
