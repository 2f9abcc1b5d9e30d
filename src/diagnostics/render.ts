// Renderers for one list of diagnostics (the data), in the formats `meshc check --format` offers (sarif: sarif.ts):
//   human   istioctl/clang-like: `error[MESH0101] mesh.ts:22:5: message`, the source line with a caret, `hint:`,
//           and a closing summary ("2 errors, 1 warning" or "✔ No problems found");
//   json    an array of diagnostics with a fixed key order (stable bytes for golden files and tools);
//   github  GitHub Actions workflow commands (`::error file=…,line=…,col=…,title=MESH0101::message`), escaped the
//           way actions/toolkit's packages/core/src/command.ts does.
// And the exit code: 1 when there is an error, or a warning under --strict; otherwise 0.
import { readFileSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { relativeToBase } from "./ci.js";
import { codeFrame } from "./code-frame.js";
import { renderSarif } from "./sarif.js";
import { sortDiagnostics } from "./sort.js";
import type { Diagnostic } from "./types.js";

export type OutputFormat = "human" | "json" | "github" | "sarif";
export const OUTPUT_FORMATS: readonly OutputFormat[] = ["human", "json", "github", "sarif"];

export interface RenderOptions {
  /** ANSI colours (human only). Default: shouldUseColor(). */
  color?: boolean;
  /**
   * Directory relative file names are read from for code frames; human and github output also show absolute files
   * under it relative to it (mesh.ts:3:5, not /home/…/mesh.ts:3:5). Default: process.cwd().
   */
  cwd?: string;
  /** Source reader for code frames; undefined for a missing file. Default: read from disk. */
  readSource?: (path: string) => string | undefined;
  /** github and sarif: name files relative to this folder (the repository root, see ci.ts) instead of cwd. */
  pathBase?: string;
  /** Add each code's documentation link (human: a `docs:` line; github: a message line; json: a "docs" key). */
  docs?: (code: string) => string;
  /** Notes that are not findings (e.g. that semantic checks did not run): human and github print them, sarif records them. */
  notes?: string[];
}

export function render(diagnostics: readonly Diagnostic[], format: OutputFormat, options: RenderOptions = {}): string {
  if (format === "json") return renderJson(diagnostics, options);
  if (format === "github") return renderGithub(diagnostics, options);
  if (format === "sarif") return renderSarif(diagnostics, { ...options, pathBase: options.pathBase ?? options.cwd ?? process.cwd() });
  return renderHuman(diagnostics, options);
}

/** 1 if any error, or any warning when strict; else 0. */
export function exitCodeFor(diagnostics: readonly Diagnostic[], options: { strict?: boolean } = {}): 0 | 1 {
  const failing = diagnostics.some((d) => d.severity === "error" || (options.strict === true && d.severity === "warning"));
  return failing ? 1 : 0;
}

/** Colour only on a TTY, never with NO_COLOR (any value, https://no-color.org) or TERM=dumb. */
export function shouldUseColor(
  stream: { isTTY?: boolean } = process.stdout,
  env: Record<string, string | undefined> = process.env,
): boolean {
  return stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== "dumb";
}

// ---------------------------------------------------------------------------------------------------- human

const ANSI = {
  bold: "\x1b[1m",
  dim: "\x1b[2m",
  red: "\x1b[31m",
  green: "\x1b[32m",
  yellow: "\x1b[33m",
  cyan: "\x1b[36m",
  reset: "\x1b[0m",
} as const;

type Style = (keyof typeof ANSI)[];

export function renderHuman(diagnostics: readonly Diagnostic[], options: RenderOptions = {}): string {
  const color = options.color ?? shouldUseColor();
  const paint = (styles: Style, s: string) => (color ? styles.map((k) => ANSI[k]).join("") + s + ANSI.reset : s);
  const read = sourceReader(options);
  const cwd = options.cwd ?? process.cwd();
  const blocks = sortDiagnostics(diagnostics).map((d) => {
    const tint: keyof typeof ANSI = d.severity === "error" ? "red" : "yellow";
    const lines = [`${paint(["bold", tint], `${d.severity}[${d.code}]`)} ${paint(["bold"], location(d, cwd))}${d.message}`];
    if (d.file !== undefined && d.line !== undefined) {
      const text = read(d.file);
      const frame =
        text === undefined
          ? undefined
          : codeFrame(text, d.line, d.column ?? 1, d.endLine === undefined || d.endLine === d.line ? d.endColumn : undefined, {
              gutter: (s) => paint(["dim"], s),
              caret: (s) => paint(["bold", tint], s),
            });
      if (frame) lines.push(frame);
    }
    if (d.hint) lines.push(`  ${paint(["cyan"], "hint:")} ${d.hint}`);
    if (options.docs) lines.push(`  ${paint(["cyan"], "docs:")} ${options.docs(d.code)}`);
    return lines.join("\n");
  });
  const total = summary(diagnostics);
  const closing = diagnostics.length === 0 ? paint(["green"], total) : paint(["bold"], total);
  const notes = (options.notes ?? []).map((n) => `${paint(["bold", "cyan"], "note:")} ${n}`);
  return [...blocks, ...notes, closing].join("\n\n") + "\n";
}

/** "2 errors, 1 warning", "1 error", "3 warnings", or "✔ No problems found". */
export function summary(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  if (errors === 0 && warnings === 0) return "✔ No problems found";
  const parts: string[] = [];
  if (errors > 0) parts.push(`${errors} ${errors === 1 ? "error" : "errors"}`);
  if (warnings > 0) parts.push(`${warnings} ${warnings === 1 ? "warning" : "warnings"}`);
  return parts.join(", ");
}

/** "mesh.ts:22:5: ", "mesh.ts: ", or "" without a file. */
function location(d: Diagnostic, cwd: string): string {
  if (d.file === undefined) return "";
  let s = displayPath(d.file, cwd);
  if (d.line !== undefined) {
    s += `:${d.line}`;
    if (d.column !== undefined) s += `:${d.column}`;
  }
  return `${s}: `;
}

/** An absolute path under `cwd` relative to it (with "/" separators); anything else unchanged. */
export function displayPath(file: string, cwd: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(cwd, file);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return file;
  return rel.split(sep).join("/");
}

function sourceReader(options: RenderOptions): (file: string) => string | undefined {
  const cache = new Map<string, string | undefined>();
  const cwd = options.cwd ?? process.cwd();
  const read =
    options.readSource ??
    ((path: string) => {
      try {
        return readFileSync(path, "utf8");
      } catch {
        return undefined; // a missing or unreadable file just has no code frame
      }
    });
  return (file) => {
    const path = isAbsolute(file) ? file : resolve(cwd, file);
    if (!cache.has(path)) cache.set(path, read(path));
    return cache.get(path);
  };
}

// ----------------------------------------------------------------------------------------------------- json

const JSON_KEYS = ["code", "severity", "message", "file", "line", "column", "endLine", "endColumn", "path", "hint"] as const;

/** Pretty JSON array, keys in JSON_KEYS order (then "docs" when asked for), absent fields omitted, sorted, trailing newline. */
export function renderJson(diagnostics: readonly Diagnostic[], options: Pick<RenderOptions, "docs"> = {}): string {
  const rows = sortDiagnostics(diagnostics).map((d) => {
    const row: Record<string, unknown> = {};
    for (const k of JSON_KEYS) if (d[k] !== undefined) row[k] = d[k];
    if (options.docs) row.docs = options.docs(d.code);
    return row;
  });
  return JSON.stringify(rows, null, 2) + "\n";
}

// --------------------------------------------------------------------------------------------------- github

/** Workflow command data: %, CR, LF escaped (actions/toolkit `escapeData`). */
export function escapeData(s: string): string {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** Workflow command property values: escapeData plus ":" and "," (actions/toolkit `escapeProperty`). */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/** One `::error …::…` / `::warning …::…` line per diagnostic; the hint rides along as a second message line. */
export function renderGithub(diagnostics: readonly Diagnostic[], options: Pick<RenderOptions, "cwd" | "pathBase" | "docs" | "notes"> = {}): string {
  const cwd = options.cwd ?? process.cwd();
  const fileOf = (file: string) =>
    options.pathBase !== undefined ? (relativeToBase(file, options.pathBase, cwd) ?? displayPath(file, cwd)) : displayPath(file, cwd);
  const notes = (options.notes ?? []).map((n) => `::notice title=meshc::${escapeData(n)}\n`).join("");
  return notes + sortDiagnostics(diagnostics)
    .map((d) => {
      const props: [string, string | number | undefined][] = [
        ["file", d.file === undefined ? undefined : fileOf(d.file)],
        ["line", d.line],
        ["col", d.column],
        ["endLine", d.endLine],
        ["endColumn", d.endColumn],
        ["title", d.code],
      ];
      const list = props
        .filter((p): p is [string, string | number] => p[1] !== undefined)
        .map(([k, v]) => `${k}=${escapeProperty(String(v))}`)
        .join(",");
      let message = d.hint ? `${d.message}\nhint: ${d.hint}` : d.message;
      if (options.docs) message += `\ndocs: ${options.docs(d.code)}`;
      return `::${d.severity} ${list}::${escapeData(message)}\n`;
    })
    .join("");
}
