// Where `meshc serve` gets snapshots: a mesh.ts compiled in process, or a build directory written by `meshc build`.
// Either way a load yields a snapshot or the reasons there is none, plus the files to watch for the next one.
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { CODES } from "../analysis/codes.js";
import { readBuildDir } from "../backends/envoy/read-build.js";
import type { Diagnostic } from "../diagnostics/types.js";
import { compileMesh } from "../pipeline.js";
import type { MeshIR } from "../ir/types.js";
import type { MeshSnapshot } from "../snapshot/types.js";

export interface SourceLoad {
  snapshot?: MeshSnapshot;
  /** The compiled IR (mesh.ts sources only): identities and certificate settings for `serve --ca`. */
  ir?: MeshIR;
  diagnostics: Diagnostic[];
  /** Files (absolute) whose change should trigger the next load. */
  inputs: string[];
}

export interface SnapshotSource {
  kind: "mesh" | "build-dir";
  path: string;
  load(): Promise<SourceLoad>;
}

export function openSource(path: string, options: { strict?: boolean } = {}): SnapshotSource {
  const abs = resolve(path);
  let isDir = false;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    // A missing file is reported by the first load, like any other compile failure.
  }
  if (isDir) {
    return {
      kind: "build-dir",
      path: abs,
      async load() {
        const r = await readBuildDir(abs);
        if (r.ok) return { snapshot: r.snapshot, diagnostics: [], inputs: r.files };
        const info = CODES.InvalidBuildDirectory;
        const diagnostics = r.problems.map((p): Diagnostic => ({ code: info.code, severity: info.severity, message: p.message, file: p.file, hint: info.hint }));
        return { diagnostics, inputs: [] };
      },
    };
  }
  return {
    kind: "mesh",
    path: abs,
    async load() {
      const r = await compileMesh(abs);
      const blocked = options.strict && r.diagnostics.some((d) => d.severity === "warning");
      return { snapshot: blocked ? undefined : r.snapshot, ir: r.ir, diagnostics: r.diagnostics, inputs: r.inputs.length ? r.inputs : [abs] };
    },
  };
}
