// Renders a load result for goldens: diagnostics one per line, `file:line:col CODE message`, files relative to the
// mesh's directory, messages on one line.
import { relative, sep } from "node:path";
import type { Diagnostic } from "../../src/diagnostics/types.js";

export function renderDiagnostic(d: Diagnostic, baseDir: string): string {
  const file = d.file ? relative(baseDir, d.file).split(sep).join("/") : "-";
  const pos = d.line ? `${file}:${d.line}:${d.column ?? 0}` : file;
  const sev = d.severity === "warning" ? " warning" : "";
  return `${pos} ${d.code}${sev} ${d.message.replace(/\s*\n\s*/g, " ")}${d.hint ? ` (hint: ${d.hint})` : ""}`;
}

export function renderDiagnostics(diagnostics: readonly Diagnostic[], baseDir: string): string {
  return diagnostics.map((d) => `${renderDiagnostic(d, baseDir)}\n`).join("");
}
