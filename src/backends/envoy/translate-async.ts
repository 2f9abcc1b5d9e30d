// translateMesh for a compile that can be cancelled (`meshc serve`: SIGTERM during a reload). Translating a
// 1,000-service mesh is seconds of synchronous work; run through translateSteps, it hands the event loop back every
// sliceMs (signal handlers, xDS and admin requests run) and stops with the signal's reason once it is aborted.
import type { MeshIR } from "../../ir/types.js";
import { translateSteps, type TranslateOptions, type TranslateResult } from "./translate.js";
import { setImmediate as nextTurn } from "node:timers/promises";

export async function translateMeshCancellable(ir: MeshIR, signal: AbortSignal, sliceMs = 20, options: TranslateOptions = {}): Promise<TranslateResult> {
  signal.throwIfAborted();
  const steps = translateSteps(ir, options);
  let sliceEnd = performance.now() + sliceMs;
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (performance.now() >= sliceEnd) {
      await nextTurn();
      signal.throwIfAborted();
      sliceEnd = performance.now() + sliceMs;
    }
  }
}
