// The two sides of the differential property for one generated mesh. meshc's side is the real pipeline: either
// the mesh.ts rendering through compileMesh (type check, bundle, evaluate, validate, lower, analyze, translate), or,
// faster, the same DSL builders run in-process (buildModel) followed by the same validate -> lower -> analyze ->
// translate stages. Envoy's side is `envoy --mode validate` on every distinct proxy's static bootstrap
// (validateProxies, 2 at a time). Property: meshc accepts (no error, nothing refused by the backend) => Envoy
// accepts every proxy.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyze } from "../../src/analysis/index.js";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import type { Diagnostic } from "../../src/diagnostics/types.js";
import { lower, validateModel } from "../../src/frontend/index.js";
import type { MeshIR } from "../../src/ir/types.js";
import { compileMesh, issueDiagnostic } from "../../src/pipeline.js";
import { validateProxies, type ProxyValidation } from "../../src/runtime/validate-proxies.js";
import type { MeshSnapshot } from "../../src/snapshot/types.js";
import { buildModel, renderMeshTs, type MeshSpec } from "./spec.js";

export interface MeshcVerdict {
  accepted: boolean;
  diagnostics: Diagnostic[];
  ir?: MeshIR;
  snapshot?: MeshSnapshot;
}

const isError = (d: Diagnostic) => d.severity === "error";

/** DSL builders in-process, then the pipeline's stages after evaluation. */
export function compileInProcess(spec: MeshSpec): MeshcVerdict {
  const model = buildModel(spec);
  const invalid = validateModel(model);
  if (invalid.some(isError)) return { accepted: false, diagnostics: invalid };
  const lowered = lower(model, process.cwd());
  const diagnostics = [...lowered.diagnostics, ...analyze(lowered.ir)];
  if (diagnostics.some(isError)) return { accepted: false, diagnostics, ir: lowered.ir };
  const t = translateMesh(lowered.ir);
  diagnostics.push(...t.issues.map(issueDiagnostic));
  if (diagnostics.some(isError)) return { accepted: false, diagnostics, ir: lowered.ir };
  return { accepted: true, diagnostics, ir: lowered.ir, snapshot: t.snapshot };
}

/** The mesh.ts rendering through compileMesh, as `meshc check` runs it. */
export async function compileSource(spec: MeshSpec): Promise<MeshcVerdict> {
  const dir = mkdtempSync(join(tmpdir(), "meshc-diff-"));
  try {
    const entry = join(dir, "mesh.ts");
    writeFileSync(entry, renderMeshTs(spec));
    const r = await compileMesh(entry);
    return { accepted: r.snapshot !== undefined, diagnostics: r.diagnostics, ...(r.ir && { ir: r.ir }), ...(r.snapshot && { snapshot: r.snapshot }) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Outcome {
  meshc: MeshcVerdict;
  /** Present when meshc accepted. */
  envoy?: ProxyValidation[];
  /** Why the property fails for this mesh; undefined when it holds. */
  failure?: string;
}

/** Backend refusals (MESH0901) mean analysis let something through that Envoy's schema refuses: a failure too. */
const BACKEND_REFUSAL = "MESH0901";

export async function check(spec: MeshSpec, via: "model" | "source", envoyPath: string): Promise<Outcome> {
  const meshc = via === "model" ? compileInProcess(spec) : await compileSource(spec);
  const refused = meshc.diagnostics.filter((d) => d.code === BACKEND_REFUSAL);
  if (refused.length) return { meshc, failure: `meshc's backend refused what analysis accepted:\n${refused.map((d) => `  ${d.message}`).join("\n")}` };
  if (!meshc.accepted || !meshc.ir || !meshc.snapshot) return { meshc };
  const envoy = await validateProxies(meshc.ir, meshc.snapshot, { envoyPath, concurrency: 2 });
  const bad = envoy.filter((v) => !v.ok);
  if (!bad.length) return { meshc, envoy };
  return {
    meshc,
    envoy,
    failure: `meshc accepted the mesh, Envoy did not:\n${bad.map((v) => `  proxy ${v.services.join(", ")} (${v.kind}): ${v.message}`).join("\n")}`,
  };
}
