// `--envoy` for `meshc check` and `meshc build`: after meshc's own checks pass, run the real Envoy
// (`envoy --mode validate`) on every distinct proxy configuration, in parallel, and turn its verdicts into
// diagnostics: MESH0340 when Envoy refuses a proxy (with Envoy's message, located at the proxy's service), MESH0341
// when there is no verdict (Envoy missing, not executable, crashed or timed out). Fails closed: no verdict is an
// error, never a pass (reliability case R22).
import { resolve } from "node:path";
import { CODES, fillTemplate } from "../analysis/codes.js";
import type { Diagnostic } from "../diagnostics/types.js";
import type { MeshIR } from "../ir/types.js";
import type { CompileResult } from "../pipeline.js";
import { findEnvoy, isEnvoyMissing } from "../runtime/envoy-binary.js";
import { validateProxies } from "../runtime/validate-proxies.js";

export interface EnvoyGateOptions {
  /** --envoy-bin: an explicit Envoy binary (else ENVOY_BIN, PATH, the project's .envoy/). */
  envoyBin?: string;
  /** Validations in flight at once. @default 2 */
  concurrency?: number;
}

/** Diagnostics from Envoy for a compiled mesh; [] when every proxy passed or nothing compiled. */
export async function envoyGate(result: CompileResult, opts: EnvoyGateOptions = {}): Promise<Diagnostic[]> {
  if (!result.ir || !result.snapshot) return [];
  const found = findEnvoy(opts.envoyBin !== undefined ? { flag: opts.envoyBin } : {});
  if (isEnvoyMissing(found)) {
    return [unavailable("the mesh", `Envoy not found (tried: ${found.tried.join("; ")}); ${found.hint}`)];
  }
  if (found.version === undefined) {
    return [unavailable("the mesh", `${found.path} did not report a version (\`envoy --version\` failed)`)];
  }
  const results = await validateProxies(result.ir, result.snapshot, { envoyPath: found.path, concurrency: opts.concurrency ?? 2 });
  const out: Diagnostic[] = [];
  for (const r of results) {
    if (r.ok) continue;
    const proxy = `"${r.services.join('", "')}"`;
    if (r.kind === "rejected") {
      const params = { version: found.version, proxy, message: r.message };
      out.push({
        code: CODES.RejectedByEnvoy.code,
        severity: "error",
        message: fillTemplate(CODES.RejectedByEnvoy.message, params),
        ...serviceLocation(result.ir, r.services[0]!, result.baseDir),
        path: ["services", r.services[0]!],
        hint: fillTemplate(CODES.RejectedByEnvoy.hint, params),
      });
    } else {
      out.push({ ...unavailable(proxy, r.message), ...serviceLocation(result.ir, r.services[0]!, result.baseDir), path: ["services", r.services[0]!] });
    }
  }
  return out;
}

function unavailable(proxy: string, reason: string): Diagnostic {
  const params = { proxy, reason };
  return {
    code: CODES.EnvoyValidationUnavailable.code,
    severity: "error",
    message: fillTemplate(CODES.EnvoyValidationUnavailable.message, params),
    hint: fillTemplate(CODES.EnvoyValidationUnavailable.hint, params),
  };
}

function serviceLocation(ir: MeshIR, service: string, baseDir: string): Pick<Diagnostic, "file" | "line" | "column"> {
  const at = ir.services.find((s) => s.name === service)?.source;
  return at ? { file: resolve(baseDir, at.file), line: at.line, column: at.column } : {};
}
