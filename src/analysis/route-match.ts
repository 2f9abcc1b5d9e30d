// "Does every request that matches route B also match route A?" for the shadowed-route check. Conservative: it
// answers true only when the containment follows from the match fields themselves, never by guessing regexes
// (a regex covers another match only when it is literally the same pattern or a match-everything pattern).
import type { HeaderMatchIR, QueryMatchIR, RouteMatchIR, StringMatchIR } from "../ir/types.js";

/** True when `a` matches a superset of the requests `b` matches. */
export function matchCovers(a: RouteMatchIR, b: RouteMatchIR): boolean {
  if (a.grpc && !b.grpc) return false; // a gRPC match also requires a gRPC request
  // Caller-based routing: a route for some callers covers only routes for a subset of those callers.
  if (a.from && (!b.from || !b.from.every((c) => a.from!.includes(c)))) return false;
  // Gateway routes: a route for one listener host covers only routes for that host.
  if (a.host !== undefined && a.host !== b.host) return false;
  const bPaths = pathConstraints(b);
  for (const pa of pathConstraints(a)) {
    if (!isUniversalPath(pa) && !bPaths.some((pb) => stringCovers(pa, pb))) return false;
  }
  if (!a.headers.every((ha) => b.headers.some((hb) => headerImplies(hb, ha)))) return false;
  if (!a.query.every((qa) => b.query.some((qb) => queryImplies(qb, qa)))) return false;
  if (a.methods.length > 0) {
    const allowed = new Set(a.methods.map((m) => m.toUpperCase()));
    if (b.methods.length === 0 || !b.methods.every((m) => allowed.has(m.toUpperCase()))) return false;
  }
  return true;
}

/** A route with no constraint at all. */
export function isCatchAll(m: RouteMatchIR): boolean {
  return (
    (m.path === undefined || isUniversalPath(m.path)) &&
    m.grpc === undefined &&
    m.from === undefined &&
    m.host === undefined &&
    m.headers.length === 0 &&
    m.query.length === 0 &&
    m.methods.length === 0
  );
}

/** Path constraints, with a gRPC service/method turned into the path Envoy matches (/<service>/<method>). */
function pathConstraints(m: RouteMatchIR): StringMatchIR[] {
  const out: StringMatchIR[] = [];
  if (m.path) out.push(m.path);
  if (m.grpc) out.push(m.grpc.method ? { exact: `/${m.grpc.service}/${m.grpc.method}` } : { prefix: `/${m.grpc.service}/` });
  return out;
}

const MATCH_ALL = new Set([".*", "^.*$", "^.*", ".*$", "(.*)", "[\\s\\S]*"]);

function isUniversalPath(m: StringMatchIR): boolean {
  // Every request path starts with "/".
  return ("prefix" in m && (m.prefix === "" || m.prefix === "/")) || ("regex" in m && MATCH_ALL.has(m.regex));
}

/** Every string matched by `b` is matched by `a`. */
export function stringCovers(a: StringMatchIR, b: StringMatchIR): boolean {
  if ("prefix" in a) {
    if ("prefix" in b) return b.prefix.startsWith(a.prefix);
    if ("exact" in b) return b.exact.startsWith(a.prefix);
    return a.prefix === "";
  }
  if ("exact" in a) return "exact" in b && b.exact === a.exact;
  // Regexes are never run here (a user's backtracking-prone pattern must not stall the compiler): a regex covers
  // only itself, or everything when it is a match-all pattern.
  if (MATCH_ALL.has(a.regex)) return true;
  return "regex" in b && b.regex === a.regex;
}

/** Header constraint `b` (on the later route) implies constraint `a` (on the earlier one). */
function headerImplies(b: HeaderMatchIR, a: HeaderMatchIR): boolean {
  if (a.name.toLowerCase() !== b.name.toLowerCase()) return false;
  if (a.invert || b.invert) return a.invert === b.invert && sameMatch(a.match, b.match);
  return valueImplies(b.match, a.match);
}

function queryImplies(b: QueryMatchIR, a: QueryMatchIR): boolean {
  return a.name === b.name && valueImplies(b.match, a.match);
}

function valueImplies(b: StringMatchIR | { present: true }, a: StringMatchIR | { present: true }): boolean {
  if ("present" in a) return true; // any value match implies presence
  if ("present" in b) return false;
  return stringCovers(a, b);
}

function sameMatch(a: StringMatchIR | { present: true }, b: StringMatchIR | { present: true }): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
