// The `meshc diff` report as plain data (what `--format json` prints): the blast radius first, then each resource
// change with its proxies, fields and, where a side was compiled from mesh.ts, the source line behind it.
import type { ResourceKind } from "../snapshot/types.js";
import { PUSH_ORDER } from "../snapshot/types.js";
import type { ChangeKind, Counts, DiffResult } from "./compare.js";
import type { LoadedSide } from "./sides.js";
import { sourceOf } from "./sources.js";
import type { SourceLoc } from "../ir/types.js";

export interface FieldEntry {
  path: string;
  op: "added" | "removed" | "changed" | "reordered";
  before?: unknown;
  after?: unknown;
  /** "mesh.ts:22:5" (head side, else base side), when a side was compiled from mesh.ts. */
  source?: string;
}

export interface ResourceEntry {
  type: ResourceKind;
  name: string;
  change: ChangeKind;
  proxies: string[];
  source?: string;
  fields: FieldEntry[];
}

export interface DiffReport {
  base: string;
  head: string;
  changed: boolean;
  blastRadius: {
    proxies: { base: number; head: number; changed: number; added: number; removed: number; names: string[] };
    /** Distinct resource changes (one shared by many proxies counts once), in total and per type. */
    resources: Counts;
    types: Partial<Record<ResourceKind, Counts>>;
    /** Per changed proxy: what changes in it, per type. */
    perProxy: { proxy: string; change: ChangeKind; types: Partial<Record<ResourceKind, Counts>> }[];
  };
  resources: ResourceEntry[];
}

export function buildReport(base: LoadedSide, head: LoadedSide, diff: DiffResult): DiffReport {
  const types: Partial<Record<ResourceKind, Counts>> = {};
  for (const r of diff.resources) (types[r.kind] ??= { added: 0, removed: 0, changed: 0 })[r.change]++;
  const show = (side: LoadedSide, loc: SourceLoc | undefined) => (loc && side.showSource ? `${side.showSource(loc.file)}:${loc.line}:${loc.column}` : undefined);
  const locate = (kind: ResourceKind, name: string, proxy: string, segments: Parameters<typeof sourceOf>[4], preferBase: boolean) => {
    const order = preferBase ? [base, head] : [head, base];
    for (const side of order) {
      if (!side.ir) continue;
      const s = show(side, sourceOf(side.ir, kind, name, proxy, segments));
      if (s) return s;
    }
    return undefined;
  };
  const resources = diff.resources.map((r): ResourceEntry => {
    const proxy = r.proxies[0]!;
    const entry: ResourceEntry = { type: r.kind, name: r.name, change: r.change, proxies: r.proxies, fields: [] };
    const src = locate(r.kind, r.name, proxy, [], r.change === "removed");
    if (src) entry.source = src;
    entry.fields = r.fields.map((f) => {
      const e: FieldEntry = { path: f.path, op: f.op };
      if (f.before !== undefined) e.before = f.before;
      if (f.after !== undefined) e.after = f.after;
      const fs = locate(r.kind, r.name, proxy, f.segments, f.op === "removed");
      if (fs) e.source = fs;
      return e;
    });
    return entry;
  });
  const orderedTypes = Object.fromEntries(PUSH_ORDER.filter((k) => types[k]).map((k) => [k, types[k]!]));
  return {
    base: base.label,
    head: head.label,
    changed: diff.resources.length > 0 || diff.proxies.length > 0,
    blastRadius: {
      proxies: {
        base: diff.proxyCount.base,
        head: diff.proxyCount.head,
        changed: diff.proxies.filter((p) => p.change === "changed").length,
        added: diff.proxies.filter((p) => p.change === "added").length,
        removed: diff.proxies.filter((p) => p.change === "removed").length,
        names: diff.proxies.map((p) => p.proxy),
      },
      resources: diff.totals,
      types: orderedTypes,
      perProxy: diff.proxies.map((p) => ({ proxy: p.proxy, change: p.change, types: p.kinds })),
    },
    resources,
  };
}
