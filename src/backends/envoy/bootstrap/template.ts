// Handlebars templates -> text -> parsed YAML, with every failure turned into a located BootstrapIssue.
// Templates compile with noEscape (HTML escaping would mangle YAML) and strict (a misspelt variable is an error,
// not an empty string). Data passed in is pre-validated; the `json` helper prints a value as a JSON literal, which
// is also a valid YAML scalar, so even odd strings cannot break the document's structure.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Handlebars from "handlebars";
import YAML, { LineCounter, isMap, isNode, isScalar, isSeq, type Document } from "yaml";
import { packageInfo } from "../../../runtime/package-root.js";
import type { Json } from "../api/json.js";
import type { BootstrapIssue } from "./issues.js";

/** The template shipped with meshc (src/ is part of the package, so this path holds for tsx, dist/ and installs). */
export const BUILTIN_TEMPLATE_NAME = "envoy-bootstrap.yaml.hbs";
export function builtinTemplatePath(): string {
  return join(packageInfo().root, "src", "backends", "envoy", "bootstrap", BUILTIN_TEMPLATE_NAME);
}

export interface TemplateSource {
  /** Label used in messages: a file path, or "built-in template". */
  name: string;
  text: string;
}

export function readTemplate(path: string | undefined): TemplateSource | BootstrapIssue[] {
  const file = path ?? builtinTemplatePath();
  try {
    return { name: path ?? `built-in template (${BUILTIN_TEMPLATE_NAME})`, text: readFileSync(file, "utf8") };
  } catch (e) {
    return [{ kind: "option", source: "--template", path: "", message: `cannot read template ${file}: ${(e as Error).message}` }];
  }
}

/** Top-level names a bootstrap template may use (see BootstrapTemplateData in render.ts). */
const TEMPLATE_VARIABLES = "service, nodeId, locality, xds.host, xds.port, xds.clusterType, xds.dns, xds.servers, apiType, delta, adminPort, statsTags, histogramBuckets; helper: json";

const hb = Handlebars.create();
hb.registerHelper("json", (v: unknown) => JSON.stringify(v ?? null));

/** Renders `tpl` with `data`; Handlebars parse errors and unknown variables become template issues. */
export function renderTemplate(tpl: TemplateSource, data: object): { text: string } | BootstrapIssue[] {
  try {
    return { text: hb.compile(tpl.text, { noEscape: true, strict: true })(data) };
  } catch (e) {
    return [handlebarsIssue(tpl.name, e as Error & { lineNumber?: number; column?: number })];
  }
}

function handlebarsIssue(source: string, e: Error & { lineNumber?: number; column?: number }): BootstrapIssue {
  // Parse errors carry the line only in their text ("Parse error on line 5:\n<excerpt>\n<caret>\nExpecting …").
  const line = e.lineNumber ?? Number(/on line (\d+)/.exec(e.message)?.[1] ?? NaN);
  const missing = /^"([^"]+)" not defined in /.exec(e.message);
  const message = missing
    ? `unknown template variable "${missing[1]}" (the data holds: ${TEMPLATE_VARIABLES})`
    : e.message.replace(/^Parse error on line \d+:\n/, "parse error:\n").replace(/ - \d+:\d+$/, "");
  const issue: BootstrapIssue = { kind: "template", source, path: "", message, in: "template" };
  if (Number.isFinite(line)) issue.line = line;
  if (e.column !== undefined) issue.column = e.column + 1;
  return issue;
}

export interface ParsedYaml {
  value: Json;
  doc: Document;
  lines: LineCounter;
}

/** Parses rendered text (YAML, or JSON which is YAML too); syntax errors point into the rendered text. */
export function parseRendered(source: string, text: string): ParsedYaml | BootstrapIssue[] {
  const lines = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    return doc.errors.map((err) => {
      const pos = lines.linePos(err.pos[0]);
      return { kind: "template", source, path: "", message: `rendered output is not valid YAML: ${err.message.split("\n")[0]}`, line: pos.line, column: pos.col, in: "rendered" };
    });
  }
  const value = doc.toJS({ maxAliasCount: 100 }) as Json;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return [{ kind: "template", source, path: "", message: "rendered output is not a YAML/JSON mapping" }];
  }
  return { value, doc, lines };
}

/** Line/column in the rendered text of the deepest existing key or item on `path` (a codec issue path). */
export function locate(parsed: ParsedYaml, path: string): { line: number; column: number } | undefined {
  const segments: (string | number)[] = [];
  for (const m of path.matchAll(/\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|([A-Za-z_][A-Za-z0-9_]*)/g)) {
    segments.push(m[1] !== undefined ? Number(m[1]) : m[2] !== undefined ? (JSON.parse(m[2]) as string) : m[3]!);
  }
  let node: unknown = parsed.doc.contents;
  let at = isNode(node) ? node.range?.[0] : undefined;
  for (const seg of segments) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg);
      if (!pair) break;
      if (isNode(pair.key) && pair.key.range) at = pair.key.range[0];
      node = pair.value;
    } else if (isSeq(node) && typeof seg === "number" && node.items[seg]) {
      node = node.items[seg];
      if (isNode(node) && node.range) at = node.range[0];
    } else break;
  }
  if (at === undefined) return undefined;
  const pos = parsed.lines.linePos(at);
  return { line: pos.line, column: pos.col };
}
