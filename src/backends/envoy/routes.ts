// Routes: one virtual host per reachable HTTP upstream port, holding that upstream's routes in match order.
// Matches (path exact/prefix/regex, gRPC service/method, headers, query parameters, methods) and actions
// (weighted clusters, mirror, rewrites, redirect, direct response), header operations, retries, timeouts and
// hash policies for consistent-hash upstreams. Every cluster a route names is reported back as a ClusterRef so
// the caller's snapshot includes it.
import type {
  HashKeyIR,
  HeaderMatchIR,
  HeaderOpsIR,
  HttpRouteIR,
  PortIR,
  QueryMatchIR,
  RetryIR,
  RouteActionIR,
  RouteMatchIR,
  ServiceIR,
  StringMatchIR,
} from "../../ir/types.js";
import { pack } from "./api/codec.js";
import type { EnvoyIssue } from "./api/issues.js";
import { type ClusterRef, type Flavor, clusterRefName } from "./clusters.js";
import { routeFilterConfig } from "./filters.js";
import { corsFilterConfig } from "./cors.js";
import { backendPort, clusterPolicy, isHttpFamily, type MeshIndex } from "./model.js";
import { statPrefix, virtualHostName } from "./names.js";
import { duration, fractionalPercent, u32 } from "./values.js";
import type {
  HashPolicy,
  HeaderMatcher,
  HeaderValueOption,
  QueryParameterMatcher,
  RetryPolicy,
  Route,
  RouteAction,
  RouteMatch,
  StringMatcher,
  VirtualHost,
} from "./xds-types.js";

export interface VirtualHostBuild {
  vhost: VirtualHost;
  /** Clusters the routes send (or mirror) traffic to. */
  refs: ClusterRef[];
  issues: EnvoyIssue[];
}

/**
 * The virtual host for calls to `upstream` on `port`. `domains` is the caller's choice: Host/:authority names for
 * a sidecar, ["*"] for a proxyless client whose listener already names the target. `where` labels issues.
 */
export function buildVirtualHost(
  mesh: MeshIndex,
  upstream: ServiceIR,
  port: PortIR,
  domains: string[],
  flavor: Flavor,
  where: string,
): VirtualHostBuild {
  const refs: ClusterRef[] = [];
  const issues: EnvoyIssue[] = [];
  const name = virtualHostName(upstream.name, port.port);
  const path = `virtual_hosts[${JSON.stringify(name)}]`;
  // gRPC method matches only make sense on gRPC ports: on a service's plain HTTP port they would shadow nothing
  // useful and send gRPC over HTTP/1. A port left without routes gets the catch-all.
  // A route matching a port (match.port) applies to that port's virtual host only.
  const onPort = upstream.routes.filter((r) => r.match.port === undefined || r.match.port === port.name);
  const forPort = port.protocol === "grpc" ? onPort : onPort.filter((r) => !r.match.grpc);
  const irRoutes: HttpRouteIR[] = forPort.length ? forPort : [catchAll(upstream)];
  const routes: Route[] = [];
  irRoutes.forEach((r, i) => {
    const problem = (message: string) => issues.push({ resource: where, path: `${path}.routes[${i}]`, message: `route "${r.name}": ${message}` });
    const action = buildAction(mesh, r.action, upstream, port, flavor, refs, problem);
    if (!action) return;
    const route: Route = { name: r.name, match: routeMatch(r.match), ...action };
    addHeaderOps(route, r.requestHeaders, "request");
    addHeaderOps(route, r.responseHeaders, "response");
    const perFilter = routeFilterConfig(r, flavor, statPrefix("route", r.name));
    if (perFilter) route.typed_per_filter_config = perFilter;
    if (r.cors && flavor === "sidecar") route.typed_per_filter_config = { ...route.typed_per_filter_config, ...corsFilterConfig(r.cors) };
    routes.push(route);
  });
  const vhost: VirtualHost = { name, domains, routes };
  if (upstream.cors && flavor === "sidecar") vhost.typed_per_filter_config = corsFilterConfig(upstream.cors);
  return { vhost, refs, issues };
}

/** The implicit route of an upstream without routes: everything to the whole service, with its defaults. */
function catchAll(upstream: ServiceIR): HttpRouteIR {
  const empty = { add: [], set: [], remove: [] };
  return {
    name: `${upstream.name}-default`,
    match: { headers: [], query: [], methods: [] },
    action: { kind: "forward", backends: [{ service: upstream.name, weight: 100 }] },
    requestHeaders: empty,
    responseHeaders: empty,
  };
}

export function routeMatch(m: RouteMatchIR): RouteMatch {
  const out: RouteMatch = {};
  if (m.grpc) {
    // gRPC calls are POSTs to /<package.Service>/<Method>.
    if (m.grpc.method !== undefined) out.path = `/${m.grpc.service}/${m.grpc.method}`;
    else out.prefix = `/${m.grpc.service}/`;
  } else if (m.path && "exact" in m.path) out.path = m.path.exact;
  else if (m.path && "prefix" in m.path) out.prefix = m.path.prefix;
  else if (m.path && "regex" in m.path) out.safe_regex = { regex: m.path.regex };
  else out.prefix = "/";
  const headers = m.headers.map(headerMatcher);
  if (m.methods.length === 1) headers.push({ name: ":method", string_match: { exact: m.methods[0]! } });
  else if (m.methods.length > 1) headers.push({ name: ":method", string_match: { safe_regex: { regex: `^(?:${m.methods.join("|")})$` } } });
  if (headers.length) out.headers = headers;
  if (m.query.length) out.query_parameters = m.query.map(queryMatcher);
  if (m.grpc) out.grpc = {};
  return out;
}

function stringMatcher(s: StringMatchIR): StringMatcher {
  if ("exact" in s) return { exact: s.exact };
  if ("prefix" in s) return { prefix: s.prefix };
  return { safe_regex: { regex: s.regex } };
}

function headerMatcher(h: HeaderMatchIR): HeaderMatcher {
  const base: HeaderMatcher = "present" in h.match ? { name: h.name, present_match: true } : { name: h.name, string_match: stringMatcher(h.match) };
  return h.invert ? { ...base, invert_match: true } : base;
}

function queryMatcher(q: QueryMatchIR): QueryParameterMatcher {
  return "present" in q.match ? { name: q.name, present_match: true } : { name: q.name, string_match: stringMatcher(q.match) };
}

type ActionPart = Pick<Route, "route" | "redirect" | "direct_response">;

function buildAction(
  mesh: MeshIndex,
  a: RouteActionIR,
  upstream: ServiceIR,
  port: PortIR,
  flavor: Flavor,
  refs: ClusterRef[],
  problem: (m: string) => void,
): ActionPart | undefined {
  if (a.kind === "redirect") {
    const redirect: NonNullable<Route["redirect"]> = { response_code: REDIRECT_CODES[a.status] };
    if (a.scheme !== undefined) redirect.scheme_redirect = a.scheme;
    if (a.host !== undefined) redirect.host_redirect = a.host;
    if (a.path !== undefined) redirect.path_redirect = a.path;
    else if (a.prefix !== undefined) redirect.prefix_rewrite = a.prefix;
    return { redirect };
  }
  if (a.kind === "direct") {
    return { direct_response: { status: a.status, ...(a.body !== undefined && { body: { inline_string: a.body } }) } };
  }

  const clusterOf = (b: { service: string; subset?: string; port?: string }, what: string): string | undefined => {
    const svc = mesh.service(b.service);
    if (svc && b.port !== undefined) {
      // An explicit port (svc.port("https")): that port, if it speaks HTTP (analysis reports the rest).
      const named = svc.ports.find((x) => x.name === b.port);
      if (!named || !isHttpFamily(named)) {
        problem(`${what} "${b.service}" has no HTTP port "${b.port}"; skipped`);
        return undefined;
      }
      const ref: ClusterRef = b.subset !== undefined ? { service: svc, port: named, subset: b.subset } : { service: svc, port: named };
      refs.push(ref);
      return clusterRefName(ref);
    }
    const p = svc && backendPort(svc, port);
    if (!svc || !p) {
      problem(`${what} "${b.service}" ${svc ? `has no ${port.protocol === "tcp" ? "TCP" : "HTTP"} port` : "is not a service of this mesh"}; skipped`);
      return undefined;
    }
    const ref: ClusterRef = b.subset !== undefined ? { service: svc, port: p, subset: b.subset } : { service: svc, port: p };
    refs.push(ref);
    return clusterRefName(ref);
  };

  const backends = a.backends.flatMap((b) => {
    const name = clusterOf(b, "backend");
    return name ? [{ name, weight: b.weight }] : [];
  });
  if (backends.length === 0) {
    problem("no usable backend; route dropped");
    return undefined;
  }
  const route: RouteAction = {};
  if (backends.length === 1) route.cluster = backends[0]!.name;
  else {
    const weights = integerWeights(backends.map((b) => b.weight));
    route.weighted_clusters = { clusters: backends.map((b, i) => ({ name: b.name, weight: u32(weights[i]!) })) };
  }
  const timeoutMs = a.timeoutMs ?? upstream.policy.timeoutMs;
  if (timeoutMs !== undefined) {
    // gRPC ignores RouteAction.timeout and reads max_stream_duration instead (gRFC A31).
    if (flavor === "proxyless") route.max_stream_duration = { max_stream_duration: duration(timeoutMs) };
    else route.timeout = duration(timeoutMs);
  } else if (flavor === "sidecar") {
    // No timeout anywhere in the mesh means none, as in Istio: Envoy's own default (15s) would cut long streams.
    route.timeout = duration(0);
  }
  if (a.idleTimeoutMs !== undefined) route.idle_timeout = duration(a.idleTimeoutMs);
  const retry = a.retry ?? upstream.policy.retry;
  if (retry) route.retry_policy = retryPolicy(retry);
  if (a.mirror) {
    const name = clusterOf(a.mirror, "mirror target");
    if (name) route.request_mirror_policies = [{ cluster: name, runtime_fraction: { default_value: fractionalPercent(a.mirror.percent) } }];
  }
  if (a.rewrite?.prefix !== undefined) route.prefix_rewrite = a.rewrite.prefix;
  else if (a.rewrite?.fullPath !== undefined) {
    // Replaces the whole path; Envoy keeps the query string.
    route.regex_rewrite = { pattern: { regex: "^.*$" }, substitution: a.rewrite.fullPath };
  }
  if (a.rewrite?.host !== undefined) route.host_rewrite_literal = a.rewrite.host;
  // The hash keys of the first backend cluster that hashes (a subset may balance differently from its service).
  const hashing = [upstream.policy.loadBalancer, ...a.backends.map((b) => { const s = mesh.service(b.service); return s && clusterPolicy(s, b.subset).loadBalancer; })].find(
    (lb) => lb?.kind === "ring-hash" || lb?.kind === "maglev",
  );
  if (hashing && (hashing.kind === "ring-hash" || hashing.kind === "maglev")) route.hash_policy = hashing.hashOn.map(hashPolicy);
  return { route };
}

const REDIRECT_CODES = {
  301: "MOVED_PERMANENTLY",
  302: "FOUND",
  303: "SEE_OTHER",
  307: "TEMPORARY_REDIRECT",
  308: "PERMANENT_REDIRECT",
} as const;

/** Envoy weights are integers: whole percentages stay as they are, fractional ones become basis points. */
export function integerWeights(weights: number[]): number[] {
  if (weights.every((w) => Number.isInteger(w))) return weights;
  return weights.map((w) => Math.round(w * 100));
}

export function retryPolicy(r: RetryIR): RetryPolicy {
  // Envoy takes HTTP and gRPC conditions in one comma-separated list (x-envoy-retry-on + x-envoy-retry-grpc-on).
  const on = [...r.on, ...(r.statusCodes.length ? ["retriable-status-codes"] : []), ...r.grpcCodes];
  const out: RetryPolicy = { retry_on: [...new Set(on)].join(","), num_retries: u32(r.attempts) };
  if (r.perTryTimeoutMs !== undefined) out.per_try_timeout = duration(r.perTryTimeoutMs);
  if (r.statusCodes.length) out.retriable_status_codes = r.statusCodes;
  if (r.backoff) out.retry_back_off = { base_interval: duration(r.backoff.baseMs), max_interval: duration(r.backoff.maxMs) };
  if (r.otherHosts) {
    out.retry_host_predicate = [
      { name: "envoy.retry_host_predicates.previous_hosts", typed_config: pack("envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate", {}) },
    ];
  }
  if (r.hostSelectionAttempts !== undefined) out.host_selection_retry_max_attempts = r.hostSelectionAttempts;
  return out;
}

function hashPolicy(k: HashKeyIR): HashPolicy {
  switch (k.kind) {
    case "header":
      return { header: { header_name: k.name } };
    case "cookie":
      return { cookie: { name: k.name, ...(k.ttlMs !== undefined && { ttl: duration(k.ttlMs) }) } };
    case "source-ip":
      return { connection_properties: { source_ip: true } };
    case "query":
      return { query_parameter: { name: k.name } };
  }
}

function addHeaderOps(route: Route, ops: HeaderOpsIR, dir: "request" | "response"): void {
  const add: HeaderValueOption[] = [
    ...ops.add.map((h) => ({ header: { key: h.name, value: h.value }, append_action: "APPEND_IF_EXISTS_OR_ADD" as const })),
    ...ops.set.map((h) => ({ header: { key: h.name, value: h.value }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" as const })),
  ];
  if (dir === "request") {
    if (add.length) route.request_headers_to_add = add;
    if (ops.remove.length) route.request_headers_to_remove = ops.remove;
  } else {
    if (add.length) route.response_headers_to_add = add;
    if (ops.remove.length) route.response_headers_to_remove = ops.remove;
  }
}
