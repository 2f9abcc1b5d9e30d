// The front end: mesh.ts -> IR + diagnostics, in stages (each also usable alone):
//   typecheck (TypeScript, MESH0001) -> bundle + evaluate (esbuild, then an isolated worker: MESH0002, MESH0006)
//   -> validate (zod, MESH0003) -> lower (IR; MESH0004/MESH0005 for what the IR cannot hold).
// A stage with errors stops the pipeline; diagnostics come back sorted by position.
import { codeInfo } from "../analysis/codes.js";
import { existsSync } from "node:fs";
import { dirname, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { isMeshDefinition } from "../dsl/guards.js";
import type { MeshModel } from "../dsl/model.js";
import type { SourceSite } from "../dsl/site.js";
import type { Diagnostic } from "../diagnostics/types.js";
import type { MeshIR } from "../ir/types.js";
import { codes } from "./codes.js";
import { writeFileSync } from "node:fs";
import { bundleMesh, type Bundle } from "./evaluate.js";
import { makeTempDir, removeTempDir } from "../runtime/temp-dirs.js";
import { evaluateIsolated, type EvalLimits } from "./isolate.js";
import type { PatchSession } from "./patch-session.js";
import { lower } from "./lower.js";
import { dslDir, dslEntry } from "./paths.js";
import { makeLocator, mapPosition } from "./sites.js";
import { LazySourceMap } from "./sourcemap.js";
import { sharedTypecheckThread, type TimedCheck } from "./typecheck-thread.js";
// validate.ts (zod and the schema, ~80 ms of CPU to load) is imported only for a model schema-fast.ts is not sure
// of (issue 12: a rebuild's main thread); most meshes are validated by modelAccepted without it.
import { modelAccepted } from "./schema-fast.js";
let validateModule: Promise<typeof import("./validate.js")> | undefined;
const loadValidate = () => (validateModule ??= import("./validate.js"));
import { untilAborted, yieldTurn } from "./abort.js";

export type Stage = "typecheck" | "bundle" | "evaluate" | "validate" | "lower";

export interface LoadOptions extends EvalLimits {
  /** Run the TypeScript check (on a worker thread, alongside the other stages; its errors gate the result). @default true */
  typecheck?: boolean;
  /** Check on the process's long-lived incremental thread (`meshc serve`: reloads re-check only what changed). */
  incrementalTypecheck?: boolean;
  /** Keep the check's incremental state in meshc's cache folder (`meshc build`: unchanged files are not checked again). */
  persistTypecheck?: boolean;
  /**
   * Return before the type check finishes; the result's `typecheckGate` then must be awaited (compileMesh analyzes
   * and translates meanwhile). Without it, loadMesh waits for the check itself.
   */
  deferTypecheck?: boolean;
  /** Keep the evaluation worker of a mesh with mesh.patch() calls (LoadResult.patches; the caller closes it). */
  keepPatches?: boolean;
  /** Evaluate in a worker started ahead of time, and start one for the next load (`meshc serve`; spare-worker.ts). */
  spareWorker?: boolean;
}

export interface LoadResult {
  /** Present when lowering ran (even if it reported MESH0004/MESH0005 errors, so analysis can add its findings). */
  ir?: MeshIR;
  /** Sorted by file, line, column. Files are absolute. */
  diagnostics: Diagnostic[];
  /** The user's modules (absolute, sorted): what to watch to reload the mesh. */
  inputs: string[];
  /** The entry's directory: IR `source.file` paths are relative to it. */
  baseDir: string;
  /** Wall time per stage that ran, in milliseconds ("bundle": time spent waiting for esbuild; "typecheck": the check's own time on its thread). */
  timings: Partial<Record<Stage, number>>;
  /**
   * With `deferTypecheck`: resolves when the type check has finished, to the result to report instead (only its
   * errors, as if the later stages had not run) when it found errors, else to undefined.
   */
  typecheckGate?: () => Promise<LoadResult | undefined>;
  /** With `keepPatches`, when the IR has patches: the worker holding their functions (src/patch/apply.ts). */
  patches?: PatchSession;
  /** Maps an error stack from the evaluation worker to the first frame in the user's modules. */
  userFrame?: (stack: string) => SourceSite | undefined;
}

export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  const fa = a.file ?? "";
  const fb = b.file ?? "";
  if (fa !== fb) return fa < fb ? -1 : 1;
  return (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0) || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0) || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0);
}

const FRAME = /(?:\(|\s|^)((?:file:\/\/)?\/[^\s()]*?|[A-Za-z]:\\[^\s()]*?):(\d+):(\d+)\)?$/;

/** The first stack frame (after `mapFrame`, e.g. through the bundle's source map) in one of the user's modules. */
export function userFrame(
  stack: string,
  mapFrame: (file: string, line: number, column: number) => SourceSite | undefined,
  isUser: (file: string) => boolean,
): SourceSite | undefined {
  for (const line of stack.split("\n").slice(1)) {
    const m = FRAME.exec(line.trim());
    if (!m) continue;
    const frame = mapFrame(m[1]!, Number(m[2]), Number(m[3]));
    if (frame && isUser(frame.file)) return frame;
  }
  return undefined;
}

function evaluationDiagnostic(error: unknown, entry: string, bundle: Bundle, isUser: (file: string) => boolean, aborted?: string): Diagnostic {
  const e = error as { name?: unknown; message?: unknown; stack?: unknown };
  const text =
    error instanceof Error || (typeof e === "object" && e !== null && typeof e.message === "string")
      ? `${typeof e.name === "string" && e.name !== "Error" ? `${e.name}: ` : ""}${String(e.message)}`
      : `non-error value thrown: ${String(error)}`;
  const map = new LazySourceMap(bundle.map);
  const url = pathToFileURL(bundle.file).href;
  const mapFrame = (file: string, line: number, column: number) => mapPosition(file, line, column, bundle.file, url, dirname(bundle.file), map);
  const frame = typeof e?.stack === "string" ? userFrame(e.stack, mapFrame, isUser) : undefined;
  const at = frame ?? { file: entry, line: 1, column: 1 };
  if (aborted !== undefined) return { code: codes.EvaluationAborted, severity: "error", message: `evaluation ended without a mesh: ${aborted}`, ...at };
  return { code: codes.EvaluationError, severity: "error", message: `evaluating the mesh failed: ${text}`, ...at };
}

/** Loads a mesh.ts: type-check, evaluate, validate, lower. Never throws for problems in the user's mesh. */
/** Every diagnostic carries a hint: a specific one where the stage had one, else its code's general advice. */
function withHint(d: Diagnostic): Diagnostic {
  return d.hint ? d : { ...d, hint: codeInfo(d.code)?.hint };
}

export async function loadMesh(entryPath: string, options: LoadOptions = {}): Promise<LoadResult> {
  const entry = resolve(entryPath);
  const baseDir = dirname(entry);
  const timings: LoadResult["timings"] = {};
  const dsl = dslDir() + sep;
  const isUser = (file: string) => !file.startsWith(dsl);
  let inputs = [entry];
  let session: PatchSession | undefined;
  let frameOf: LoadResult["userFrame"];
  const done = (diagnostics: Diagnostic[], ir?: MeshIR): LoadResult => {
    const keep = session && ir?.patches?.length ? session : undefined;
    if (session && !keep) void session.close();
    return {
      ...(ir ? { ir } : {}),
      diagnostics: diagnostics.map(withHint).sort(compareDiagnostics),
      inputs: [...new Set(inputs)].sort(),
      baseDir,
      timings,
      ...(keep ? { patches: keep } : {}),
      ...(frameOf ? { userFrame: frameOf } : {}),
    };
  };
  const time = <T>(stage: Stage, f: () => T): T => {
    const t0 = performance.now();
    try {
      return f();
    } finally {
      timings[stage] = Math.round((performance.now() - t0) * 10) / 10;
    }
  };

  if (!existsSync(entry)) {
    return done([{ code: codes.EvaluationError, severity: "error", message: `cannot read the mesh file ${entry}: no such file` }]);
  }

  // The type check runs on its own thread while esbuild bundles and the bundle is evaluated (isolated) and lowered
  // here; its errors still decide the result: with type errors, only they are reported and nothing else the later
  // stages found (an evaluation under way is cancelled). Issue 12: the check and the rest overlap on two cores.
  const typeErrors = new AbortController();
  const checking = options.typecheck === false ? undefined : sharedTypecheckThread().check(entry, dslEntry(), options.incrementalTypecheck === true, options.signal, options.persistTypecheck === true, options.typecheckTimeoutMs);
  let checked: TimedCheck | undefined;
  void checking?.then(
    (c) => c.diagnostics.length > 0 && typeErrors.abort(),
    () => undefined, // reported where the gate awaits it
  );
  const gate = async (): Promise<LoadResult | undefined> => {
    if (!checking) return undefined;
    checked ??= await checking;
    timings.typecheck = checked.ms;
    if (checked.diagnostics.length > 0) {
      inputs = checked.files.length > 0 ? checked.files : [entry];
      for (const k of Object.keys(timings) as Stage[]) if (k !== "typecheck") delete timings[k];
      return done(checked.diagnostics);
    }
    inputs = [...checked.files, ...inputs];
    return undefined;
  };
  const gated = async (r: () => LoadResult): Promise<LoadResult> => (await gate()) ?? r();
  const evalSignal = options.signal ? AbortSignal.any([options.signal, typeErrors.signal]) : typeErrors.signal;

  const tmp = makeTempDir("meshc-");
  let model: unknown;
  let wellFormed = false;
  let bundle: Bundle;
  try {
    const bundling = bundleMesh(entry, dslEntry(), tmp);
    bundling.catch(() => undefined); // reported below when awaited
    const t0 = performance.now();
    const bundled = await untilAborted(bundling, options.signal); // esbuild cannot be stopped; a cancel stops waiting
    timings.bundle = Math.round((performance.now() - t0) * 10) / 10;
    if (!bundled.bundle) return await gated(() => done(bundled.diagnostics));
    bundle = bundled.bundle;
    inputs = [...inputs, ...bundle.inputs.filter(isUser)];
    const t1 = performance.now();
    writeFileSync(bundle.file, bundle.text);
    const outcome = await evaluateIsolated(bundle.file, { ...options, signal: evalSignal }, { keepPatches: options.keepPatches === true, spare: options.spareWorker === true });
    timings.evaluate = Math.round((performance.now() - t1) * 10) / 10;
    const userFile = (f: string) => isUser(f) && inputs.includes(f);
    if (outcome.kind === "threw") return await gated(() => done([evaluationDiagnostic(outcome.error, entry, bundle, userFile)]));
    if (outcome.kind === "aborted") return await gated(() => done([evaluationDiagnostic(outcome.error ?? {}, entry, bundle, userFile, outcome.message)]));
    model = outcome.kind === "model" ? outcome.model : undefined;
    wellFormed = outcome.kind === "model" && outcome.wellFormed === true;
    if (outcome.kind === "model" && outcome.patches) {
      session = outcome.patches;
      const map = new LazySourceMap(bundle.map);
      const b = bundle;
      const url = pathToFileURL(b.file).href;
      frameOf = (stack) => userFrame(stack, (file, line, column) => mapPosition(file, line, column, b.file, url, dirname(b.file), map), userFile);
    }
  } finally {
    removeTempDir(tmp);
  }

  if (!isMeshDefinition(model)) {
    return gated(() => done([
      {
        code: codes.EvaluationError,
        severity: "error",
        message: "the mesh file must `export default defineMesh(...)`",
        hint: 'import { defineMesh } from "meshc" and export its result as the default export',
        file: entry,
        line: 1,
        column: 1,
      },
    ]));
  }
  const mesh = model as MeshModel;
  const locate = makeLocator(bundle);
  const tv = performance.now();
  // What validateModel would say for a decoded, well-formed model in the fast shapes (nothing), without loading zod.
  const invalid = wellFormed && modelAccepted(mesh) ? [] : (await loadValidate()).validateModel(mesh, locate, { wellFormed });
  timings.validate = Math.round((performance.now() - tv) * 10) / 10;
  if (invalid.length > 0) return gated(() => done(invalid));
  try {
    await yieldTurn(options.signal); // a shutdown between the synchronous stages cancels here
  } catch (err) {
    void session?.close();
    throw err;
  }
  const lowered = time("lower", () => lower(mesh, baseDir, locate));
  if (options.deferTypecheck && checking) {
    const result: LoadResult = done(lowered.diagnostics, lowered.ir);
    result.typecheckGate = async () => {
      const failed = await gate();
      if (failed) return failed;
      result.inputs = [...new Set([...inputs, ...result.inputs])].sort(); // with the checked files
      return undefined;
    };
    return result;
  }
  return gated(() => done(lowered.diagnostics, lowered.ir));
}
