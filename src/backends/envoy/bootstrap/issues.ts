// Problems found while producing a bootstrap, as data. `kind` tells the CLI how to exit: an "option" issue is a
// usage error (bad --service, --instance, --xds, unreadable --template: exit 2); "template" (the Handlebars
// template or the YAML it rendered is malformed) and "schema" (the result is not a valid Bootstrap) are
// diagnostics about the output (exit 1).
export interface BootstrapIssue {
  kind: "option" | "template" | "schema";
  /** What the issue is about: an option ("--service"), a template file, or "bootstrap". */
  source: string;
  /** Dotted field path inside the bootstrap (e.g. `static_resources.clusters[0].connect_timeout`); "" if none. */
  path: string;
  message: string;
  /** 1-based position in the template (template issues) or in the rendered text (schema/YAML issues). */
  line?: number;
  column?: number;
  /** Which text `line` refers to. */
  in?: "template" | "rendered";
}

export function formatBootstrapIssue(i: BootstrapIssue): string {
  const where = i.line === undefined ? i.source : `${i.source}:${i.line}${i.column === undefined ? "" : `:${i.column}`}`;
  const rendered = i.in === "rendered" ? " (line of the rendered output)" : "";
  const path = i.path ? `${i.path}: ` : "";
  return `${where}${rendered}: ${path}${i.message}`;
}

export class BootstrapError extends Error {
  constructor(readonly issues: BootstrapIssue[]) {
    super(issues.map(formatBootstrapIssue).join("\n"));
    this.name = "BootstrapError";
  }
}
