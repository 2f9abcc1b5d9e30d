// The entry of the worker thread that evaluates a bundled `*.mesh.test.ts` (see isolate-tests.ts). It imports the
// bundle, which registers its meshTest() suites (src/dsl/testing.ts) on a global registry, awaits each suite's
// mesh, and posts exactly one message: every suite as plain data (the mesh through model-wire.ts, the cases as
// recorded), or the exception the file threw. Like eval-worker.ts, it imports only small, dependency-free modules.
import { parentPort, workerData } from "node:worker_threads";
import { MESH } from "../dsl/brand.js";
import { shareThreadId } from "../runtime/thread-children.js";
import type { RecordedSuite } from "../dsl/testing.js";
import { encodeModel } from "../frontend/model-wire.js";

export interface ThrownValue {
  name?: string;
  message: string;
  stack?: string;
}

const cut = (s: string) => (s.length > 8192 ? `${s.slice(0, 8192)}…` : s);

function describeThrown(error: unknown): ThrownValue {
  try {
    const e = error as { name?: unknown; message?: unknown; stack?: unknown };
    if (typeof e === "object" && e !== null && typeof e.message === "string") {
      return { message: cut(e.message), ...(typeof e.name === "string" ? { name: cut(e.name) } : {}), ...(typeof e.stack === "string" ? { stack: cut(e.stack) } : {}) };
    }
    return { message: cut(`non-error value thrown: ${String(error)}`) };
  } catch {
    return { message: "an unprintable value was thrown" };
  }
}

export type TestWorkerMessage =
  | { kind: "suites"; suites: (Omit<RecordedSuite, "mesh"> & { mesh: ReturnType<typeof encodeModel> | null })[] }
  | { kind: "threw"; error: ThrownValue };

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error("test-worker.ts runs only as a worker thread");
  const { bundleUrl } = workerData as { bundleUrl: string };
  shareThreadId(workerData);
  let message: TestWorkerMessage;
  try {
    await import(bundleUrl);
    const suites = ((globalThis as Record<symbol, unknown>)[Symbol.for("meshc.test.registry")] as RecordedSuite[] | undefined) ?? [];
    const out: Extract<TestWorkerMessage, { kind: "suites" }>["suites"] = [];
    for (const s of suites) {
      let mesh = s.mesh as { then?: unknown } | undefined;
      if (mesh && typeof mesh.then === "function") mesh = (await mesh) as typeof mesh;
      const isMesh = mesh !== null && typeof mesh === "object" && (mesh as Record<symbol, unknown>)[MESH] === true;
      out.push({ ...s, mesh: isMesh ? encodeModel(mesh) : null });
    }
    message = { kind: "suites", suites: out };
  } catch (error) {
    message = { kind: "threw", error: describeThrown(error) };
  }
  port.postMessage(message);
}

await main();
