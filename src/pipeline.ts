// The compiler end to end: front end (mesh.ts -> IR + diagnostics) -> analysis -> Envoy backend (IR -> encoded,
// validated resources per proxy). Every stage's findings come back as Diagnostics in one sorted list. A stage
// runs only if the previous ones reported no error (analysis also runs on an IR that lowering flagged, so users
// see all findings at once); the snapshot is present only when the mesh compiled without errors.
import { analyze, CODES } from "./analysis/index.js";
import { fillTemplate } from "./analysis/codes.js";
import { formatIssue, type EnvoyIssue } from "./backends/envoy/api/issues.js";
import { translateMesh, type TranslateResult } from "./backends/envoy/translate.js";
import type { Diagnostic } from "./diagnostics/types.js";
import { loadMesh, compareDiagnostics, type LoadOptions, type Stage } from "./frontend/load.js"; // not index.js: it loads zod eagerly
import type { MeshIR } from "./ir/types.js";
import type { MeshSnapshot } from "./snapshot/types.js";
import { applyPatches, type PatchReport } from "./patch/apply.js";
import { yieldTurn } from "./frontend/abort.js";
import { translateMeshCancellable } from "./backends/envoy/translate-async.js";

/**
 * Code for configuration the Envoy backend produced but the codec, Envoy's schema rules or the snapshot
 * consistency check refused. Analysis should make this unreachable; when it is not, it is a meshc bug that the
 * build still refuses to ship.
 */
export const BACKEND_ISSUE_CODE = CODES.RefusedByEnvoySchema.code;

export type PipelineStage = Stage | "analyze" | "translate" | "patch";

export interface CompileResult {
  ir?: MeshIR;
  /** Front end, analysis and backend findings, sorted by position. */
  diagnostics: Diagnostic[];
  /** Present when no stage reported an error (warnings allowed; --strict is the caller's decision). */
  snapshot?: MeshSnapshot;
  /** The user's modules (absolute, sorted): what to watch. */
  inputs: string[];
  /** The entry's directory: IR source paths are relative to it. */
  baseDir: string;
  /** Wall time per stage that ran, in milliseconds. */
  timings: Partial<Record<PipelineStage, number>>;
  /** What each mesh.patch() changed (present when the mesh has patches and they all applied; src/patch/apply.ts). */
  patches?: PatchReport[];
  /**
   * The snapshot as the backend generated it, before mesh.patch() (present with `patches`): `--envoy` validates a
   * refused patched proxy without its patches to tell a patch's failure from meshc's own (src/cli/envoy-gate.ts).
   */
  unpatched?: MeshSnapshot;
  /** How long the result waited for the type check after everything else was done, in ms (its thread ran alongside). */
  typecheckWaitMs?: number;
}

export interface CompileOptions extends LoadOptions {
  /**
   * The backend's translation (default translateMesh); `meshc serve` passes one that reuses earlier reloads' work.
   * With a signal (a `meshc serve` load) it should stop, rejecting with the signal's reason, once that is aborted.
   */
  translate?: Translate;
}

type Translate = (ir: MeshIR, signal?: AbortSignal) => TranslateResult | Promise<TranslateResult>;

const translateDefault: Translate = (ir, signal) => (signal ? translateMeshCancellable(ir, signal) : translateMesh(ir));

export async function compileMesh(entry: string, options: CompileOptions = {}): Promise<CompileResult> {
  // Analysis and translation run while the type check finishes on its thread; its errors replace everything else.
  const { translate = translateDefault, ...loadOptions } = options;
  const loaded = await loadMesh(entry, { ...loadOptions, deferTypecheck: true, keepPatches: true });
  // The worker holding mesh.patch() functions (if any) is terminated on every path out of here.
  try {
    const result = await compileLoaded(loaded, translate, options.signal);
    const waited = performance.now();
    const failed = await loaded.typecheckGate?.();
    if (loaded.typecheckGate) result.typecheckWaitMs = Math.round((performance.now() - waited) * 10) / 10;
    if (failed) return { diagnostics: failed.diagnostics, inputs: failed.inputs, baseDir: failed.baseDir, timings: { ...failed.timings } };
    const typecheck = loaded.timings.typecheck;
    return { ...result, inputs: loaded.inputs, timings: { ...(typecheck !== undefined ? { typecheck } : {}), ...result.timings } };
  } finally {
    await loaded.patches?.close();
  }
}

/** With `signal` (a `meshc serve` load), a cancel between or during the stages rejects with the signal's reason. */
async function compileLoaded(loaded: Awaited<ReturnType<typeof loadMesh>>, translate: Translate, signal?: AbortSignal): Promise<CompileResult> {
  const timings: CompileResult["timings"] = { ...loaded.timings };
  const diagnostics = [...loaded.diagnostics];
  const base = { inputs: loaded.inputs, baseDir: loaded.baseDir, timings };
  const ir = loaded.ir;
  if (!ir) return { diagnostics, ...base };

  const time = <T>(stage: PipelineStage, f: () => T): T => {
    const t0 = performance.now();
    try {
      return f();
    } finally {
      timings[stage] = Math.round((performance.now() - t0) * 10) / 10;
    }
  };
  await yieldTurn(signal);
  diagnostics.push(...time("analyze", () => analyze(ir, { baseDir: loaded.baseDir })));
  if (hasError(diagnostics)) return { ir, diagnostics: diagnostics.sort(compareDiagnostics), ...base };

  await yieldTurn(signal);
  const tt = performance.now();
  const translated = await translate(ir, signal);
  timings.translate = Math.round((performance.now() - tt) * 10) / 10;
  diagnostics.push(...translated.issues.map(issueDiagnostic));
  diagnostics.sort(compareDiagnostics);
  if (hasError(diagnostics)) return { ir, diagnostics, ...base };
  if (!ir.patches?.length) return { ir, diagnostics, snapshot: translated.snapshot, ...base };

  // mesh.patch(): after the backend, re-checked like generated resources; any failure drops the snapshot.
  if (!loaded.patches) throw new Error("meshc bug: a mesh with patches was loaded without its patch session");
  const t0 = performance.now();
  const patched = await applyPatches(ir, translated.snapshot, loaded.patches, { baseDir: loaded.baseDir, ...(loaded.userFrame ? { userFrame: loaded.userFrame } : {}) });
  timings.patch = Math.round((performance.now() - t0) * 10) / 10;
  diagnostics.push(...patched.diagnostics);
  diagnostics.sort(compareDiagnostics);
  if (hasError(diagnostics) || !patched.snapshot) return { ir, diagnostics, ...base };
  return { ir, diagnostics, snapshot: patched.snapshot, patches: patched.reports, unpatched: translated.snapshot, ...base };
}

function hasError(list: readonly Diagnostic[]): boolean {
  return list.some((d) => d.severity === "error");
}

export function issueDiagnostic(issue: EnvoyIssue): Diagnostic {
  return {
    code: BACKEND_ISSUE_CODE,
    severity: "error",
    message: fillTemplate(CODES.RefusedByEnvoySchema.message, { issue: formatIssue(issue) }),
    hint: CODES.RefusedByEnvoySchema.hint,
  };
}
