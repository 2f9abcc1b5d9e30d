// Envoy's HTTP routing, evaluated on one proxy's compiled resources: the outbound listener's connection manager
// (path handling), its RDS route configuration (virtual host by Host/:authority, then the first route whose
// match holds) and the matched route's action (clusters with their weights, redirect, direct response, timeout,
// retries, header operations, rewrites, per-route fault and rate limit). It reads only the canonical Envoy JSON
// of what meshc ships, never the IR, so it answers for the configuration Envoy receives and catches backend bugs.
// Regexes run on Google's RE2 (src/re2/engine.ts) with Envoy's full-match semantics. For every route it also
// records the first condition that did not hold, so "why not route X?" has an answer.
import type { Canonical } from "../backends/envoy/api/canonical.js";
import { normalizePath } from "../authz/evaluate.js";
import { re2FullMatch } from "../re2/engine.js";

export interface RouteRequest {
  /** Host/:authority as sent. */
  authority: string;
  method: string;
  /** Request target (may hold a query). */
  path: string;
  /** Lower-case names. */
  headers: Record<string, string>;
}

export interface RouteCheck {
  /** Route name as compiled (OR-alternatives share it). */
  name: string;
  /** Position in the virtual host. */
  index: number;
  matched: boolean;
  /** The first condition that did not hold, in words (absent when matched). */
  failed?: string;
  /** Clusters the route forwards to (empty for a redirect or direct response). */
  clusters: string[];
}

export interface WeightedCluster {
  cluster: string;
  weight: number;
  /** Share of requests in percent (weight over the total). */
  percent: number;
}

export interface RetryVerdict {
  retryOn: string[];
  numRetries: number;
  perTryTimeoutMs?: number;
  retriableStatusCodes: number[];
}

export interface HeaderChanges {
  add: { name: string; value: string }[];
  set: { name: string; value: string }[];
  remove: string[];
}

export interface FaultVerdict {
  abort?: { httpStatus?: number; grpcStatus?: number; percent: number };
  delay?: { ms: number; percent: number };
}

export interface RateLimitVerdict {
  maxTokens: number;
  tokensPerFill: number;
  fillIntervalMs: number;
}

export type RouteOutcome =
  | {
      kind: "forward";
      clusters: WeightedCluster[];
      /** Route timeout; null: disabled (0s). */
      timeoutMs: number | null;
      idleTimeoutMs?: number;
      retry?: RetryVerdict;
      /** The path the upstream receives (after prefix or regex rewrite), query kept. */
      upstreamPath: string;
      hostRewrite?: string;
      mirror?: { cluster: string; percent: number };
    }
  | { kind: "redirect"; status: number; location: string }
  | { kind: "direct"; status: number; body?: string }
  | { kind: "rejected"; status: 400; reason: string }
  | { kind: "no-virtual-host"; status: 404 }
  | { kind: "no-route"; status: 404 };

export interface RouteVerdict {
  routeConfig: string;
  virtualHost?: string;
  /** The path the routes were matched against (query dropped, normalized as the connection manager says). */
  matchPath?: string;
  /** Every route of the virtual host, in order, each with the first condition that failed (the first matched one decides). */
  checks: RouteCheck[];
  /** The matching route. */
  route?: { name: string; index: number };
  outcome: RouteOutcome;
  requestHeaders: HeaderChanges;
  responseHeaders: HeaderChanges;
  fault?: FaultVerdict;
  rateLimit?: RateLimitVerdict;
}

type Json = Canonical | Canonical[] | string | number | boolean | null | undefined;
export const obj = (v: Json | unknown): Canonical | undefined => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Canonical) : undefined);
export const arr = (v: Json | unknown): Canonical[] => (Array.isArray(v) ? (v as Canonical[]) : []);

/** google.protobuf.Duration in canonical JSON ({seconds: "1", nanos}) -> milliseconds. */
export function durationMs(v: Json | unknown): number | undefined {
  const d = obj(v);
  if (!d) return typeof v === "string" && /^\d+(\.\d+)?s$/.test(v) ? Math.round(parseFloat(v) * 1000) : undefined;
  return Number(d.seconds ?? 0) * 1000 + Math.round(Number(d.nanos ?? 0) / 1e6);
}

const u32 = (v: Json | unknown): number | undefined => {
  const o = obj(v);
  if (o) return o.value === undefined ? 0 : Number(o.value);
  return typeof v === "number" ? v : undefined;
};

/** envoy.type.v3.FractionalPercent -> percent. */
export function fractionPercent(v: Json | unknown): number {
  const f = obj(v);
  if (!f) return 0;
  const den = f.denominator === "TEN_THOUSAND" ? 10_000 : f.denominator === "MILLION" ? 1_000_000 : 100;
  return (Number(f.numerator ?? 0) / den) * 100;
}

/** Envoy's virtual host choice: exact domain, then the longest suffix wildcard, the longest prefix wildcard, then "*". */
export function selectVirtualHost(vhosts: Canonical[], authority: string): Canonical | undefined {
  const host = authority.toLowerCase();
  let best: { vh: Canonical; rank: number; len: number } | undefined;
  for (const vh of vhosts) {
    for (const raw of arr(vh.domains as Json) as unknown as string[]) {
      const d = String(raw).toLowerCase();
      let rank = -1;
      if (d === host) rank = 3;
      else if (d === "*") rank = 0;
      else if (d.startsWith("*") && host.endsWith(d.slice(1)) && host.length > d.length - 1) rank = 2;
      else if (d.endsWith("*") && host.startsWith(d.slice(0, -1)) && host.length > d.length - 1) rank = 1;
      if (rank < 0) continue;
      if (!best || rank > best.rank || (rank === best.rank && d.length > best.len)) best = { vh, rank, len: d.length };
    }
  }
  return best?.vh;
}

function describeString(m: Canonical): string {
  const ci = m.ignore_case === true ? " (any case)" : "";
  if (m.exact !== undefined) return `equals ${JSON.stringify(m.exact)}${ci}`;
  if (m.prefix !== undefined) return `starts with ${JSON.stringify(m.prefix)}${ci}`;
  if (m.suffix !== undefined) return `ends with ${JSON.stringify(m.suffix)}${ci}`;
  if (m.contains !== undefined) return `contains ${JSON.stringify(m.contains)}${ci}`;
  if (m.safe_regex !== undefined) return `matches the regex ${JSON.stringify(obj(m.safe_regex)?.regex)}`;
  return JSON.stringify(m);
}

export function stringMatches(m: Canonical, value: string): boolean {
  if (m.safe_regex !== undefined) return re2FullMatch(String(obj(m.safe_regex)!.regex), value);
  const ci = m.ignore_case === true;
  const v = ci ? value.toLowerCase() : value;
  const want = (k: string) => (ci ? String(m[k]).toLowerCase() : String(m[k]));
  if (m.exact !== undefined) return v === want("exact");
  if (m.prefix !== undefined) return v.startsWith(want("prefix"));
  if (m.suffix !== undefined) return v.endsWith(want("suffix"));
  if (m.contains !== undefined) return v.includes(want("contains"));
  throw new Error(`unsupported string matcher ${JSON.stringify(m)}`);
}

function headerValue(req: RouteRequest, name: string): string | undefined {
  const n = name.toLowerCase();
  if (n === ":method") return req.method;
  if (n === ":path") return req.path;
  if (n === ":authority" || n === "host") return req.authority;
  return req.headers[n];
}

/**
 * Envoy's HeaderMatcher: invert_match flips the result for a header that is there; a missing header never
 * satisfies a string matcher, inverted or not (checked against Envoy 1.40 by the route differential test), and
 * satisfies present_match: false, or present_match: true inverted.
 */
function headerCheck(h: Canonical, req: RouteRequest): string | undefined {
  const name = String(h.name);
  const v = headerValue(req, name);
  const invert = h.invert_match === true;
  let ok: boolean;
  let want: string;
  if (h.present_match !== undefined) {
    ok = (v !== undefined) === (h.present_match === true);
    want = h.present_match === true ? "is present" : "is absent";
  } else if (h.string_match !== undefined) {
    const m = obj(h.string_match)!;
    ok = v !== undefined && stringMatches(m, v);
    want = describeString(m);
  } else if (h.exact_match !== undefined) {
    ok = v === h.exact_match;
    want = `equals ${JSON.stringify(h.exact_match)}`;
  } else throw new Error(`unsupported header matcher ${JSON.stringify(h)}`);
  // Envoy: a missing header fails a string matcher whether or not it is inverted (only present_match is inverted).
  const holds = v === undefined && h.present_match === undefined ? false : ok !== invert;
  if (holds) return undefined;
  const got = v === undefined ? "it is absent" : `it is ${JSON.stringify(v)}`;
  const label = name === ":method" ? "method" : `header ${name}`;
  if (invert && v === undefined && h.present_match === undefined) return `${label} must be present and not satisfy: ${want}; it is absent`;
  return `${label} ${invert ? "must not satisfy" : "must satisfy"}: ${want}; ${got}`;
}

/** The raw (not decoded) query parameters, first value of each name, as Envoy's route matching reads them. */
export function queryParams(target: string): Map<string, string> {
  const out = new Map<string, string>();
  const q = target.indexOf("?");
  if (q < 0) return out;
  const query = target.slice(q + 1).split("#")[0]!;
  for (const part of query.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = eq < 0 ? part : part.slice(0, eq);
    if (!out.has(name)) out.set(name, eq < 0 ? "" : part.slice(eq + 1));
  }
  return out;
}

/** The first condition of `match` that `req` does not meet, or undefined when all hold (Envoy's order of checks). */
export function firstFailure(match: Canonical, req: RouteRequest, path: string): string | undefined {
  const cs = match.case_sensitive === undefined ? true : (obj(match.case_sensitive)?.value ?? match.case_sensitive) !== false;
  const fold = (s: string) => (cs ? s : s.toLowerCase());
  if (match.prefix !== undefined) {
    if (!fold(path).startsWith(fold(String(match.prefix)))) return `path must start with ${JSON.stringify(match.prefix)}; it is ${JSON.stringify(path)}`;
  } else if (match.path !== undefined) {
    if (fold(path) !== fold(String(match.path))) return `path must be ${JSON.stringify(match.path)}; it is ${JSON.stringify(path)}`;
  } else if (match.safe_regex !== undefined) {
    const re = String(obj(match.safe_regex)!.regex);
    if (!re2FullMatch(re, path)) return `path must match the regex ${JSON.stringify(re)}; it is ${JSON.stringify(path)}`;
  } else if (match.path_separated_prefix !== undefined) {
    const p = String(match.path_separated_prefix);
    if (!(fold(path) === fold(p) || fold(path).startsWith(fold(p) + "/"))) return `path must be ${JSON.stringify(p)} or under it; it is ${JSON.stringify(path)}`;
  } else throw new Error(`unsupported path specifier in ${JSON.stringify(match)}`);
  if (match.runtime_fraction !== undefined) throw new Error("runtime_fraction route matches are not evaluated");
  for (const h of arr(match.headers)) {
    const why = headerCheck(h, req);
    if (why) return why;
  }
  if (match.query_parameters !== undefined) {
    const params = queryParams(req.path);
    for (const q of arr(match.query_parameters)) {
      const name = String(q.name);
      const v = params.get(name);
      if (q.present_match === true) {
        if (v === undefined) return `query parameter ${name} must be present; it is absent`;
      } else if (q.string_match !== undefined) {
        const m = obj(q.string_match)!;
        if (v === undefined || !stringMatches(m, v)) return `query parameter ${name} must satisfy: ${describeString(m)}; ${v === undefined ? "it is absent" : `it is ${JSON.stringify(v)}`}`;
      }
    }
  }
  if (match.grpc !== undefined) {
    const ct = req.headers["content-type"] ?? "";
    if (!ct.startsWith("application/grpc")) return `must be a gRPC request (content-type application/grpc…); content-type is ${ct ? JSON.stringify(ct) : "absent"}`;
  }
  return undefined;
}

function headerOps(route: Canonical, dir: "request" | "response"): HeaderChanges {
  const out: HeaderChanges = { add: [], set: [], remove: [] };
  for (const o of arr(route[`${dir}_headers_to_add`])) {
    const h = obj(o.header)!;
    const entry = { name: String(h.key), value: String(h.value ?? "") };
    if (o.append_action === "OVERWRITE_IF_EXISTS_OR_ADD") out.set.push(entry);
    else out.add.push(entry);
  }
  out.remove = (arr(route[`${dir}_headers_to_remove`]) as unknown as string[]).map(String);
  return out;
}

function routeAction(route: Canonical, req: RouteRequest, path: string, match: Canonical): RouteOutcome {
  if (route.direct_response) {
    const d = obj(route.direct_response)!;
    const body = obj(d.body)?.inline_string;
    return { kind: "direct", status: Number(d.status), ...(body !== undefined ? { body: String(body) } : {}) };
  }
  const query = req.path.includes("?") ? req.path.slice(req.path.indexOf("?")) : "";
  if (route.redirect) {
    const r = obj(route.redirect)!;
    const codes: Record<string, number> = { MOVED_PERMANENTLY: 301, FOUND: 302, SEE_OTHER: 303, TEMPORARY_REDIRECT: 307, PERMANENT_REDIRECT: 308 };
    const scheme = r.scheme_redirect !== undefined ? String(r.scheme_redirect) : "http";
    const host = r.host_redirect !== undefined ? String(r.host_redirect) : req.authority;
    let p = path;
    if (r.path_redirect !== undefined) p = String(r.path_redirect);
    else if (r.prefix_rewrite !== undefined) p = rewritePrefix(path, match, String(r.prefix_rewrite));
    return { kind: "redirect", status: codes[String(r.response_code ?? "MOVED_PERMANENTLY")] ?? 301, location: `${scheme}://${host}${p}${r.path_redirect !== undefined && String(r.path_redirect).includes("?") ? "" : query}` };
  }
  const a = obj(route.route);
  if (!a) throw new Error(`route ${String(route.name)} has no action`);
  let clusters: WeightedCluster[];
  if (a.cluster !== undefined) clusters = [{ cluster: String(a.cluster), weight: 1, percent: 100 }];
  else {
    const list = arr(obj(a.weighted_clusters)?.clusters);
    const weights = list.map((c) => u32(c.weight) ?? 0);
    const total = weights.reduce((x, y) => x + y, 0) || 1;
    clusters = list.map((c, i) => ({ cluster: String(c.name), weight: weights[i]!, percent: Math.round((weights[i]! / total) * 1e6) / 1e4 }));
  }
  let upstreamPath = path;
  if (a.prefix_rewrite !== undefined) upstreamPath = rewritePrefix(path, match, String(a.prefix_rewrite));
  else if (a.regex_rewrite !== undefined) {
    const rr = obj(a.regex_rewrite)!;
    const re = String(obj(rr.pattern)?.regex);
    // meshc emits only whole-path replacement (^.*$); anything else is not evaluated.
    if (re !== "^.*$") throw new Error(`regex_rewrite ${JSON.stringify(re)} is not evaluated`);
    upstreamPath = String(rr.substitution);
  }
  const timeout = a.timeout === undefined ? 15_000 : durationMs(a.timeout)!;
  const out: RouteOutcome = { kind: "forward", clusters, timeoutMs: timeout === 0 ? null : timeout, upstreamPath: upstreamPath + query };
  const idle = durationMs(a.idle_timeout);
  if (idle !== undefined) out.idleTimeoutMs = idle;
  const rp = obj(a.retry_policy);
  if (rp) {
    const per = durationMs(rp.per_try_timeout);
    out.retry = {
      retryOn: String(rp.retry_on ?? "").split(",").filter(Boolean),
      numRetries: u32(rp.num_retries) ?? 1,
      retriableStatusCodes: (arr(rp.retriable_status_codes) as unknown as number[]).map(Number),
      ...(per !== undefined ? { perTryTimeoutMs: per } : {}),
    };
  }
  if (a.host_rewrite_literal !== undefined) out.hostRewrite = String(a.host_rewrite_literal);
  const mirror = arr(a.request_mirror_policies)[0];
  if (mirror) out.mirror = { cluster: String(mirror.cluster), percent: mirror.runtime_fraction ? fractionPercent(obj(mirror.runtime_fraction)!.default_value) : 100 };
  return out;
}

/** prefix_rewrite: the matched prefix (or the whole exact path) replaced. */
function rewritePrefix(path: string, match: Canonical, to: string): string {
  if (match.prefix !== undefined) return to + path.slice(String(match.prefix).length);
  if (match.path !== undefined) return to + path.slice(String(match.path).length);
  if (match.path_separated_prefix !== undefined) return to + path.slice(String(match.path_separated_prefix).length);
  return to;
}

const FAULT = "envoy.filters.http.fault";
const RATE = "envoy.filters.http.local_ratelimit";

function perFilter(route: Canonical): { fault?: FaultVerdict; rateLimit?: RateLimitVerdict } {
  const cfg = obj(route.typed_per_filter_config) ?? {};
  const out: { fault?: FaultVerdict; rateLimit?: RateLimitVerdict } = {};
  const f = obj(cfg[FAULT]);
  if (f) {
    const fault: FaultVerdict = {};
    const ab = obj(f.abort);
    if (ab) {
      fault.abort = { percent: fractionPercent(ab.percentage) };
      if (ab.http_status !== undefined) fault.abort.httpStatus = Number(ab.http_status);
      if (ab.grpc_status !== undefined) fault.abort.grpcStatus = Number(ab.grpc_status);
    }
    const de = obj(f.delay);
    if (de) fault.delay = { ms: durationMs(de.fixed_delay) ?? 0, percent: fractionPercent(de.percentage) };
    out.fault = fault;
  }
  const r = obj(cfg[RATE]);
  const tb = obj(r?.token_bucket);
  if (tb) out.rateLimit = { maxTokens: Number(tb.max_tokens), tokensPerFill: u32(tb.tokens_per_fill) ?? 1, fillIntervalMs: durationMs(tb.fill_interval) ?? 0 };
  return out;
}

/**
 * Routes `req` through a connection manager (canonical HCM, for its path handling) and a route configuration
 * (canonical RouteConfiguration), as Envoy's router would.
 */
export function evaluateRoute(hcm: Canonical, routeConfig: Canonical, req: RouteRequest): RouteVerdict {
  const none = (): HeaderChanges => ({ add: [], set: [], remove: [] });
  const base = { routeConfig: String(routeConfig.name ?? ""), checks: [] as RouteCheck[], requestHeaders: none(), responseHeaders: none() };
  const n = normalizePath(req.path, hcm);
  if (n.reject) return { ...base, outcome: { kind: "rejected", status: 400, reason: n.reject } };
  const path = n.path!;
  const vh = selectVirtualHost(arr(routeConfig.virtual_hosts), req.authority);
  if (!vh) return { ...base, matchPath: path, outcome: { kind: "no-virtual-host", status: 404 } };
  const routes = arr(vh.routes);
  const checks: RouteCheck[] = routes.map((r, i) => {
    const failed = firstFailure(obj(r.match) ?? {}, req, path);
    const a = obj(r.route);
    const clusters = a ? (a.cluster !== undefined ? [String(a.cluster)] : arr(obj(a.weighted_clusters)?.clusters).map((c) => String(c.name))) : [];
    return { name: String(r.name ?? `#${i}`), index: i, matched: failed === undefined, ...(failed !== undefined ? { failed } : {}), clusters };
  });
  const first = checks.find((c) => c.matched);
  if (first) {
    const i = first.index;
    const r = routes[i]!;
    const name = first.name;
    return {
      ...base,
      virtualHost: String(vh.name),
      matchPath: path,
      checks,
      route: { name, index: i },
      outcome: routeAction(r, req, path, obj(r.match) ?? {}),
      requestHeaders: headerOps(r, "request"),
      responseHeaders: headerOps(r, "response"),
      ...perFilter(r),
    };
  }
  return { ...base, virtualHost: String(vh.name), matchPath: path, checks, outcome: { kind: "no-route", status: 404 } };
}
