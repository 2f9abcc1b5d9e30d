// Every string a route hands to Envoy as a path, header or query value (matches, header operations, rewrites,
// redirects): one walk for the regex and character checks. The walk allocates almost nothing; the phrase naming
// a string and its model path are built by `describe()` only when an analyzer reports it.
import type { CorsIR, HttpRouteIR, ServiceIR, SourceLoc, StringMatchIR } from "../ir/types.js";
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

export interface CorsOriginRegex {
  value: string;
  /** "the CORS origin regex of service \"web\"", "... of route \"web-0\"". */
  where: string;
  path: ModelPath;
  source: SourceLoc | undefined;
}

/**
 * The regex origins of every CORS policy (mesh.cors() and each route's .cors()): Envoy compiles them with the same
 * RE2 as route matches (allow_origin_string_match safe_regex). A route with several matches is reported once.
 */
export function* corsOriginRegexes(services: readonly ServiceIR[], routeSource: (s: ServiceIR, r: HttpRouteIR) => SourceLoc | undefined): Generator<CorsOriginRegex> {
  const of = function* (c: CorsIR | undefined, where: string, base: ModelPath, source: SourceLoc | undefined) {
    if (!c) return;
    for (let k = 0; k < c.allowOrigins.length; k++) {
      const o = c.allowOrigins[k]!;
      if ("regex" in o) yield { value: o.regex, where: `the CORS origin regex of ${where}`, path: [...base, "cors", "allowOrigins", k, "regex"], source };
    }
  };
  for (const s of services) {
    yield* of(s.cors, `service ${q(s.name)}`, ["services", s.name], s.cors?.source ?? s.source);
    for (let i = 0; i < s.routes.length; i++) {
      const r = s.routes[i]!;
      if (r.alternative === undefined || r.alternative === 1) yield* of(r.cors, `route ${q(r.name)}`, ["services", s.name, "routes", i], r.cors?.source ?? routeSource(s, r));
    }
  }
}
