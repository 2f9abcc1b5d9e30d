// SARIF 2.1.0 output (`--format sarif`) for code-scanning tools such as GitHub's upload-sarif action: one run, one
// rule per registered MESH code (name, description, help text, and helpUri: the code's section of
// docs/diagnostics.md), one result per diagnostic. File URIs are relative to the path base (the repository root,
// see ci.ts) under uriBaseId SRCROOT, so results land on the right files however the workflow step is set up; a
// file outside the base keeps its absolute file: URI. Notes (e.g. "semantic checks did not run") become tool
// execution notifications. Deterministic: fixed key order, diagnostics sorted, rules sorted by code.
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Invocation, Log, ReportingDescriptor, Result } from "sarif";
import { listCodes } from "../analysis/codes.js";
import { packageInfo } from "../runtime/package-root.js";
import { docsUrl, relativeToBase } from "./ci.js";
import { sortDiagnostics } from "./sort.js";
import type { Diagnostic } from "./types.js";

export const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

export interface SarifOptions {
  /** Repository root that artifact URIs are relative to. */
  pathBase: string;
  cwd?: string;
  /** Things the user should know that are not findings. */
  notes?: string[];
  env?: NodeJS.ProcessEnv;
}

export function renderSarif(diagnostics: readonly Diagnostic[], options: SarifOptions): string {
  const cwd = options.cwd ?? process.cwd();
  const codes = listCodes();
  const index = new Map(codes.map((c, i) => [c.code, i]));
  const rules = codes.map((c): ReportingDescriptor => ({
    id: c.code,
    name: c.name,
    shortDescription: { text: c.description },
    fullDescription: { text: c.description },
    helpUri: docsUrl(c.code, options.env),
    help: { text: `${c.description} ${c.hint}`, markdown: `**${c.code} ${c.name}**: ${c.description}\n\n**Fix.** ${c.hint}` },
    defaultConfiguration: { level: c.severity },
  }));
  const baseUri = pathToFileURL(options.pathBase).href.replace(/\/?$/, "/");
  const results = sortDiagnostics(diagnostics).map((d) => {
    const result: Result = { ruleId: d.code, message: { text: "" } };
    const i = index.get(d.code);
    if (i !== undefined) result.ruleIndex = i;
    result.level = d.severity;
    result.message = { text: d.hint ? `${d.message}\nhint: ${d.hint}` : d.message };
    if (d.file !== undefined) {
      const rel = relativeToBase(d.file, options.pathBase, cwd);
      const artifactLocation = rel !== undefined ? { uri: encodeURI(rel), uriBaseId: "SRCROOT" } : { uri: pathToFileURL(isAbsolute(d.file) ? d.file : resolve(cwd, d.file)).href };
      const region: { startLine?: number; startColumn?: number; endLine?: number; endColumn?: number } = {};
      if (d.line !== undefined) {
        region.startLine = d.line;
        if (d.column !== undefined) region.startColumn = d.column;
        if (d.endLine !== undefined) region.endLine = d.endLine;
        if (d.endColumn !== undefined) region.endColumn = d.endColumn;
      }
      result.locations = [{ physicalLocation: Object.keys(region).length ? { artifactLocation, region } : { artifactLocation } }];
    }
    if (d.path !== undefined) result.properties = { modelPath: d.path };
    return result;
  });
  const invocation: Invocation = { executionSuccessful: true };
  if (options.notes?.length) invocation.toolExecutionNotifications = options.notes.map((text) => ({ level: "note", message: { text } }));
  const log: Log = {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: { driver: { name: "meshc", version: packageInfo().version, semanticVersion: packageInfo().version, rules } },
        originalUriBaseIds: { SRCROOT: { uri: baseUri } },
        invocations: [invocation],
        results,
      },
    ],
  };
  return JSON.stringify(log, null, 2) + "\n";
}
