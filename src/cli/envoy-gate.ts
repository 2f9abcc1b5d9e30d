// `--envoy` for `meshc check` and `meshc build`: after meshc's own checks pass, run the real Envoy
// (`envoy --mode validate`) on every distinct proxy configuration, in parallel, and turn its verdicts into
// diagnostics: MESH0340 when Envoy refuses a proxy (with Envoy's message, located at the proxy's service), MESH0341
// when there is no verdict (Envoy missing, not executable, crashed or timed out). Fails closed: no verdict is an
// error, never a pass (reliability case R22).
// A refused proxy that mesh.patch() changed is validated once more as meshc generated it: if Envoy accepts that,
// the patches broke it, and MESH0340 is reported at the mesh.patch() lines (those that changed a resource Envoy's
// message names, else every one that changed the proxy), as docs/dsl.md "Patches" promises; if Envoy refuses that
// too, the failure is meshc's own and stays at the service.
import { resolve } from "node:path";
import { CODES, fillTemplate } from "../analysis/codes.js";
import type { Diagnostic } from "../diagnostics/types.js";
import type { MeshIR } from "../ir/types.js";
import type { CompileResult } from "../pipeline.js";
import { findEnvoy, isEnvoyMissing } from "../runtime/envoy-binary.js";
import { validateProxies, type ProxyValidation } from "../runtime/validate-proxies.js";
import type { PatchReport } from "../patch/apply.js";

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
      const blamed = await patchesToBlame(result, r, found.path);
      if (blamed.length > 0) {
        for (const b of blamed) {
          const params = { version: found.version, proxy, message: r.message, fix: patchFix(b, r.services) };
          out.push({
            code: CODES.RejectedByEnvoy.code,
            severity: "error",
            message: fillTemplate(CODES.RejectedByEnvoy.message, params),
            ...(b.source && { file: resolve(result.baseDir, b.source.file), line: b.source.line, column: b.source.column }),
            path: ["patches", b.index],
            hint: fillTemplate(CODES.RejectedByEnvoy.hint, params),
          });
        }
        continue;
      }
      const params = { version: found.version, proxy, message: r.message, fix: UNKNOWN_RULE };
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

const UNKNOWN_RULE = "This is a rule meshc's analysis does not know yet: please report it with the mesh. Until then, change the setting Envoy names.";

/** The service of a validation label ("web", "web (instance:…)"). */
function serviceOf(label: string): string {
  const i = label.indexOf(" (");
  return i < 0 ? label : label.slice(0, i);
}

/**
 * The mesh.patch() calls that made Envoy refuse `r`'s configuration, in call order; [] when no patch changed these
 * proxies or Envoy refuses them without their patches too (then the failure is meshc's own).
 */
async function patchesToBlame(result: CompileResult, r: ProxyValidation, envoyPath: string): Promise<PatchReport[]> {
  const services = new Set(r.services.map(serviceOf));
  const changed = (result.patches ?? []).filter((p) => Object.keys(p.changed).some((proxy) => services.has(proxy)));
  if (changed.length === 0) return [];
  if (result.unpatched && result.ir) {
    const [control] = await validateProxies(result.ir, result.unpatched, { envoyPath, concurrency: 1, only: [r.services[0]!] });
    // Refused without the patches too, or no verdict on that: not the patches' doing (as far as one can tell).
    if (!control?.ok) return [];
  }
  // The patches that changed a resource Envoy's message names, when it names one.
  const named = changed.filter((p) => Object.entries(p.changed).some(([proxy, names]) => services.has(proxy) && names.some((n) => mentions(r.message, n))));
  return named.length > 0 ? named : changed;
}

function mentions(message: string, name: string): boolean {
  return message.includes(`'${name}'`) || message.includes(`"${name}"`) || message.includes(`named ${name}`) || message.includes(` ${name}:`);
}

function patchFix(p: PatchReport, labels: string[]): string {
  const services = new Set(labels.map(serviceOf));
  const at = p.source ? `${p.source.file}:${p.source.line}:${p.source.column}` : `#${p.index + 1}`;
  const names = [...new Set(Object.entries(p.changed).filter(([proxy]) => services.has(proxy)).flatMap(([, n]) => n))].sort();
  const shown = names.slice(0, 4).map((n) => JSON.stringify(n)).join(", ") + (names.length > 4 ? ", …" : "");
  return (
    `Envoy accepts this proxy's configuration as meshc generates it: the mesh.patch() at ${at} (${p.kind} ${shown}) made it refuse. ` +
    "Change the patch so that its result is one Envoy accepts."
  );
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
