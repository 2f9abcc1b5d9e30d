// Where and how `check` and `build` print diagnostics: people's format (human) on stderr, every machine format
// (json, github, sarif) on stdout, so `meshc check --format sarif > meshc.sarif` and `… --format github` in a workflow
// both work. CI formats name files relative to the repository root (see ci.ts, --path-base); every format links each
// code to its documentation; and when the front end stops the pipeline, the output says that the semantic checks
// (analysis, Envoy's schema rules) did not run, so a clean-looking list of type errors is not mistaken for all there is.
import type { Diagnostic } from "./types.js";
import { docsLink, docsUrl, pathBase } from "./ci.js";
import { render, shouldUseColor, type OutputFormat } from "./render.js";

export interface DiagnosticsOutput {
  format: OutputFormat;
  /** The --path-base flag. */
  pathBase?: string;
}

/** "semantic checks did not run" when the front end stopped the pipeline before the IR existed. */
export function pipelineNotes(result: { diagnostics: readonly Diagnostic[]; ir?: unknown }): string[] {
  if (result.ir !== undefined || !result.diagnostics.some((d) => d.severity === "error")) return [];
  const codes = new Set(result.diagnostics.map((d) => d.code));
  const why = codes.has("MESH0001")
    ? "type errors (MESH0001) stopped the pipeline"
    : codes.has("MESH0002")
      ? "the mesh module could not be evaluated (MESH0002)"
      : codes.has("MESH0003")
        ? "invalid values (MESH0003) stopped the pipeline"
        : "the front end stopped the pipeline";
  return [`semantic checks did not run: ${why}, so analysis and Envoy's schema rules have not looked at this mesh yet; fix these and run again to see any further findings.`];
}

/** Writes the diagnostics of a compile (or nothing, for an empty list in a machine format other than json/sarif). */
export function writeDiagnostics(result: { diagnostics: readonly Diagnostic[]; ir?: unknown }, out: DiagnosticsOutput, always = true): void {
  const notes = pipelineNotes(result);
  if (out.format === "human") {
    if (!always && result.diagnostics.length === 0) return;
    process.stderr.write(render(result.diagnostics, "human", { color: shouldUseColor(process.stderr), docs: (c) => docsLink(c), notes }));
    return;
  }
  const base = pathBase(out.pathBase);
  const docs = out.format === "github" ? (c: string) => docsLink(c) : (c: string) => docsUrl(c);
  if (!always && result.diagnostics.length === 0 && out.format === "github") return;
  process.stdout.write(render(result.diagnostics, out.format, { pathBase: base, docs, notes }));
}
