// Diagnostics are data: every stage collects them and the CLI renders them (human, json, github).
export type Severity = "error" | "warning";

export interface Diagnostic {
  /** Stable code, e.g. MESH0101; documented in docs/diagnostics.md. */
  code: string;
  severity: Severity;
  message: string;
  /** Source position (file relative to the current directory or absolute; 1-based line and column). */
  file?: string;
  line?: number;
  column?: number;
  endLine?: number;
  endColumn?: number;
  /** Path into the model, e.g. ["services", "web", "routes", 0, "timeout"]. */
  path?: (string | number)[];
  /** What to do about it. */
  hint?: string;
}
