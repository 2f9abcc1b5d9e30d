// Renders a `meshc diff` report: human (coloured on a TTY, never with NO_COLOR), json (the report, stable key order),
// markdown (for a pull-request comment or $GITHUB_STEP_SUMMARY). Each starts with the blast radius; the details are
// grouped by the set of proxies that see them, one line per changed field:
//   cluster outbound|9080||reviews: circuit_breakers.thresholds[0].max_requests 200 -> 100   (mesh.ts:22:3)
import { PUSH_ORDER, type ResourceKind } from "../snapshot/types.js";
import type { Counts } from "./compare.js";
import type { DiffReport, FieldEntry, ResourceEntry } from "./report.js";

export type DiffFormat = "human" | "json" | "markdown";
export const DIFF_FORMATS: readonly DiffFormat[] = ["human", "json", "markdown"];

export interface DiffRenderOptions {
  color?: boolean;
  /** Show at most this many resource changes in detail (human, markdown); the blast radius always covers all. */
  maxResources?: number;
}

export function renderDiff(report: DiffReport, format: DiffFormat, options: DiffRenderOptions = {}): string {
  if (format === "json") return JSON.stringify(report, null, 2) + "\n";
  if (format === "markdown") return renderMarkdown(report, options);
  return renderHuman(report, options);
}

const MARK = { added: "+", removed: "-", changed: "~" } as const;
const VALUE_WIDTH = 100;

/** A field value on one line: JSON, shortened in the middle when long. */
export function showValue(v: unknown): string {
  const s = v === undefined ? "(none)" : JSON.stringify(v);
  return s.length <= VALUE_WIDTH ? s : `${s.slice(0, VALUE_WIDTH - 21)}…${s.slice(-20)}`;
}

/** "circuit_breakers.thresholds[0].max_requests 200 -> 100", "+ retry_policy {…}", "- hash_policy […]". */
export function fieldText(f: FieldEntry): string {
  if (f.op === "added") return `${f.path} added ${showValue(f.after)}`;
  if (f.op === "removed") return `${f.path} removed (was ${showValue(f.before)})`;
  if (f.op === "reordered") return `${f.path} order ${showValue(f.before)} -> ${showValue(f.after)}`;
  return `${f.path} ${showValue(f.before)} -> ${showValue(f.after)}`;
}

function countsText(c: Counts): string {
  return `${c.changed} changed, ${c.added} added, ${c.removed} removed`;
}

function cellOf(c: Counts | undefined): string {
  if (!c) return "";
  return [c.changed ? `~${c.changed}` : "", c.added ? `+${c.added}` : "", c.removed ? `-${c.removed}` : ""].filter(Boolean).join(" ");
}

function typesIn(report: DiffReport): ResourceKind[] {
  return PUSH_ORDER.filter((k) => report.blastRadius.types[k] !== undefined);
}

/** Resource changes grouped by the proxies that see them, groups in order of their first resource. */
function byProxies(resources: readonly ResourceEntry[]): { proxies: string[]; resources: ResourceEntry[] }[] {
  const groups = new Map<string, { proxies: string[]; resources: ResourceEntry[] }>();
  for (const r of resources) {
    const key = r.proxies.join(",");
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { proxies: r.proxies, resources: [] }));
    g.resources.push(r);
  }
  return [...groups.values()].sort((a, b) => (a.proxies.join(",") < b.proxies.join(",") ? -1 : a.proxies.join(",") > b.proxies.join(",") ? 1 : 0));
}

function proxyList(names: readonly string[], max = 8): string {
  return names.length <= max ? names.join(", ") : `${names.slice(0, max).join(", ")} and ${names.length - max} more`;
}

function headline(report: DiffReport): string {
  const p = report.blastRadius.proxies;
  const total = Math.max(p.base, p.head);
  const parts = [`${p.changed} of ${total} prox${total === 1 ? "y" : "ies"} change`];
  if (p.added) parts.push(`${p.added} added`);
  if (p.removed) parts.push(`${p.removed} removed`);
  return `${parts.join(", ")}; resources: ${countsText(report.blastRadius.resources)}`;
}

// ------------------------------------------------------------------------------------------------------ human

function renderHuman(report: DiffReport, options: DiffRenderOptions): string {
  const color = options.color === true;
  const paint = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const tint = { added: "32", removed: "31", changed: "33" } as const;
  const out: string[] = [paint("1", `meshc diff ${report.base} -> ${report.head}`), ""];
  if (!report.changed) return [...out, "No changes: every proxy receives the same configuration.", ""].join("\n");

  out.push(`${paint("1", "Blast radius:")} ${headline(report)}`);
  const kinds = typesIn(report);
  const rows = report.blastRadius.perProxy.map((p) => [p.proxy + (p.change === "changed" ? "" : ` (${p.change})`), ...kinds.map((k) => cellOf(p.types[k]))]);
  const header = ["proxy", ...kinds];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => "  " + cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  out.push(paint("2", line(header)));
  for (const r of rows) out.push(line(r));
  out.push("");

  let shown = 0;
  const max = options.maxResources ?? Infinity;
  for (const g of byProxies(report.resources)) {
    if (shown >= max) break;
    out.push(paint("1", `${proxyList(g.proxies)} (${g.proxies.length} prox${g.proxies.length === 1 ? "y" : "ies"}):`));
    for (const r of g.resources) {
      if (shown++ >= max) break;
      const at = (s: string | undefined) => (s ? "  " + paint("36", s) : "");
      const head = `${r.type} ${r.name}`;
      if (r.change !== "changed") {
        out.push(`  ${paint(tint[r.change], `${MARK[r.change]} ${head} ${r.change}`)}${at(r.source)}`);
        continue;
      }
      for (const f of r.fields) out.push(`  ${paint(tint.changed, MARK.changed)} ${head}: ${fieldText(f)}${at(f.source ?? r.source)}`);
      if (r.fields.length === 0) out.push(`  ${paint(tint.changed, MARK.changed)} ${head}: changed${at(r.source)}`);
    }
    out.push("");
  }
  if (report.resources.length > max) out.push(`… ${report.resources.length - max} more resource changes not shown (--max-resources)`, "");
  return out.join("\n");
}

// --------------------------------------------------------------------------------------------------- markdown

// Backslashes are doubled even inside code spans: GFM splits a table row at a pipe after an even run of backslashes,
// so only doubling keeps a value's own `\|` from ending its cell (and the rest rendering as markdown).
const escapeCell = (s: string) => s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\n/g, " ");
/**
 * Inline code inside a table cell: pipes escaped, and a fence longer than the value's longest run of backticks, so
 * no value (a direct response body, a header) can close its span early and have the rest rendered as markdown.
 */
const code = (s: string) => {
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  const pad = longest > 0 ? " " : "";
  return `${fence}${pad}${escapeCell(s)}${pad}${fence}`;
};

function renderMarkdown(report: DiffReport, options: DiffRenderOptions): string {
  const out: string[] = [`### meshc diff ${code(report.base)} → ${code(report.head)}`, ""];
  if (!report.changed) return [...out, "No changes: every proxy receives the same configuration.", ""].join("\n");
  out.push(`**Blast radius:** ${headline(report)}.`, "");
  const kinds = typesIn(report);
  out.push(`| proxy | ${kinds.join(" | ")} |`, `|---|${kinds.map(() => "---").join("|")}|`);
  for (const p of report.blastRadius.perProxy) {
    out.push(`| ${code(p.proxy)}${p.change === "changed" ? "" : ` (${p.change})`} | ${kinds.map((k) => cellOf(p.types[k])).join(" | ")} |`);
  }
  out.push("");
  const max = options.maxResources ?? 200;
  let shown = 0;
  for (const g of byProxies(report.resources)) {
    if (shown >= max) break;
    out.push(`#### ${escapeCell(proxyList(g.proxies))} (${g.proxies.length} prox${g.proxies.length === 1 ? "y" : "ies"})`, "");
    out.push("| | resource | field | before | after | source |", "|---|---|---|---|---|---|");
    for (const r of g.resources) {
      if (shown++ >= max) break;
      const res = `${r.type} ${code(r.name)}`;
      if (r.change !== "changed" || r.fields.length === 0) {
        out.push(`| ${MARK[r.change]} | ${res} | *${r.change}* | | | ${r.source ? code(r.source) : ""} |`);
        continue;
      }
      for (const f of r.fields) {
        const before = f.op === "added" ? "" : code(showValue(f.before));
        const after = f.op === "removed" ? "" : code(showValue(f.after));
        const src = f.source ?? r.source;
        out.push(`| ~ | ${res} | ${code(f.path)}${f.op === "changed" ? "" : ` *${f.op}*`} | ${before} | ${after} | ${src ? code(src) : ""} |`);
      }
    }
    out.push("");
  }
  if (report.resources.length > max) out.push(`*… ${report.resources.length - max} more resource changes not shown (\`--max-resources\`).*`, "");
  return out.join("\n");
}
