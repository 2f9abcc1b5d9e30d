// The entry of the worker thread that evaluates a bundled mesh (see isolate.ts). It imports the bundle, awaits its
// default export and posts exactly one message: the model as plain data (model-wire.ts), or the exception the
// module threw, or "not a mesh". Everything else (process.exit, an uncaught error in a timer, an endless loop,
// running out of heap) ends or outlives the worker, and the parent reports it; the worker cannot end the parent's
// process by those means. Built into a standalone script by isolate.ts, so it imports only small, dependency-free
// modules.
import { parentPort, workerData } from "node:worker_threads";
import { MESH } from "../dsl/brand.js";
import { encodeModel } from "./model-wire.js";

/** What the worker posts; isolate.ts accepts nothing else. */
export type WorkerMessage =
  | { kind: "model"; model: ReturnType<typeof encodeModel> }
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

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error("eval-worker.ts runs only as a worker thread");
  const { bundleUrl } = workerData as { bundleUrl: string };
  // Defence in depth: a mesh module has no business signalling the process that runs the compiler.
  const kill = process.kill.bind(process);
  process.kill = ((pid: number, signal?: string | number) => {
    if (pid === process.pid || pid === process.ppid || pid <= 0) throw new Error("a mesh module may not send signals to meshc");
    return kill(pid, signal);
  }) as typeof process.kill;

  let message: WorkerMessage;
  try {
    const mod = (await import(bundleUrl)) as { default?: unknown };
    let value = mod.default as { then?: unknown } | undefined;
    if (value && typeof value.then === "function") value = (await value) as typeof value;
    message =
      value !== null && typeof value === "object" && (value as Record<symbol, unknown>)[MESH] === true
        ? { kind: "model", model: encodeModel(value) }
        : { kind: "not-mesh" };
  } catch (error) {
    message = { kind: "threw", error: describeThrown(error) };
  }
  port.postMessage(message);
}

await main();
