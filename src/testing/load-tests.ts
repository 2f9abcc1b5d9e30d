// Loads one `*.mesh.test.ts`: type-checks it (with "meshc" and "meshc/test"), bundles it, evaluates it in a worker
// thread (test-worker.ts; the same isolation and limits as mesh.ts: a time limit, a heap limit, terminate() for
// endless loops), then compiles each suite's mesh through the ordinary pipeline stages (validate, lower, analyze,
// Envoy backend) so a test runs against exactly the resources `meshc build` would write. Positions recorded
// in the bundle are mapped back to the user's files. Never throws for anything the user's code does.
import { existsSync, writeFileSync } from "node:fs";
import { dirname, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { analyze } from "../analysis/index.js";
import { CODES } from "../analysis/codes.js";
import { translateMesh } from "../backends/envoy/translate.js";
import type { RecordedCase } from "../dsl/testing.js";
import type { MeshModel } from "../dsl/model.js";
import type { SourceSite } from "../dsl/site.js";
import type { Diagnostic } from "../diagnostics/types.js";
import { bundleMesh } from "../frontend/evaluate.js";
import { makeTempDir, removeTempDir } from "../runtime/temp-dirs.js";
import { workerScriptFile } from "../runtime/worker-script.js";
import { DEFAULT_EVAL_MAX_HEAP_MB, DEFAULT_EVAL_TIMEOUT_MS, type EvalLimits } from "../frontend/isolate.js";
import { compareDiagnostics, userFrame } from "../frontend/load.js";
import { lower } from "../frontend/lower.js";
import { decodeModel } from "../frontend/model-wire.js";
import { dslDir, dslEntry } from "../frontend/paths.js";
import { makeLocator, mapPosition } from "../frontend/sites.js";
import { LazySourceMap } from "../frontend/sourcemap.js";
import { typecheck } from "../frontend/typecheck.js";
import { validateModel } from "../frontend/validate.js";
import type { MeshIR } from "../ir/types.js";
import { issueDiagnostic } from "../pipeline.js";
import type { MeshSnapshot } from "../snapshot/types.js";
import type { TestWorkerMessage } from "./test-worker.js";
import { terminateWithin } from "../runtime/stuck-workers.js";
import { registerThreadIdCell, threadIdCell } from "../runtime/thread-children.js";

export interface LoadedCase extends Omit<RecordedCase, "site" | "assertions"> {
  site: SourceSite;
  assertions: (RecordedCase["assertions"][number] & { site: SourceSite })[];
}

export interface LoadedSuite {
  name?: string;
  site: SourceSite;
  ir?: MeshIR;
  /** Present when the mesh compiled without errors. */
  snapshot?: MeshSnapshot;
  diagnostics: Diagnostic[];
  cases: LoadedCase[];
}

export interface LoadedTestFile {
  file: string;
  suites: LoadedSuite[];
  /** Problems with the file itself (type errors, evaluation, no tests). */
  diagnostics: Diagnostic[];
}

const diag = (name: "TestEvaluationFailed" | "NoMeshTests", message: string, at: SourceSite): Diagnostic => ({
  code: CODES[name].code,
  severity: "error",
  message,
  hint: CODES[name].hint,
  ...at,
});

type Outcome = TestWorkerMessage | { kind: "aborted"; message: string };

async function runWorker(bundleFile: string, limits: EvalLimits): Promise<Outcome> {
  const timeoutMs = limits.timeoutMs ?? DEFAULT_EVAL_TIMEOUT_MS;
  const maxHeapMb = limits.maxHeapMb ?? DEFAULT_EVAL_MAX_HEAP_MB;
  const script = await workerScriptFile("testing/test-worker");
  const cell = threadIdCell();
  const worker = new Worker(script, { workerData: { bundleUrl: pathToFileURL(bundleFile).href, threadIdCell: cell }, execArgv: [], resourceLimits: { maxOldGenerationSizeMb: maxHeapMb }, stdout: true, stderr: true });
  registerThreadIdCell(worker, cell);
  worker.stdout.pipe(process.stderr, { end: false });
  worker.stderr.pipe(process.stderr, { end: false });
  return await new Promise<Outcome>((done) => {
    let settled = false;
    const finish = (o: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void terminateWithin(worker).then(() => done(o));
    };
    const timer = setTimeout(() => finish({ kind: "aborted", message: `evaluating the test file did not finish within ${timeoutMs} ms (--eval-timeout)` }), timeoutMs);
    worker.on("message", (m: unknown) => {
      const msg = m as Partial<TestWorkerMessage> | null;
      if (msg && (msg.kind === "suites" ? Array.isArray(msg.suites) : msg.kind === "threw" && typeof msg.error?.message === "string")) finish(msg as TestWorkerMessage);
      else finish({ kind: "aborted", message: "the test worker sent a malformed message" });
    });
    worker.on("error", (err: Error & { code?: string }) =>
      finish({ kind: "aborted", message: err?.code === "ERR_WORKER_OUT_OF_MEMORY" ? `evaluating the test file ran out of memory (${maxHeapMb} MiB, --eval-max-heap)` : `an uncaught error: ${err?.message}` }),
    );
    worker.on("exit", (code) => finish({ kind: "aborted", message: `the test file ended its evaluation (exit code ${code}) before registering its tests` }));
  });
}

const isSite = (s: unknown): s is SourceSite => !!s && typeof (s as SourceSite).file === "string" && typeof (s as SourceSite).line === "number";

/** Compiles a mesh model through the pipeline's later stages; the snapshot only without errors. */
export function compileModel(model: MeshModel, baseDir: string, locate: ReturnType<typeof makeLocator> = makeLocator()): { ir?: MeshIR; snapshot?: MeshSnapshot; diagnostics: Diagnostic[] } {
  const invalid = validateModel(model, locate);
  if (invalid.length) return { diagnostics: invalid };
  const lowered = lower(model, baseDir, locate);
  const diagnostics = [...lowered.diagnostics, ...analyze(lowered.ir, { baseDir })];
  if (diagnostics.some((d) => d.severity === "error")) return { ir: lowered.ir, diagnostics: diagnostics.sort(compareDiagnostics) };
  const t = translateMesh(lowered.ir);
  diagnostics.push(...t.issues.map(issueDiagnostic));
  if (diagnostics.some((d) => d.severity === "error")) return { ir: lowered.ir, diagnostics: diagnostics.sort(compareDiagnostics) };
  return { ir: lowered.ir, snapshot: t.snapshot, diagnostics: diagnostics.sort(compareDiagnostics) };
}

export async function loadTestFile(path: string, limits: EvalLimits & { typecheck?: boolean } = {}): Promise<LoadedTestFile> {
  const file = resolve(path);
  const at = { file, line: 1, column: 1 };
  const result = (diagnostics: Diagnostic[], suites: LoadedSuite[] = []): LoadedTestFile => ({ file, suites, diagnostics: diagnostics.sort(compareDiagnostics) });
  if (!existsSync(file)) return result([diag("TestEvaluationFailed", `cannot read the test file ${file}: no such file`, at)]);
  const tmp = makeTempDir("meshc-");
  try {
    const bundling = bundleMesh(file, dslEntry(), tmp);
    bundling.catch(() => undefined);
    if (limits.typecheck !== false) {
      const checked = typecheck(file, dslEntry());
      if (checked.diagnostics.length) {
        await bundling.catch(() => undefined);
        return result(checked.diagnostics);
      }
    }
    const bundled = await bundling;
    if (!bundled.bundle) return result(bundled.diagnostics.map((d) => ({ ...d, code: CODES.TestEvaluationFailed.code })));
    const bundle = bundled.bundle;
    writeFileSync(bundle.file, bundle.text);
    const outcome = await runWorker(bundle.file, limits);
    const locate = makeLocator(bundle);
    const dsl = dslDir() + sep;
    const map = (s: unknown): SourceSite => (isSite(s) ? (locate(s) ?? at) : at);
    if (outcome.kind !== "suites") {
      const e = outcome.kind === "threw" ? outcome.error : undefined;
      const lazy = new LazySourceMap(bundle.map);
      const url = pathToFileURL(bundle.file).href;
      const frame = e?.stack ? userFrame(e.stack, (f, l, c) => mapPosition(f, l, c, bundle.file, url, dirname(bundle.file), lazy), (f) => !f.startsWith(dsl)) : undefined;
      const why = outcome.kind === "threw" ? `${e!.name && e!.name !== "Error" ? `${e!.name}: ` : ""}${e!.message}` : outcome.message;
      return result([diag("TestEvaluationFailed", `evaluating the test file failed: ${why}`, frame ?? at)]);
    }
    if (outcome.suites.length === 0) return result([diag("NoMeshTests", "the test file declares no tests: call meshTest(mesh, (t) => ...) from \"meshc/test\"", at)]);
    const suites: LoadedSuite[] = [];
    for (const s of outcome.suites) {
      const site = map(s.site);
      const cases = s.cases.map((c) => ({ ...c, site: map(c.site), assertions: c.assertions.map((a) => ({ ...a, site: map(a.site) })) }));
      const base = { site, cases, ...(s.name !== undefined ? { name: s.name } : {}) };
      if (s.mesh === null) {
        suites.push({ ...base, diagnostics: [diag("TestEvaluationFailed", "meshTest's first argument is not a mesh: pass mesh.ts's default export (defineMesh(...))", site)] });
        continue;
      }
      let model: MeshModel;
      try {
        model = decodeModel(s.mesh) as MeshModel;
      } catch (err) {
        suites.push({ ...base, diagnostics: [diag("TestEvaluationFailed", `the mesh could not be read: ${(err as Error).message}`, site)] });
        continue;
      }
      suites.push({ ...base, ...compileModel(model, dirname(file), locate) });
    }
    return result([], suites);
  } finally {
    removeTempDir(tmp);
  }
}
