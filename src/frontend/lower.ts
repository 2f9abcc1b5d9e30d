// Stage 4: lower a validated model to the IR, mechanically: references become names, durations milliseconds,
// defaults are applied and lists sorted as src/ir/types.ts prescribes. Nothing is dropped or deduplicated (a
// duplicate service stays duplicated, a dangling reference keeps its name, weights stay as given): analysis judges.
// The only diagnostics here are for what the IR cannot represent (MESH0004, MESH0005).
import type {
  ActionModel,
  BackendModel,
  EndpointModel,
  MeshModel,
  PolicyModel,
  RouteModel,
  ServiceModel,
} from "../dsl/model.js";
import type { SourceSite } from "../dsl/site.js";
import type { HashOn, HeaderOps, LoadBalancerOptions, MatchOptions, PolicyOptions, RateLimitOptions, RetryOptions } from "../dsl/types.js";
import type { Diagnostic } from "../diagnostics/types.js";
import type {
  BackendRefIR,
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
  RetryIR,
  RouteActionIR,
  RouteMatchIR,
  ServiceIR,
  StringMatchIR,
  TcpRouteIR,
  UpstreamPolicyIR,
} from "../ir/types.js";
import { codes } from "./codes.js";
import { ms } from "./duration.js";
import { at, makeLocator, siteOf, sourceLoc as toSourceLoc, type Locate } from "./sites.js";
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
function compact<T extends object>(obj: T): T {
  const out = {} as Record<string, unknown>;
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
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
    backoff: r.backoff ? { baseMs: ms(r.backoff.base), maxMs: r.backoff.max ? ms(r.backoff.max) : ms(r.backoff.base) * 10 } : undefined,
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
    path: m.path ? stringMatchIR(m.path) : undefined,
    headers,
    query,
    methods,
    grpc: m.grpc ? compact({ service: m.grpc.service, method: m.grpc.method }) : undefined,
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
  return compact({ service: b.target.service, subset: b.target.subset, weight: b.weight });
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

function routeIR(service: string, route: RouteModel, index: number, baseDir: string): HttpRouteIR {
  const f = route.fault;
  return compact({
    name: route.name ?? `${service}-${index}`,
    match: matchIR(route.match),
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
    source: sourceLoc(siteOf(route), baseDir),
  });
}

function endpointIR(e: EndpointModel | string, defaultPort: number | undefined): EndpointIR {
  if (typeof e === "string") {
    const i = e.lastIndexOf(":");
    return { address: e.slice(0, i).replace(/^\[(.*)\]$/, "$1"), port: Number(e.slice(i + 1)), labels: {} };
  }
  const locality = e.locality ? compact({ region: e.locality.region, zone: e.locality.zone, subZone: e.locality.subZone }) : undefined;
  return compact({
    address: e.address,
    port: (e.port ?? defaultPort)!,
    locality: locality && Object.keys(locality).length > 0 ? locality : undefined,
    labels: sortedRecord(e.labels),
    weight: e.weight,
  });
}

function instancesIR(s: ServiceModel): InstancesIR {
  if (!Array.isArray(s.instances)) return { kind: "dns", hostname: s.instances.dns, port: s.instances.port };
  const firstPort = Object.values(s.ports)[0]?.port;
  return { kind: "static", endpoints: s.instances.map((e) => endpointIR(e, firstPort)) };
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

  /** Services a caller of `name` needs: the service itself and every target of its routes. */
  const reachedVia = (name: string): string[] => {
    const out = [name];
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
    const calls = [...new Set(s.calls.flatMap((c) => reachedVia(c.service)))].sort(byString);
    const policy = policyIR(mergePolicies(model, s, baseDir, diagnostics), siteOf(s.policies[0]), baseDir);

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

    return compact({
      name: s.name,
      identity:
        s.identity === undefined
          ? `spiffe://${model.trustDomain}/service/${s.name}`
          : s.identity.startsWith("spiffe://")
            ? s.identity
            : `spiffe://${model.trustDomain}${s.identity}`,
      proxyless: s.proxyless ?? false,
      mtls: serviceMtls,
      nonMesh: s.nonMesh ? (true as const) : undefined,
      ports: Object.keys(s.ports)
        .sort(byString)
        .map((name) => {
          const p = s.ports[name]!;
          return compact({ name, protocol: p.protocol, port: p.port, appPort: p.app ?? p.port, mtls: p.mtls ?? serviceMtls, source: sourceLoc(siteOf(p), baseDir) });
        }),
      instances: instancesIR(s),
      subsets: Object.keys(s.subsets)
        .sort(byString)
        .map((name) => ({ name, labels: sortedRecord(s.subsets[name]) })),
      sidecar: { inboundAddress: sc.inboundAddress ?? DEFAULTS.inboundAddress, outboundPort, adminPort, tcpOutbound: sortedRecord(tcpOutbound as never) as never },
      calls,
      policy,
      routes: s.routes.map((r, i) => routeIR(s.name, r, i, baseDir)),
      tcpRoute,
      rateLimit: rateLimitIR(s.rateLimit),
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
  const ir: MeshIR = compact({ name: model.name, trustDomain: model.trustDomain, mtls, services, source: sourceLoc(siteOf(model), baseDir) });
  const authorization = lowerAuthorization(model.authorizations, (site) => sourceLoc(site, baseDir), here, diagnostics);
  if (authorization) ir.authorization = authorization;
  return { ir, diagnostics };
}
