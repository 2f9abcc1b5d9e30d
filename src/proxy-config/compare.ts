// `meshc proxy-config --envoy <admin> --compare`: where a live Envoy differs from what the server intends for its
// service. Per kind: resources only the server has (not applied: NACKed, warming, or not sent yet), resources only
// the Envoy has (left over, or from elsewhere), and for resources on both sides the fields that differ (microdiff
// over Envoy's JSON, paths printed like `route.timeout`). Endpoints are compared by their address, weight and
// priority: Envoy's dump rebuilds them from its host set, adding health and defaults. Secrets: names and versions.
import { printable } from "../cli/printable.js";
import diff from "microdiff";
import type { ResourceKind } from "../snapshot/types.js";
import { KINDS, type Json, type ProxyResources } from "./resources.js";
import { rows } from "./tables.js";

export interface KindDifference {
  kind: ResourceKind;
  onlyServer: string[];
  onlyEnvoy: string[];
  changed: { name: string; fields: string[] }[];
  /** The version the Envoy runs against the one the server serves (SotW version_info, the same for every resource). */
  versions: { server?: string; envoy?: string };
}

/** At most this many field paths per resource (a resource can differ everywhere). */
const MAX_FIELDS = 20;

function sortedJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedJson);
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortedJson((v as Json)[k])]));
  return v;
}

function fieldDiffs(server: Json, envoy: Json): string[] {
  const d = diff(sortedJson(server) as Json, sortedJson(envoy) as Json);
  const out = d.slice(0, MAX_FIELDS).map((c) => {
    const path = c.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "");
    if (c.type === "CREATE") return `${path}: only in Envoy (${JSON.stringify(c.value)})`;
    if (c.type === "REMOVE") return `${path}: ${JSON.stringify(c.oldValue)} not in Envoy`;
    return `${path}: server ${JSON.stringify(c.oldValue)}, Envoy ${JSON.stringify(c.value)}`;
  });
  if (d.length > MAX_FIELDS) out.push(`… ${d.length - MAX_FIELDS} more`);
  return out;
}

export function compareResources(server: ProxyResources, envoy: ProxyResources, kinds: ResourceKind[] = KINDS): KindDifference[] {
  return kinds.map((kind) => {
    const s = new Map(server[kind].map((r) => [r.name, r]));
    const e = new Map(envoy[kind].map((r) => [r.name, r]));
    const changed: KindDifference["changed"] = [];
    for (const [name, sr] of s) {
      const er = e.get(name);
      if (!er) continue;
      let fields: string[];
      if (kind === "endpoint") {
        const key = (res: ProxyResources) => rows("endpoint", { ...res, endpoint: res.endpoint.filter((r) => r.name === name) }).map((row) => `${row[1]} priority ${row[3]} weight ${row[4]}`).sort();
        const a = key(server);
        const b = key(envoy);
        fields = [...a.filter((x) => !b.includes(x)).map((x) => `${x}: not in Envoy`), ...b.filter((x) => !a.includes(x)).map((x) => `${x}: only in Envoy`)];
      } else if (kind === "secret") {
        // SotW clients report the type's version, Delta clients the secret's own: either matches.
        fields = er.version !== undefined && (er.version === sr.version || er.version === sr.hash) ? [] : [`version: server ${sr.version ?? "-"}, Envoy ${er.version ?? "-"}`];
      } else {
        fields = fieldDiffs(sr.body, er.body);
      }
      if (fields.length) changed.push({ name, fields });
    }
    const version = (list: { version?: string }[]) => list.find((r) => r.version !== undefined)?.version;
    const sv = version(server[kind]);
    const ev = version(envoy[kind]);
    return {
      kind,
      onlyServer: [...s.keys()].filter((n) => !e.has(n)),
      onlyEnvoy: [...e.keys()].filter((n) => !s.has(n)),
      changed,
      versions: { ...(sv !== undefined && { server: sv }), ...(ev !== undefined && { envoy: ev }) },
    };
  });
}

export function hasDifferences(d: KindDifference[]): boolean {
  return d.some((k) => k.onlyServer.length || k.onlyEnvoy.length || k.changed.length);
}

export function renderComparison(service: string, envoyUrl: string, d: KindDifference[]): string {
  const lines: string[] = [];
  for (const k of d) {
    const same = !k.onlyServer.length && !k.onlyEnvoy.length && !k.changed.length;
    const v = k.versions.server || k.versions.envoy ? ` (server ${k.versions.server ?? "-"}, Envoy ${k.versions.envoy ?? "-"})` : "";
    lines.push(`${k.kind}s: ${same ? "same" : "DIFFERENT"}${v}`);
    for (const n of k.onlyServer) lines.push(`  - ${n}: served, not in the Envoy`);
    for (const n of k.onlyEnvoy) lines.push(`  + ${n}: in the Envoy, not served`);
    for (const c of k.changed) {
      lines.push(`  ~ ${c.name}:`);
      for (const f of c.fields) lines.push(`      ${f}`);
    }
  }
  const verdict = hasDifferences(d) ? `the Envoy at ${envoyUrl} differs from what the server serves ${service}` : `the Envoy at ${envoyUrl} runs what the server serves ${service}`;
  // Names and values come from a live Envoy's config dump: each line printable (src/cli/printable.ts).
  return `${lines.map(printable).join("\n")}\n\n${printable(verdict)}\n`;
}
