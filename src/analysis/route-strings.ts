// Every string a route hands to Envoy as a path, header or query value (matches, header operations, rewrites,
// redirects): one walk for the regex and character checks. The walk allocates almost nothing; the phrase naming
// a string and its model path are built by `describe()` only when an analyzer reports it.
import type { HttpRouteIR, StringMatchIR } from "../ir/types.js";
import type { ModelPath } from "./context.js";
import { q } from "./format.js";

export interface RouteStringInfo {
  /** "path prefix match", "header \"x-id\" regex", "request header \"x-a\" value to set", … */
  field: string;
  path: ModelPath;
}

export interface RouteStringVisitor {
  /**
   * `regex`: the value is a regex (safe_regex). `pathKind`: set for path exact/prefix matches.
   * `describe(base)`: the string's phrase and path below `base` (the route's path).
   */
  (value: string, regex: boolean, pathKind: "exact" | "prefix" | undefined, describe: (base: ModelPath) => RouteStringInfo): void;
}

export function visitRouteStrings(r: HttpRouteIR, visit: RouteStringVisitor): void {
  const match = (m: StringMatchIR | { present: true }, label: () => string, path: ModelPath, isPath: boolean) => {
    if ("present" in m) return;
    const [key, value, regex] =
      "exact" in m ? (["exact", m.exact, false] as const) : "prefix" in m ? (["prefix", m.prefix, false] as const) : (["regex", m.regex, true] as const);
    const kind = key === "regex" ? "regex" : `${key} match`;
    visit(value, regex, isPath && key !== "regex" ? key : undefined, (base) => ({
      field: `${label()} ${kind}`,
      path: [...base, ...path, key],
    }));
  };
  const m = r.match;
  if (m.path) match(m.path, () => "path", ["match", "path"], true);
  m.headers.forEach((h, k) => match(h.match, () => `header ${q(h.name)}`, ["match", "headers", k, "match"], false));
  m.query.forEach((x, k) => match(x.match, () => `query parameter ${q(x.name)}`, ["match", "query", k, "match"], false));
  for (const side of ["requestHeaders", "responseHeaders"] as const) {
    const ops = r[side];
    const who = side === "requestHeaders" ? "request header" : "response header";
    for (const kind of ["add", "set"] as const) {
      ops[kind].forEach((h, k) => {
        visit(h.name, false, undefined, (base) => ({ field: `${who} name to ${kind}`, path: [...base, side, kind, k, "name"] }));
        visit(h.value, false, undefined, (base) => ({ field: `${who} ${q(h.name)} value to ${kind}`, path: [...base, side, kind, k, "value"] }));
      });
    }
    ops.remove.forEach((name, k) => visit(name, false, undefined, (base) => ({ field: `${who} name to remove`, path: [...base, side, "remove", k] })));
  }
  const a = r.action;
  if (a.kind === "forward" && a.rewrite) {
    const rw = a.rewrite;
    if (rw.prefix !== undefined) visit(rw.prefix, false, undefined, (base) => ({ field: "rewrite prefix", path: [...base, "action", "rewrite", "prefix"] }));
    if (rw.fullPath !== undefined) visit(rw.fullPath, false, undefined, (base) => ({ field: "rewrite path", path: [...base, "action", "rewrite", "fullPath"] }));
    if (rw.host !== undefined) visit(rw.host, false, undefined, (base) => ({ field: "rewrite host", path: [...base, "action", "rewrite", "host"] }));
  } else if (a.kind === "redirect") {
    if (a.host !== undefined) visit(a.host, false, undefined, (base) => ({ field: "redirect host", path: [...base, "action", "host"] }));
    if (a.path !== undefined) visit(a.path, false, undefined, (base) => ({ field: "redirect path", path: [...base, "action", "path"] }));
    if (a.prefix !== undefined) visit(a.prefix, false, undefined, (base) => ({ field: "redirect prefix", path: [...base, "action", "prefix"] }));
  }
}
