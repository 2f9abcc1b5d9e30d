// Where `meshc serve` gets snapshots: a mesh.ts compiled in process, or a build directory written by `meshc build`.
// Either way a load yields a snapshot or the reasons there is none, plus the files to watch for the next one.
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { CODES } from "../analysis/codes.js";
import { BuildDirReader, type ReadStats } from "../backends/envoy/read-build.js";
import type { Diagnostic } from "../diagnostics/types.js";
import type { EvalLimits } from "../frontend/isolate.js";
import type { MeshIR } from "../ir/types.js";
import type { CertificatePlan } from "../pki/plan.js";
import type { IncrementalStats } from "./incremental-translate.js";
import type { MeshSnapshot } from "../snapshot/types.js";

export interface SourceLoad {
  snapshot?: MeshSnapshot;
  /** The mesh's name, when the source is a mesh.ts that compiled. */
  meshName?: string;
  /** The compiled IR (mesh.ts sources only). */
  ir?: MeshIR;
  /** Sidecar identities and leaf settings for `serve --ca` (meshes with mTLS; from the IR or the build's manifest). */
  certificates?: CertificatePlan;
  diagnostics: Diagnostic[];
  /** Files (absolute) whose change should trigger the next load. */
  inputs: string[];
  /** Build directories: how much of the previous load was reused. */
  readStats?: ReadStats;
  /** The load was cancelled (close()); nothing to apply or report. */
  cancelled?: boolean;
  /** mesh.ts sources: wall time of each compile stage in ms (the type check ran on its own thread alongside). */
  timings?: Record<string, number>;
  /** mesh.ts sources: how much of the previous reload's translation was reused. */
  translation?: IncrementalStats;
}

export interface SnapshotSource {
  kind: "mesh" | "build-dir";
  path: string;
  /** `signal` cancels a load in progress at any stage: the load then reports `cancelled` and yields no snapshot. */
  load(signal?: AbortSignal): Promise<SourceLoad>;
}

export function openSource(path: string, options: { strict?: boolean; eval?: Omit<EvalLimits, "signal"> } = {}): SnapshotSource {
  const abs = resolve(path);
  let isDir = false;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    // A missing file is reported by the first load, like any other compile failure.
  }
  if (isDir) {
    // Kept across loads: a reload re-reads every file but parses and encodes only what changed.
    const reader = new BuildDirReader();
    return {
      kind: "build-dir",
      path: abs,
      async load(signal) {
        const r = await reader.read(abs, signal);
        if (r.ok) return { snapshot: r.snapshot, diagnostics: [], inputs: r.files, readStats: r.stats, ...(r.certificates ? { certificates: r.certificates } : {}) };
        if (r.cancelled) return { diagnostics: [], inputs: [], cancelled: true };
        const info = CODES.InvalidBuildDirectory;
        const diagnostics = r.problems.map((p): Diagnostic => ({ code: info.code, severity: info.severity, message: p.message, file: p.file, hint: info.hint }));
        return { diagnostics, inputs: [] };
      },
    };
  }
  // The compiler (esbuild, the DSL's schemas, the translator) is loaded by the first load of a mesh.ts, so serving a
  // build directory never loads it (issue 12: start -> ready).
  const compiler = Promise.all([import("../pipeline.js"), import("../pki/plan.js"), import("./incremental-translate.js")]).then(([pipeline, plan, incremental]) => ({
    compileMesh: pipeline.compileMesh,
    certificatePlan: plan.certificatePlan,
    // Kept across loads: a reload translates only the proxies whose inputs changed (incremental-translate.ts).
    translator: new incremental.IncrementalTranslator(),
  }));
  compiler.catch(() => undefined); // reported by the load that awaits it
  return {
    kind: "mesh",
    path: abs,
    async load(signal) {
      const { compileMesh, certificatePlan, translator } = await compiler;
      // The checker thread keeps its program between loads: a reload re-checks only what the edit touched.
      // A cancel (shutdown) stops every stage: the type check thread, bundling, evaluation, translation.
      let translated = false;
      const translate = (ir: MeshIR, sig?: AbortSignal) => ((translated = true), sig ? translator.translateCancellable(ir, sig) : translator.translate(ir));
      const r = await compileMesh(abs, { ...options.eval, incrementalTypecheck: true, spareWorker: true, translate, ...(signal ? { signal } : {}) }).catch((err: unknown) => {
        if (signal?.aborted) return undefined;
        throw err;
      });
      if (!r || signal?.aborted) return { diagnostics: [], inputs: [], cancelled: true };
      const t0 = performance.now();
      const blocked = options.strict && r.diagnostics.some((d) => d.severity === "warning");
      const snapshot = blocked ? undefined : r.snapshot;
      const certificates = r.ir ? certificatePlan(r.ir) : undefined;
      const timings: Record<string, number> = { ...r.timings, ...(r.typecheckWaitMs !== undefined && { "typecheck-wait": r.typecheckWaitMs }), plan: round(performance.now() - t0) };
      return {
        snapshot,
        ...(snapshot && r.ir ? { meshName: r.ir.name } : {}),
        ir: r.ir,
        ...(certificates ? { certificates } : {}),
        diagnostics: r.diagnostics,
        inputs: r.inputs.length ? r.inputs : [abs],
        timings,
        ...(translated ? { translation: translator.stats } : {}),
      };
    },
  };
}

const round = (ms: number) => Math.round(ms * 10) / 10;
