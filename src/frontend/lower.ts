// Stage 4: lower a validated model to the IR, mechanically: references become names, durations milliseconds,
// defaults are applied and lists sorted as src/ir/types.ts prescribes. Nothing is dropped or deduplicated (a
// duplicate service stays duplicated, a dangling reference keeps its name, weights stay as given): analysis judges.
// The only diagnostics here are for what the IR cannot represent (MESH0004, MESH0005).
import type {
  ActionModel,
  BackendModel,
  DiscoveryModel,
  EndpointModel,
  MeshModel,
  PolicyModel,
  RegistryModel,
  RouteModel,
  ServiceModel,
} from "../dsl/model.js";
import type { SourceSite } from "../dsl/site.js";
import { FIELD_SITES } from "../dsl/brand.js";
import type { HashOn, HeaderOps, LoadBalancerOptions, MatchOptions, PolicyOptions, RateLimitOptions, RetryOptions } from "../dsl/types.js";
import type { Diagnostic } from "../diagnostics/types.js";
import { instanceSidecarIR } from "./instance-sidecar.js";
import type {
  BackendRefIR,
  CorsIR,
  DiscoveryIR,
  EndpointIR,
  HashKeyIR,
  HeaderMatchIR,
  HeaderOpsIR,
  HttpRouteIR,
  InstancesIR,
  LoadBalancerIR,
  MeshIR,
  MeshMtlsIR,
  MtlsMode,
  QueryMatchIR,
  RateLimitIR,
  RegistryRefIR,
  RetryIR,
  RouteActionIR,
  RouteMatchIR,
  ServiceIR,
  SidecarIR,
  SourceLoc,
  StringMatchIR,
  TcpRouteIR,
  UpstreamPolicyIR,
} from "../ir/types.js";
import { codes } from "./codes.js";
import { MAX_DURATION_MS, ms } from "./duration.js";
import { at, makeLocator, siteOf, sourceLoc as toSourceLoc, type Locate } from "./sites.js";
import { lowerPatches } from "./lower-patch.js";
import { telemetryIR } from "./telemetry-lower.js";
import { lowerAuthorization } from "./lower-authz.js";

/** Defaults applied by lowering (documented in docs/dsl.md). */
export const DEFAULTS = {
  connectTimeout: "1s",
  inboundAddress: "0.0.0.0",
  outboundPort: 15001,
  adminPort: 15000,
  retryOn: ["5xx", "reset", "connect-failure"],
  healthCheck: { interval: "10s", timeout: "1s", healthy: 2, unhealthy: 3 },
  /** No mTLS unless mesh.ts asks for it: see docs/dsl.md "Mutual TLS" for why the default is not "strict". */
  mtls: "off",
  certificates: { leafLifetime: "24h", rotateAt: 50, keyAlgorithm: "ecdsa-p256" },
  redirectStatus: 301,
  faultPercent: 100,
} as const;

/** Set by lower() for the duration of a call: maps captured sites to the user's files. */
let locate: Locate = makeLocator();
const sourceLoc = (site: SourceSite | undefined, baseDir: string) => toSourceLoc(locate(site), baseDir);
const here = (value: unknown) => locate(siteOf(value));

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Copies `obj` without its undefined properties. */
/** `obj` (always a fresh literal here) without its undefined fields; itself when it has none (issue 12: no copy). */
function compact<T extends object>(obj: T): T {
  const rec = obj as Record<string, unknown>;
  let any = false;
  for (const k in rec) {
    if (rec[k] === undefined) {
      any = true;
      break;
    }
  }
  if (!any) return obj;
  const out = {} as Record<string, unknown>;
  for (const k in rec) if (rec[k] !== undefined) out[k] = rec[k];
  return out as T;
}

const optMs = (d: string | undefined) => (d === undefined ? undefined : ms(d));

function sortedRecord(r: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(r ?? {}).sort(byString)) out[k] = r![k]!;
  return out;
}

export function retryIR(r: RetryOptions | undefined): RetryIR | undefined {
  if (!r) return undefined;
  const explicitCodes = (r.statusCodes?.length ?? 0) > 0 || (r.grpcCodes?.length ?? 0) > 0;
  return compact({
    attempts: r.attempts,
    perTryTimeoutMs: optMs(r.perTry),
    on: [...(r.on ?? (explicitCodes ? [] : DEFAULTS.retryOn))],
    statusCodes: [...(r.statusCodes ?? [])],
    grpcCodes: [...(r.grpcCodes ?? [])],
    backoff: r.backoff ? { baseMs: ms(r.backoff.base), maxMs: r.backoff.max ? ms(r.backoff.max) : Math.min(ms(r.backoff.base) * 10, MAX_DURATION_MS) } : undefined,
    otherHosts: r.otherHosts || undefined,
    hostSelectionAttempts: r.hostSelectionAttempts,
  });
}

export function rateLimitIR(r: RateLimitOptions | undefined): RateLimitIR | undefined {
  return r ? { maxTokens: r.burst ?? r.tokens, tokensPerFill: r.tokens, fillIntervalMs: ms(r.per) } : undefined;
}

function hashKeyIR(h: HashOn): HashKeyIR {
  if ("header" in h) return { kind: "header", name: h.header };
  if ("cookie" in h) return compact({ kind: "cookie" as const, name: h.cookie, ttlMs: optMs(h.ttl) });
  if ("query" in h) return { kind: "query", name: h.query };
  return { kind: "source-ip" };
}

function loadBalancerIR(lb: LoadBalancerOptions | undefined): LoadBalancerIR {
  if (lb === undefined) return { kind: "round-robin" };
  if (typeof lb === "string") return { kind: lb };
  const [kind, spec] = "ringHash" in lb ? (["ring-hash", lb.ringHash] as const) : (["maglev", lb.maglev] as const);
  const keys = Array.isArray(spec.hashOn) ? (spec.hashOn as readonly HashOn[]) : [spec.hashOn as HashOn];
  return { kind, hashOn: keys.map(hashKeyIR) };
}

function policyIR(p: PolicyOptions, source: SourceSite | undefined, baseDir: string): UpstreamPolicyIR {
  const cb = p.circuitBreaker;
  const od = p.outlierDetection;
  const hc = p.healthCheck;
  return compact({
    connectTimeoutMs: ms(p.connectTimeout ?? DEFAULTS.connectTimeout),
    idleTimeoutMs: optMs(p.idleTimeout),
    circuitBreaker: cb
      ? compact({
          maxConnections: cb.maxConnections,
          maxPendingRequests: cb.maxPending,
          maxRequests: cb.maxRequests,
          maxRetries: cb.maxRetries,
          retryBudgetPercent: cb.retryBudget?.percent,
          retryBudgetMinConcurrency: cb.retryBudget?.minConcurrency,
        })
      : undefined,
    outlierDetection: od
      ? compact({
          consecutive5xx: od.consecutive5xx,
          consecutiveGatewayErrors: od.consecutiveGatewayErrors,
          intervalMs: optMs(od.interval),
          baseEjectionMs: optMs(od.baseEjection),
          maxEjectionPercent: od.maxEjectionPercent,
        })
      : undefined,
    healthCheck: hc
      ? {
          intervalMs: ms(hc.interval ?? DEFAULTS.healthCheck.interval),
          timeoutMs: ms(hc.timeout ?? DEFAULTS.healthCheck.timeout),
          healthyThreshold: hc.healthy ?? DEFAULTS.healthCheck.healthy,
          unhealthyThreshold: hc.unhealthy ?? DEFAULTS.healthCheck.unhealthy,
          ...(hc.http !== undefined
            ? { kind: "http" as const, path: hc.http }
            : hc.grpc !== undefined
              ? compact({ kind: "grpc" as const, serviceName: hc.grpc.service })
              : { kind: "tcp" as const }),
        }
      : undefined,
    loadBalancer: loadBalancerIR(p.loadBalancer),
    localityFailover: p.localityFailover ? [...p.localityFailover] : undefined,
    timeoutMs: optMs(p.timeout),
    retry: retryIR(p.retries),
    source: sourceLoc(source, baseDir),
  });
}

function stringMatchIR(m: { exact?: string; prefix?: string; regex?: string }): StringMatchIR {
  if (m.exact !== undefined) return { exact: m.exact };
  if (m.prefix !== undefined) return { prefix: m.prefix };
  return { regex: m.regex! };
}

function valueMatchIR(v: string | { exact?: string; prefix?: string; regex?: string; present?: true }): HeaderMatchIR["match"] {
  if (typeof v === "string") return { exact: v };
  return v.present ? { present: true } : stringMatchIR(v);
}

function matchIR(m: MatchOptions): RouteMatchIR {
  const headers: HeaderMatchIR[] = Object.keys(m.headers ?? {})
    .sort(byString)
    .map((name) => {
      const v = m.headers![name]!;
      return { name, match: valueMatchIR(v), invert: typeof v === "object" && v.invert === true };
    });
  const query: QueryMatchIR[] = Object.keys(m.query ?? {})
    .sort(byString)
    .map((name) => ({ name, match: valueMatchIR(m.query![name]!) }));
  const methods = m.method === undefined ? [] : typeof m.method === "string" ? [m.method] : [...m.method];
  return compact({
    port: m.port,
    path: m.path ? stringMatchIR(m.path) : undefined,
    headers,
    query,
    methods,
    grpc: m.grpc ? compact({ service: m.grpc.service, method: m.grpc.method }) : undefined,
    host: m.host,
    from: m.from ? m.from.map((r) => (r as unknown as { service: string }).service) : undefined,
  });
}

function headerOpsIR(list: readonly HeaderOps[]): HeaderOpsIR {
  const out: HeaderOpsIR = { add: [], set: [], remove: [] };
  for (const ops of list) {
    for (const [name, value] of Object.entries(ops.add ?? {})) out.add.push({ name, value });
    for (const [name, value] of Object.entries(ops.set ?? {})) out.set.push({ name, value });
    out.remove.push(...(ops.remove ?? []));
  }
  return out;
}

function backendIR(b: BackendModel): BackendRefIR {
  return compact({ service: b.target.service, subset: b.target.subset, port: b.target.port, weight: b.weight });
}

function actionIR(route: RouteModel): RouteActionIR {
  const a = route.actions[0] as ActionModel;
  switch (a.kind) {
    case "forward":
      return compact({
        kind: "forward" as const,
        backends: a.backends.map(backendIR),
        mirror: route.mirror ? compact({ service: route.mirror.target.service, subset: route.mirror.target.subset, percent: route.mirror.percent }) : undefined,
        rewrite: route.rewrite ? compact({ prefix: route.rewrite.prefix, fullPath: route.rewrite.fullPath, host: route.rewrite.host }) : undefined,
        timeoutMs: optMs(route.timeout),
        idleTimeoutMs: optMs(route.idleTimeout),
        retry: retryIR(route.retries),
      });
    case "redirect":
      return compact({ kind: "redirect" as const, scheme: a.scheme, host: a.host, path: a.path, prefix: a.prefix, status: a.status ?? DEFAULTS.redirectStatus });
    case "respond":
      return compact({ kind: "direct" as const, status: a.status, body: a.body });
  }
}

function corsIR(c: import("../dsl/cors.js").CorsOptions, source: SourceLoc | undefined): CorsIR {
  return compact({
    allowOrigins: c.allowOrigins.map((o) => (o === "*" ? { any: true as const } : typeof o === "string" ? { exact: o } : { ...o })) as CorsIR["allowOrigins"],
    allowMethods: [...(c.allowMethods ?? [])],
    allowHeaders: [...(c.allowHeaders ?? [])],
    exposeHeaders: [...(c.exposeHeaders ?? [])],
    maxAgeS: c.maxAge === undefined ? undefined : Math.ceil(ms(c.maxAge) / 1000),
    allowCredentials: c.allowCredentials ?? false,
    source,
  });
}

/** One IR route per match of `route` (a list of matches is an OR: one route each, same name). */
function routeIRs(service: string, route: RouteModel, index: number, baseDir: string): HttpRouteIR[] {
  const list = Array.isArray(route.match) ? route.match : [route.match];
  return list.map((m, k) => routeIR(service, route, m, list.length > 1 ? k + 1 : undefined, index, baseDir));
}

function routeIR(service: string, route: RouteModel, match: MatchOptions, alternative: number | undefined, index: number, baseDir: string): HttpRouteIR {
  const f = route.fault;
  return compact({
    name: route.name ?? `${service}-${index}`,
    alternative,
    match: matchIR(match),
    action: actionIR(route),
    requestHeaders: headerOpsIR(route.requestHeaders),
    responseHeaders: headerOpsIR(route.responseHeaders),
    fault: f
      ? compact({
          delay: f.delay ? { ms: ms(f.delay.fixed), percent: f.delay.percent ?? DEFAULTS.faultPercent } : undefined,
          abort: f.abort
            ? compact({ httpStatus: f.abort.status, grpcStatus: f.abort.grpcStatus, percent: f.abort.percent ?? DEFAULTS.faultPercent })
            : undefined,
        })
      : undefined,
    rateLimit: rateLimitIR(route.rateLimit),
    traceSamplePercent: route.traceSampling,
    cors: route.cors ? corsIR(route.cors, sourceLoc(route[FIELD_SITES]?.cors ?? siteOf(route), baseDir)) : undefined,
    source: sourceLoc(siteOf(route), baseDir),
  });
}

/**
 * Instance port numbers by service port name (see InstancePortsIR): a number given per name wins; a single number
 * (`port`) stands for the port of a single-port service; every other port is served on its own number. A single
 * number on a service with several ports is kept in `port` only, for analysis to report (MESH0208).
 */
function instancePorts(s: ServiceModel, single: number | undefined, given: Readonly<Record<string, number>> | undefined): Record<string, number> {
  const names = Object.keys(s.ports);
  const out: Record<string, number> = {};
  for (const name of names) out[name] = given?.[name] ?? (single !== undefined && names.length === 1 ? single : s.ports[name]!.port);
  for (const name of Object.keys(given ?? {})) if (!(name in out)) out[name] = given![name]!;
  const sorted: Record<string, number> = {};
  for (const k of Object.keys(out).sort(byString)) sorted[k] = out[k]!;
  return sorted;
}

function endpointIR(s: ServiceModel, e: EndpointModel | string): EndpointIR {
  if (typeof e === "string") {
    const i = e.lastIndexOf(":");
    const port = Number(e.slice(i + 1));
    return { address: e.slice(0, i).replace(/^\[(.*)\]$/, "$1"), ports: instancePorts(s, port, undefined), port, labels: {} };
  }
  const locality = e.locality ? compact({ region: e.locality.region, zone: e.locality.zone, subZone: e.locality.subZone }) : undefined;
  return compact({
    address: e.address,
    ports: instancePorts(s, e.port, e.ports),
    port: e.port,
    locality: locality && Object.keys(locality).length > 0 ? locality : undefined,
    labels: sortedRecord(e.labels),
    weight: e.weight,
  });
}

function instancesIR(s: ServiceModel, sidecar?: SidecarIR): InstancesIR {
  if (!Array.isArray(s.instances)) {
    if ("registry" in s.instances) return { kind: "static", endpoints: [] }; // all live, from the registry (issue 16)
    const d = s.instances;
    return compact({ kind: "dns" as const, hostname: d.dns, ports: instancePorts(s, d.port, d.ports), port: d.port });
  }
  const list = s.instances.filter((e): e is EndpointModel | string => typeof e === "string" || !("registry" in e));
  return {
    kind: "static",
    endpoints: list.map((e) => {
      const ir = endpointIR(s, e);
      const own = sidecar && instanceSidecarIR(s, e, ir, sidecar);
      return own ? { ...ir, sidecar: own } : ir;
    }),
  };
}

/** The registry({ key }) of a service's instances, alone or in its list (issue 16); the first one when several. */
function registryIR(s: ServiceModel, baseDir: string): RegistryRefIR | undefined {
  const list = Array.isArray(s.instances) ? s.instances : [s.instances];
  const r = list.find((e): e is RegistryModel => typeof e === "object" && e !== null && "registry" in e);
  return r ? compact({ key: r.registry, source: sourceLoc(siteOf(r), baseDir) }) : undefined;
}

/** Merges mesh defaults and the service's policy() calls; an option set by two calls is a conflict (first wins). */
function mergePolicies(model: MeshModel, s: ServiceModel, baseDir: string, diagnostics: Diagnostic[]): PolicyOptions {
  const merged: Record<string, unknown> = { ...(model.defaults ?? {}) };
  const setAt = new Map<string, SourceSite | undefined>(); // raw sites
  for (const p of s.policies as PolicyModel[]) {
    for (const [key, value] of Object.entries(p)) {
      if (value === undefined) continue;
      if (setAt.has(key)) {
        const first = sourceLoc(setAt.get(key), baseDir);
        const where = first ? ` (first set at ${first.file}:${first.line}:${first.column})` : "";
        diagnostics.push(
          at(here(p), {
            code: codes.ConflictingSetting,
            severity: "error",
            message: `policy option "${key}" of service "${s.name}" is set twice${where}; set each option once`,
            path: ["services", s.name, "policies", key],
          }),
        );
        continue;
      }
      setAt.set(key, siteOf(p));
      merged[key] = value;
    }
  }
  return merged as PolicyOptions;
}

/**
 * The policy of each subset that mesh.policy(svc.subset(…)) gave cluster settings: the service's merged options
 * with the subset's over them. A setting given twice for one subset is a conflict (first wins).
 */
function subsetPolicies(s: ServiceModel, service: PolicyOptions, baseDir: string, diagnostics: Diagnostic[]): Map<string, UpstreamPolicyIR> {
  const bySubset = new Map<string, { options: Record<string, unknown>; setAt: Map<string, SourceSite | undefined>; first: SourceSite | undefined }>();
  for (const p of s.subsetPolicies ?? []) {
    let e = bySubset.get(p.subset);
    if (!e) bySubset.set(p.subset, (e = { options: {}, setAt: new Map(), first: siteOf(p) }));
    for (const [key, value] of Object.entries(p)) {
      if (value === undefined || key === "subset") continue;
      if (e.setAt.has(key)) {
        const first = sourceLoc(e.setAt.get(key), baseDir);
        const where = first ? ` (first set at ${first.file}:${first.line}:${first.column})` : "";
        diagnostics.push(
          at(here(p), {
            code: codes.ConflictingSetting,
            severity: "error",
            message: `policy option "${key}" of subset "${p.subset}" of service "${s.name}" is set twice${where}; set each option once`,
            path: ["services", s.name, "subsetPolicies", p.subset, key],
          }),
        );
        continue;
      }
      e.setAt.set(key, siteOf(p));
      e.options[key] = value;
    }
  }
  const out = new Map<string, UpstreamPolicyIR>();
  for (const [subset, e] of bySubset) out.set(subset, policyIR({ ...service, ...e.options } as PolicyOptions, e.first, baseDir));
  return out;
}

export interface LowerResult {
  ir: MeshIR;
  diagnostics: Diagnostic[];
}

/**
 * Lowers a model that passed validation (schema.ts). `baseDir`: the mesh entry's directory (IR sources are relative
 * to it); `locate` maps captured call sites to the user's files.
 */
export function lower(model: MeshModel, baseDir: string, locator: Locate = makeLocator()): LowerResult {
  const saved = locate;
  locate = locator;
  try {
    return lowerMesh(model, baseDir);
  } finally {
    locate = saved;
  }
}

function lowerMesh(model: MeshModel, baseDir: string): LowerResult {
  const diagnostics: Diagnostic[] = [];
  for (const o of model.orphans) {
    diagnostics.push(
      at(here(o), {
        code: codes.ServiceNotInMesh,
        severity: "error",
        message: `mesh.${o.kind}() is given service "${o.service}", which is not part of mesh "${model.name}"`,
        hint: "declare it with mesh.service() or add it with mesh.add()",
        path: ["services", o.service],
      }),
    );
  }

  const byName = new Map<string, ServiceModel[]>();
  for (const s of model.services) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);

  /** Services a caller of `name` needs: the service itself and every target of its routes (once per name). */
  const reached = new Map<string, string[]>();
  const reachedVia = (name: string): string[] => {
    const hit = reached.get(name);
    if (hit) return hit;
    const out = [name];
    reached.set(name, out);
    for (const s of byName.get(name) ?? []) {
      for (const r of s.routes) {
        const a = r.actions[0];
        if (a?.kind === "forward") out.push(...a.backends.map((b) => b.target.service));
        if (r.mirror) out.push(r.mirror.target.service);
      }
      for (const t of s.tcpRoutes) out.push(...(t.split ?? []).map((b) => b.target.service));
    }
    return out;
  };

  const meshMtls: MtlsMode = model.mtls ?? DEFAULTS.mtls;
  const services: ServiceIR[] = model.services.map((s) => {
    const serviceMtls: MtlsMode = s.mtls ?? (s.nonMesh ? "off" : meshMtls);
    // A gateway calls whatever its own routes send traffic to.
    const gatewayTargets = s.gateway
      ? s.routes.flatMap((r) => [...(r.actions[0]?.kind === "forward" ? r.actions[0].backends.map((b) => b.target.service) : []), ...(r.mirror ? [r.mirror.target.service] : [])])
      : [];
    const calls = [...new Set([...s.calls.map((c) => c.service), ...gatewayTargets].flatMap((c) => reachedVia(c)))].sort(byString);
    const merged = mergePolicies(model, s, baseDir, diagnostics);
    const policy = policyIR(merged, siteOf(s.policies[0]), baseDir);
    const subsetPolicy = subsetPolicies(s, merged, baseDir, diagnostics);

    let tcpRoute: TcpRouteIR | undefined;
    s.tcpRoutes.forEach((t, i) => {
      if (i === 0) {
        tcpRoute = compact({
          backends: t.split ? t.split.map(backendIR) : [{ service: s.name, weight: 100 }],
          connectTimeoutMs: optMs(t.connectTimeout),
          idleTimeoutMs: optMs(t.idleTimeout),
          source: sourceLoc(siteOf(t), baseDir),
        });
        return;
      }
      diagnostics.push(
        at(here(t), {
          code: codes.ConflictingSetting,
          severity: "error",
          message: `service "${s.name}" has a TCP route already${tcpRoute?.source ? ` (at ${tcpRoute.source.file}:${tcpRoute.source.line})` : ""}; give mesh.tcpRoute() once per service`,
          path: ["services", s.name, "tcpRoutes", i],
        }),
      );
    });

    (s.cors ?? []).slice(1).forEach((c, k) => {
      diagnostics.push(
        at(here(c), {
          code: codes.ConflictingSetting,
          severity: "error",
          message: `service "${s.name}" has a CORS policy already; give mesh.cors() once per service`,
          path: ["services", s.name, "cors", k + 1],
        }),
      );
    });

    const sc = s.sidecar ?? {};
    const outboundPort = sc.outboundPort ?? DEFAULTS.outboundPort;
    const adminPort = sc.adminPort ?? DEFAULTS.adminPort;
    const tcpOutbound: Record<string, number> = {};
    for (const e of sc.tcpOutbound ?? []) {
      const key = `${e.upstream.service}:${e.upstream.port}`;
      if (key in tcpOutbound) {
        diagnostics.push(
          at(here(s), {
            code: codes.ConflictingSetting,
            severity: "error",
            message: `service "${s.name}" lists TCP upstream "${key}" twice in sidecar.tcpOutbound`,
            path: ["services", s.name, "sidecar", "tcpOutbound"],
          }),
        );
        continue;
      }
      tcpOutbound[key] = e.port;
    }
    // Unlisted TCP upstreams the app calls get the next free local port after the outbound listener's. Only
    // declared calls: a TCP split target (reached through another service's listener) needs no port of its own.
    const used = new Set<number>([outboundPort, adminPort, ...Object.values(tcpOutbound)]);
    for (const p of Object.values(s.ports)) used.add(p.port).add(p.app ?? p.port);
    const missing = new Set<string>();
    for (const name of new Set(s.calls.map((c) => c.service)))
      for (const up of byName.get(name) ?? [])
        for (const [portName, p] of Object.entries(up.ports)) if (p.protocol === "tcp" && !(`${name}:${portName}` in tcpOutbound)) missing.add(`${name}:${portName}`);
    let next = outboundPort + 1;
    for (const key of [...missing].sort(byString)) {
      while (used.has(next)) next++;
      tcpOutbound[key] = next;
      used.add(next);
    }

    const sidecarIR: SidecarIR = { inboundAddress: sc.inboundAddress ?? DEFAULTS.inboundAddress, outboundPort, adminPort, tcpOutbound: sortedRecord(tcpOutbound as never) as never };
    return compact({
      name: s.name,
      identity:
        s.identity === undefined
          ? `spiffe://${model.trustDomain}/service/${s.name}`
          : s.identity.startsWith("spiffe://")
            ? s.identity
            : `spiffe://${model.trustDomain}${s.identity}`,
      proxyless: s.proxyless !== undefined && s.proxyless !== false,
      grpcImplementation: s.proxyless === true ? "any" : typeof s.proxyless === "object" ? s.proxyless.grpc : undefined,
      mtls: serviceMtls,
      nonMesh: s.nonMesh ? (true as const) : undefined,
      gateway: s.gateway
        ? {
            listeners: s.gateway.listeners.map((l) =>
              compact({ port: `${l.protocol}-${l.port}`, protocol: l.protocol, hosts: [...l.hosts], tls: l.tls ? { certFile: l.tls.cert, keyFile: l.tls.key } : undefined }),
            ),
          }
        : undefined,
      cors: s.cors?.[0] ? corsIR(s.cors[0], sourceLoc(siteOf(s.cors[0]), baseDir)) : undefined,
      external: s.external
        ? compact({
            hosts: [...s.external.hosts],
            resolution: s.external.resolution,
            tls: s.external.tls ? compact({ sni: s.external.tls.sni ?? s.external.hosts[0]!, caFile: s.external.tls.ca }) : undefined,
            source: sourceLoc(siteOf(s), baseDir),
          })
        : undefined,
      ports: Object.keys(s.ports)
        .sort(byString)
        .map((name) => {
          const p = s.ports[name]!;
          // A gateway's listeners face callers outside the mesh: plain HTTP or edge TLS, never a client certificate
          // (its own mTLS mode, ServiceIR.mtls, still governs how it calls mesh services).
          const mtls: MtlsMode = s.gateway ? "off" : (p.mtls ?? serviceMtls);
          return compact({ name, protocol: p.protocol, port: p.port, appPort: p.app ?? p.port, mtls, source: sourceLoc(siteOf(p), baseDir) });
        }),
      declaredPorts: Object.keys(s.ports),
      instances: instancesIR(s, sidecarIR),
      registry: registryIR(s, baseDir),
      subsets: Object.keys(s.subsets)
        .sort(byString)
        .map((name) => compact({ name, labels: sortedRecord(s.subsets[name]), policy: subsetPolicy.get(name) })),
      subsetPolicyCalls: s.subsetPolicies?.length ? s.subsetPolicies.map((p) => compact({ subset: p.subset, source: sourceLoc(siteOf(p), baseDir) })) : undefined,
      sidecar: sidecarIR,
      calls,
      policy,
      routes: s.routes.flatMap((r, i) => routeIRs(s.name, r, i, baseDir)),
      tcpRoute,
      rateLimit: rateLimitIR(s.rateLimit),
      telemetry: telemetryIR({
        service: s.name,
        mesh: model.telemetry,
        calls: s.telemetry ?? [],
        loc: (site) => sourceLoc(site, baseDir),
        siteOf,
        at: (v, d) => at(here(v), d),
        diagnostics,
      }),
      source: sourceLoc(siteOf(s), baseDir),
    });
  });

  services.sort((a, b) => byString(a.name, b.name));
  const cert = model.certificates ?? {};
  const mtls: MeshMtlsIR = {
    mode: meshMtls,
    certificates: {
      leafLifetimeMs: ms(cert.leafLifetime ?? DEFAULTS.certificates.leafLifetime),
      rotateAtPercent: cert.rotateAt ?? DEFAULTS.certificates.rotateAt,
      keyAlgorithm: cert.keyAlgorithm ?? DEFAULTS.certificates.keyAlgorithm,
    },
  };
  const ir: MeshIR = compact({ name: model.name, trustDomain: model.trustDomain, mtls, services, source: sourceLoc(siteOf(model), baseDir), egress: model.egress });
  const authorization = lowerAuthorization(model.authorizations, (site) => sourceLoc(site, baseDir), here, diagnostics);
  if (authorization) ir.authorization = authorization;
  if (model.discovery) ir.discovery = discoveryIR(model.discovery, sourceLoc(siteOf(model.discovery), baseDir));
  if (model.patches?.length) ir.patches = lowerPatches(model.patches, (site) => sourceLoc(site, baseDir));
  return { ir, diagnostics };
}

/** defineMesh({ discovery: etcd({...}) }) as IR: the default prefix applied, endpoints as given (issue 16). */
function discoveryIR(d: DiscoveryModel, source: SourceLoc | undefined): DiscoveryIR {
  const tls = d.etcd.tls ? compact({ ca: d.etcd.tls.ca, cert: d.etcd.tls.cert, key: d.etcd.tls.key }) : undefined;
  return compact({ kind: "etcd" as const, endpoints: [...d.etcd.endpoints], prefix: d.etcd.prefix ?? "/meshc", tls, source });
}
