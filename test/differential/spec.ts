// A mesh as the differential test generates it: the DSL's calls written down as data (services with their options,
// then calls, routes, TCP routes and policies per service). One spec has two faithful renderings: `buildModel`
// runs the real DSL builders in this process (defineMesh, mesh.service, r.match(...).to(...), ...), and
// `renderMeshTs` writes the mesh.ts source a user would write, which goes through the whole front end (type check,
// bundle, evaluate). On a failure the test prints the mesh.ts rendering of the shrunk spec.
import { defineMesh, dns, grpc, http, http2, tcp } from "../../src/dsl/index.js";
import type { MeshModel } from "../../src/dsl/model.js";
import type {
  FaultOptions,
  HeaderOps,
  MatchOptions,
  PolicyOptions,
  Protocol,
  RateLimitOptions,
  RedirectOptions,
  RetryOptions,
  RewriteOptions,
} from "../../src/dsl/types.js";

export interface TargetSpec {
  service: string;
  subset?: string;
}

export interface EndpointSpec {
  address: string;
  port?: number;
  locality?: { region?: string; zone?: string; subZone?: string };
  labels?: Record<string, string>;
  weight?: number;
}

export interface ServiceSpec {
  name: string;
  ports: Record<string, { protocol: Protocol; port: number; app?: number }>;
  instances: (EndpointSpec | string)[] | { dns: string; port: number };
  subsets: Record<string, Record<string, string>>;
  identity?: string;
  proxyless?: boolean;
  rateLimit?: RateLimitOptions;
  sidecar?: {
    adminPort?: number;
    outboundPort?: number;
    inboundAddress?: string;
    /** Only services declared earlier (a reference needs its declaration). */
    tcpOutbound?: { service: string; port: string; local: number }[];
  };
  calls: string[];
}

export type ActionSpec =
  | { to: TargetSpec }
  | { split: [TargetSpec, number][] }
  | { redirect: RedirectOptions }
  | { respond: { status: number; body?: string } };

export interface RouteSpec {
  match?: MatchOptions;
  action: ActionSpec;
  named?: string;
  timeout?: string;
  idleTimeout?: string;
  retries?: RetryOptions;
  mirror?: { target: TargetSpec; percent?: number };
  rewrite?: RewriteOptions;
  requestHeaders: HeaderOps[];
  responseHeaders: HeaderOps[];
  fault?: FaultOptions;
  rateLimit?: RateLimitOptions;
}

export interface MeshSpec {
  name: string;
  trustDomain: string;
  defaults?: PolicyOptions;
  services: ServiceSpec[];
  routes: { service: string; routes: RouteSpec[] }[];
  tcpRoutes: { service: string; split?: [TargetSpec, number][]; connectTimeout?: string; idleTimeout?: string }[];
  policies: { service: string; options: PolicyOptions }[];
}

const PORT_CTORS = { http, http2, grpc, tcp } as const;

/** Runs the real DSL builders on the spec: what evaluating renderMeshTs(spec) yields, without TypeScript or esbuild. */
export function buildModel(spec: MeshSpec): MeshModel {
  // The DSL's types are stricter than a spec (literal durations, declared subset names); the spec is type-correct by
  // construction, which the mesh.ts rendering checks for real.
  /* eslint-disable @typescript-eslint/no-explicit-any */
  const def = defineMesh({ name: spec.name, trustDomain: spec.trustDomain, ...(spec.defaults && { defaults: spec.defaults as any }) }, (mesh) => {
    const refs = new Map<string, any>();
    const target = (t: TargetSpec) => (t.subset === undefined ? refs.get(t.service) : refs.get(t.service).subset(t.subset));
    for (const s of spec.services) {
      const ports = Object.fromEntries(
        Object.entries(s.ports).map(([n, p]) => [n, PORT_CTORS[p.protocol](p.port, ...(p.app !== undefined ? [{ app: p.app }] : []))]),
      );
      const instances = Array.isArray(s.instances) ? s.instances : dns(s.instances.dns, s.instances.port);
      const sidecar = s.sidecar && {
        ...s.sidecar,
        ...(s.sidecar.tcpOutbound && { tcpOutbound: s.sidecar.tcpOutbound.map((o) => ({ upstream: refs.get(o.service).port(o.port), port: o.local })) }),
      };
      const options: any = { ports, instances, subsets: s.subsets };
      if (s.identity !== undefined) options.identity = s.identity;
      if (s.proxyless !== undefined) options.proxyless = s.proxyless;
      if (s.rateLimit !== undefined) options.rateLimit = s.rateLimit;
      if (sidecar !== undefined) options.sidecar = sidecar;
      refs.set(s.name, mesh.service(s.name, options));
    }
    for (const s of spec.services) if (s.calls.length) mesh.calls(refs.get(s.name), s.calls.map((c) => refs.get(c)));
    for (const rs of spec.routes) {
      mesh.routes(refs.get(rs.service), (r) =>
        rs.routes.map((route) => {
          let b: any = r.match(route.match);
          const a = route.action;
          if ("to" in a) b = b.to(target(a.to));
          else if ("split" in a) b = b.split(a.split.map(([t, w]) => [target(t), w]));
          else if ("redirect" in a) b = b.redirect(a.redirect);
          else b = a.respond.body === undefined ? b.respond(a.respond.status) : b.respond(a.respond.status, a.respond.body);
          if (route.named !== undefined) b = b.named(route.named);
          if (route.timeout !== undefined) b = b.timeout(route.timeout);
          if (route.idleTimeout !== undefined) b = b.idleTimeout(route.idleTimeout);
          if (route.retries !== undefined) b = b.retries(route.retries);
          if (route.mirror !== undefined) b = route.mirror.percent === undefined ? b.mirror(target(route.mirror.target)) : b.mirror(target(route.mirror.target), route.mirror.percent);
          if (route.rewrite !== undefined) b = b.rewrite(route.rewrite);
          for (const h of route.requestHeaders) b = b.requestHeaders(h);
          for (const h of route.responseHeaders) b = b.responseHeaders(h);
          if (route.fault !== undefined) b = b.fault(route.fault);
          if (route.rateLimit !== undefined) b = b.rateLimit(route.rateLimit);
          return b;
        }),
      );
    }
    for (const t of spec.tcpRoutes) {
      const options: any = {};
      if (t.split) options.split = t.split.map(([x, w]) => [target(x), w]);
      if (t.connectTimeout !== undefined) options.connectTimeout = t.connectTimeout;
      if (t.idleTimeout !== undefined) options.idleTimeout = t.idleTimeout;
      mesh.tcpRoute(refs.get(t.service), options);
    }
    for (const p of spec.policies) mesh.policy(refs.get(p.service), p.options as any);
  });
  return def as unknown as MeshModel;
}

/** The mesh.ts a user would write for the spec. */
export function renderMeshTs(spec: MeshSpec): string {
  const v = new Map(spec.services.map((s, i) => [s.name, `s${i}`]));
  const j = (x: unknown) => JSON.stringify(x);
  const target = (t: TargetSpec) => (t.subset === undefined ? v.get(t.service)! : `${v.get(t.service)}.subset(${j(t.subset)})`);
  const split = (list: [TargetSpec, number][]) => `[${list.map(([t, w]) => `[${target(t)}, ${w}]`).join(", ")}]`;
  const out: string[] = [
    `import { defineMesh, dns, grpc, http, http2, tcp } from "meshc";`,
    ``,
    `export default defineMesh(${j({ name: spec.name, trustDomain: spec.trustDomain, ...(spec.defaults && { defaults: spec.defaults }) })}, (mesh) => {`,
  ];
  for (const s of spec.services) {
    const ports = Object.entries(s.ports)
      .map(([n, p]) => `${j(n)}: ${p.protocol}(${p.port}${p.app !== undefined ? `, { app: ${p.app} }` : ""})`)
      .join(", ");
    const parts = [`ports: { ${ports} }`];
    parts.push(`instances: ${Array.isArray(s.instances) ? j(s.instances) : `dns(${j(s.instances.dns)}, ${s.instances.port})`}`);
    parts.push(`subsets: ${j(s.subsets)}`);
    if (s.identity !== undefined) parts.push(`identity: ${j(s.identity)}`);
    if (s.proxyless !== undefined) parts.push(`proxyless: ${s.proxyless}`);
    if (s.rateLimit !== undefined) parts.push(`rateLimit: ${j(s.rateLimit)}`);
    if (s.sidecar !== undefined) {
      const { tcpOutbound, ...rest } = s.sidecar;
      const fields = Object.entries(rest).map(([k, x]) => `${k}: ${j(x)}`);
      if (tcpOutbound) fields.push(`tcpOutbound: [${tcpOutbound.map((o) => `{ upstream: ${v.get(o.service)}.port(${j(o.port)}), port: ${o.local} }`).join(", ")}]`);
      parts.push(`sidecar: { ${fields.join(", ")} }`);
    }
    out.push(`  const ${v.get(s.name)} = mesh.service(${j(s.name)}, { ${parts.join(", ")} });`);
  }
  for (const s of spec.services) if (s.calls.length) out.push(`  mesh.calls(${v.get(s.name)}, [${s.calls.map((c) => v.get(c)).join(", ")}]);`);
  for (const rs of spec.routes) {
    out.push(`  mesh.routes(${v.get(rs.service)}, (r) => [`);
    for (const route of rs.routes) {
      let b = `r.match(${route.match === undefined ? "" : j(route.match)})`;
      const a = route.action;
      if ("to" in a) b += `.to(${target(a.to)})`;
      else if ("split" in a) b += `.split(${split(a.split)})`;
      else if ("redirect" in a) b += `.redirect(${j(a.redirect)})`;
      else b += `.respond(${a.respond.status}${a.respond.body === undefined ? "" : `, ${j(a.respond.body)}`})`;
      if (route.named !== undefined) b += `.named(${j(route.named)})`;
      if (route.timeout !== undefined) b += `.timeout(${j(route.timeout)})`;
      if (route.idleTimeout !== undefined) b += `.idleTimeout(${j(route.idleTimeout)})`;
      if (route.retries !== undefined) b += `.retries(${j(route.retries)})`;
      if (route.mirror !== undefined) b += `.mirror(${target(route.mirror.target)}${route.mirror.percent === undefined ? "" : `, ${route.mirror.percent}`})`;
      if (route.rewrite !== undefined) b += `.rewrite(${j(route.rewrite)})`;
      for (const h of route.requestHeaders) b += `.requestHeaders(${j(h)})`;
      for (const h of route.responseHeaders) b += `.responseHeaders(${j(h)})`;
      if (route.fault !== undefined) b += `.fault(${j(route.fault)})`;
      if (route.rateLimit !== undefined) b += `.rateLimit(${j(route.rateLimit)})`;
      out.push(`    ${b},`);
    }
    out.push(`  ]);`);
  }
  for (const t of spec.tcpRoutes) {
    const fields: string[] = [];
    if (t.split) fields.push(`split: ${split(t.split)}`);
    if (t.connectTimeout !== undefined) fields.push(`connectTimeout: ${j(t.connectTimeout)}`);
    if (t.idleTimeout !== undefined) fields.push(`idleTimeout: ${j(t.idleTimeout)}`);
    out.push(`  mesh.tcpRoute(${v.get(t.service)}, { ${fields.join(", ")} });`);
  }
  for (const p of spec.policies) out.push(`  mesh.policy(${v.get(p.service)}, ${j(p.options)});`);
  out.push(`});`, ``);
  return out.join("\n");
}
