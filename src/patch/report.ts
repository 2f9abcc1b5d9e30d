// `meshc build`'s account of mesh.patch() (issue 13): one line per patch, naming its mesh.ts call and, per proxy,
// the resources it changed, so a reviewer sees every place generated configuration was overridden.
import type { PatchReport } from "./apply.js";

const MAX_NAMES = 6;

export function formatPatchReport(reports: readonly PatchReport[]): string[] {
  return reports.map((r) => {
    const at = r.source ? `${r.source.file}:${r.source.line}:${r.source.column}` : `#${r.index + 1}`;
    const proxies = Object.keys(r.changed).sort();
    if (proxies.length === 0) return `meshc: patch ${at} (${r.kind}) changed nothing`;
    const parts = proxies.map((p) => {
      const names = r.changed[p]!;
      const shown = names.slice(0, MAX_NAMES).map((n) => JSON.stringify(n)).join(", ");
      return `${p}: ${shown}${names.length > MAX_NAMES ? `, … (${names.length} in all)` : ""}`;
    });
    return `meshc: patch ${at} changed ${r.kind}s of ${proxies.length} prox${proxies.length === 1 ? "y" : "ies"}: ${parts.join("; ")}`;
  });
}
