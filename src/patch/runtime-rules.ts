// Envoy's run-time rules (beyond `(validate.rules)`) that analysis checks on the IR for generated configuration,
// checked here on what a mesh.patch() returned, since a patch bypasses the IR: header mutations (Envoy's
// HeaderParser refuses to add, set or remove Host and ":"-prefixed headers, and runs every added value through its
// substitution formatter; see src/analysis/analyzers/envoy-header-ops.ts). Reads the canonical form; returns the
// first problem as "path: message", or undefined. `meshc check --envoy` runs the real Envoy on top of this.
import { isUnmodifiableHeader } from "../analysis/analyzers/envoy-header-ops.js";
import { formatterProblem } from "../analysis/envoy-formatter.js";

export function runtimeProblem(c: unknown, path = ""): string | undefined {
  if (Array.isArray(c)) {
    for (let i = 0; i < c.length; i++) {
      const hit = runtimeProblem(c[i], `${path}[${i}]`);
      if (hit) return hit;
    }
    return undefined;
  }
  if (c === null || typeof c !== "object") return undefined;
  for (const [k, v] of Object.entries(c as Record<string, unknown>)) {
    const p = path ? `${path}.${k}` : k;
    if (/headers_to_add$/.test(k) && Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const h = (v[i] as { header?: { key?: unknown; value?: unknown } } | null)?.header;
        const key = typeof h?.key === "string" ? h.key : "";
        if (isUnmodifiableHeader(key)) return `${p}[${i}].header.key: Envoy refuses to modify ${JSON.stringify(key)} (":"-prefixed and host headers may not be modified)`;
        const problem = typeof h?.value === "string" ? formatterProblem(h.value) : undefined;
        if (problem !== undefined) return `${p}[${i}].header.value: Envoy's substitution formatter refuses ${JSON.stringify(h!.value)}: ${problem}`;
      }
    } else if (/headers_to_remove$/.test(k) && Array.isArray(v)) {
      const i = v.findIndex((name) => typeof name === "string" && isUnmodifiableHeader(name));
      if (i >= 0) return `${p}[${i}]: Envoy refuses to remove ${JSON.stringify(v[i])} (":"-prefixed and host headers may not be removed)`;
    }
    const hit = runtimeProblem(v, p);
    if (hit) return hit;
  }
  return undefined;
}
