// The entry of the worker thread that type-checks a mesh (typecheck-thread.ts), so the check runs on one core while
// the main thread bundles, evaluates (in its own isolated worker), lowers and translates on another (issue 12:
// `meshc build` and `serve` reloads within their latency targets). Each request is answered with the check's
// diagnostics and the user's files; with `incremental`, the worker keeps the previous program, so a reload re-checks
// only what an edit touched. It runs no user code: the TypeScript compiler only reads the files.
import { parentPort, workerData } from "node:worker_threads";
import type { Diagnostic } from "../diagnostics/types.js";
import { saveTypescriptCodeCache, typecheck, useTypescriptFrom, type IncrementalState } from "./typecheck.js";

export interface CheckRequest {
  id: number;
  entry: string;
  dslEntry: string;
  incremental: boolean;
  /** Start from and leave TypeScript's incremental state in meshc's cache folder (`meshc build`, typecheck-cache.ts). */
  persist?: boolean;
}

/**
 * A check's result; with `saving`, the thread then writes the check's records to meshc's cache folder and posts
 * { id, saved: true } when done (until then the thread keeps the process alive, so they are not lost at exit).
 */
export type CheckReply =
  | { id: number; ok: true; diagnostics: Diagnostic[]; files: string[]; checked?: number; ms: number; saving?: true }
  | { id: number; ok: false; error: string }
  | { id: number; saved: true };

const port = parentPort;
if (!port) throw new Error("typecheck-worker.ts runs only as a worker thread");
// Through V8's code cache in meshc's cache folder (typescript-code-cache.ts): compiling typescript.js and the
// functions a check runs is otherwise a fixed cost of every `meshc build` on this thread.
useTypescriptFrom((workerData as { typescript: string }).typescript, true);
const state: IncrementalState = { userFiles: new Map() };
port.on("message", (m: CheckRequest) => {
  const t0 = performance.now();
  let reply: CheckReply;
  let save: (() => void) | undefined;
  try {
    const r = typecheck(m.entry, m.dslEntry, m.incremental ? state : undefined, m.persist === true ? "later" : false);
    save = r.save;
    reply = { id: m.id, ok: true, diagnostics: r.diagnostics, files: r.files, checked: r.checked, ms: Math.round((performance.now() - t0) * 10) / 10, ...(m.persist ? { saving: true as const } : {}) };
  } catch (e) {
    reply = { id: m.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  port.postMessage(reply);
  // Not on the way to the result (the build's gate waits for it): the check's records for the next `meshc build`,
  // then the compiled code of what this check ran (written when none was used; like the records, only
  // `meshc build` writes to the cache folder).
  if ("saving" in reply) {
    try {
      save?.();
      saveTypescriptCodeCache();
    } finally {
      port.postMessage({ id: m.id, saved: true } satisfies CheckReply);
    }
  }
  // The record a later check may be answered from (typecheck.ts, checkInMemory), made once the result is on its way.
  state.settle?.();
});
// Loaded: the parent may remove the script file it started this worker from.
port.postMessage({ id: 0, ok: false, error: "ready" } satisfies CheckReply);
