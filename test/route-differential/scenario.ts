// Routing scenarios for the route differential test: fast-check arbitraries of small meshes (one caller, one to
// three upstream services with one or two versions, routes over every match kind meshc emits: path exact, prefix
// and RE2 regex, headers exact/prefix/regex/present with invert, query parameters, methods; every action:
// forward to a service or subset, weighted split, redirect, direct response; and the modifiers whose effect an
// echo app can see: prefix rewrite, request header set/remove, route timeout (Envoy's
// x-envoy-expected-rq-timeout-ms), fault abort at 100 %) and requests drawn from pools that hit and miss them.
// Values come from small pools on purpose, so routes and requests meet often.
import fc from "fast-check";
import { defineMesh, http, type MeshDefinition, type ServiceRef } from "../../src/dsl/index.js";

export type StrKind = "exact" | "prefix" | "regex";
export interface HeaderSpec {
  name: string;
  kind: StrKind | "present";
  value: string;
  invert: boolean;
}
export interface QuerySpec {
  name: string;
  kind: StrKind | "present";
  value: string;
}
export type ActionSpec =
  | { kind: "to"; service: number; version?: number }
  | { kind: "split"; service: number; weight: number }
  | { kind: "redirect"; path?: string; prefix?: string; status: 301 | 302 | 307 | 308 }
  | { kind: "respond"; status: number; body: string };
export interface RouteSpec {
  path?: { kind: StrKind; value: string };
  headers: HeaderSpec[];
  query: QuerySpec[];
  methods: string[];
  action: ActionSpec;
  rewrite?: string;
  setHeader?: string;
  removeHeader?: boolean;
  timeout?: "0s" | "1s" | "2500ms";
  abort?: number;
}
export interface RequestSpec {
  to: number;
  /** 0: "svcN", 1: "svcN:port", 2: an unknown host. */
  host: 0 | 1 | 2;
  method: string;
  path: string;
  headers: Record<string, string>;
}
export interface Scenario {
  /** Versions per upstream service (1 or 2). */
  services: number[];
  routes: RouteSpec[][];
  requests: RequestSpec[];
}

const EXACT = ["/", "/a", "/a/b", "/api/v1/items", "/A/1"];
const PREFIX = ["/", "/a", "/api", "/api/v1", "/b/"];
const REGEX = ["/a/[0-9]+", "/api/.*", "/(a|b)/x", "/A.*", "/api/v[12]/items", "/\\w+"];
const PATHS = ["/", "/a", "/a/", "/a/1", "/a/b", "/a/12", "/api", "/api/v1/items", "/api/v2/items", "/b/x", "/a/x", "/A/1", "/ab", "/api/v1/items?q=1", "/a/1?q=2&r=1", "/b/x?q=abc"];
const HEADER_VALUES = ["1", "2", "abc", "abd", "12"];
const METHODS = ["GET", "POST", "DELETE"];

const strMatch = (values: Record<StrKind | "present", string[]>) =>
  fc.constantFrom<StrKind | "present">("exact", "prefix", "regex", "present").chain((kind) => fc.constantFrom(...values[kind]).map((value) => ({ kind, value })));

const headerSpec: fc.Arbitrary<HeaderSpec> = fc
  .record({ name: fc.constantFrom("x-a", "x-b"), m: strMatch({ exact: ["1", "abc"], prefix: ["ab", "1"], regex: ["[0-9]+", "ab[cd]"], present: [""] }), invert: fc.boolean() })
  .map(({ name, m, invert }) => ({ name, ...m, invert }));

const querySpec: fc.Arbitrary<QuerySpec> = fc
  .record({ name: fc.constant("q"), m: strMatch({ exact: ["1", "abc"], prefix: ["a"], regex: ["[0-9]"], present: [""] }) })
  .map(({ name, m }) => ({ name, ...m }));

function actionSpec(services: number[]): fc.Arbitrary<ActionSpec> {
  const svc = fc.nat({ max: services.length - 1 });
  return fc.oneof(
    { weight: 5, arbitrary: svc.chain((s) => (services[s]! > 1 ? fc.option(fc.nat({ max: 1 }), { nil: undefined }) : fc.constant(undefined)).map((v): ActionSpec => ({ kind: "to", service: s, ...(v !== undefined ? { version: v } : {}) }))) },
    // A split needs a service with two versions (the list is never empty: the first entry is always there).
    ...(services.some((v) => v > 1)
      ? [{ weight: 2, arbitrary: fc.constantFrom(...services.flatMap((v, i) => (v > 1 ? [i] : []))).chain((s) => fc.integer({ min: 1, max: 99 }).map((weight): ActionSpec => ({ kind: "split", service: s, weight }))) }]
      : []),
    {
      weight: 1,
      arbitrary: fc
        .record({ target: fc.oneof(fc.constant({ path: "/moved" }), fc.constant({ prefix: "/new" })), status: fc.constantFrom<301 | 302 | 307 | 308>(301, 302, 307, 308) })
        .map(({ target, status }): ActionSpec => ({ kind: "redirect", ...target, status })),
    },
    { weight: 1, arbitrary: fc.record({ status: fc.constantFrom(200, 403, 418, 503), body: fc.constantFrom("ok", "denied here", "") }).map((r): ActionSpec => ({ kind: "respond", ...r })) },
  );
}

function routeSpec(services: number[]): fc.Arbitrary<RouteSpec> {
  return fc
    .record({
      path: fc.option(
        fc.oneof(
          fc.constantFrom(...EXACT).map((value) => ({ kind: "exact" as const, value })),
          fc.constantFrom(...PREFIX).map((value) => ({ kind: "prefix" as const, value })),
          fc.constantFrom(...REGEX).map((value) => ({ kind: "regex" as const, value })),
        ),
        { nil: undefined },
      ),
      headers: fc.uniqueArray(headerSpec, { maxLength: 2, selector: (h) => h.name }),
      query: fc.array(querySpec, { maxLength: 1 }),
      methods: fc.uniqueArray(fc.constantFrom(...METHODS), { maxLength: 2 }),
      action: actionSpec(services),
      rewrite: fc.option(fc.constantFrom("/rewritten", "/"), { nil: undefined }),
      setHeader: fc.option(fc.constantFrom("set-by-route", "v2"), { nil: undefined }),
      removeHeader: fc.boolean(),
      timeout: fc.option(fc.constantFrom<"0s" | "1s" | "2500ms">("0s", "1s", "2500ms"), { nil: undefined }),
      abort: fc.option(fc.constantFrom(418, 503), { freq: 6, nil: undefined }),
    })
    .map((r) => {
      const forward = r.action.kind === "to" || r.action.kind === "split";
      const out: RouteSpec = { headers: r.headers, query: r.query, methods: r.methods, action: r.action };
      if (r.path) out.path = r.path;
      // rewrite and timeout exist only on forwarding routes; prefix rewrite only after a prefix or exact match.
      if (forward && r.rewrite !== undefined && r.path && r.path.kind !== "regex") out.rewrite = r.rewrite;
      if (forward && r.timeout !== undefined) out.timeout = r.timeout;
      if (r.setHeader !== undefined) out.setHeader = r.setHeader;
      if (r.removeHeader) out.removeHeader = true;
      if (r.abort !== undefined) out.abort = r.abort;
      return out;
    });
}

const requestSpec = (services: number[]): fc.Arbitrary<RequestSpec> =>
  fc.record({
    to: fc.nat({ max: services.length - 1 }),
    host: fc.constantFrom<0 | 1 | 2>(0, 0, 0, 1, 1, 2),
    method: fc.constantFrom(...METHODS),
    path: fc.constantFrom(...PATHS),
    headers: fc.record({ "x-a": fc.constantFrom(...HEADER_VALUES), "x-b": fc.constantFrom(...HEADER_VALUES) }, { requiredKeys: [] }),
  });

export const scenario: fc.Arbitrary<Scenario> = fc
  .array(fc.integer({ min: 1, max: 2 }), { minLength: 1, maxLength: 3 })
  .chain((services) =>
    fc.record({
      services: fc.constant(services),
      routes: fc.tuple(...services.map(() => fc.array(routeSpec(services), { maxLength: 4 }))),
      requests: fc.array(requestSpec(services), { minLength: 18, maxLength: 18 }),
    }),
  );

export const UPSTREAM_PORT = (i: number) => 8080 + i;

/** The mesh: `client` (the sidecar under test) calls svc0..svcN, whose instances are echo apps on `echoPorts[i][v]`. */
export function buildMesh(s: Scenario, ports: { admin: number; outbound: number }, echoPorts: number[][]): MeshDefinition {
  return defineMesh({ name: "diff", trustDomain: "diff.test" }, (mesh) => {
    const svcs: ServiceRef<string, "web", "v1" | "v2">[] = s.services.map((versions, i) =>
      mesh.service(`svc${i}`, {
        ports: { web: http(UPSTREAM_PORT(i), { app: 19000 + i }) },
        instances: Array.from({ length: versions }, (_, v) => ({ address: "127.0.0.1", ports: { web: echoPorts[i]![v]! }, labels: { version: `v${v + 1}` } })),
        subsets: versions > 1 ? { v1: { version: "v1" }, v2: { version: "v2" } } : {},
        nonMesh: true, // echo apps without sidecars: the caller reaches them directly
      }) as ServiceRef<string, "web", "v1" | "v2">,
    );
    mesh.service("client", { ports: {}, instances: [], calls: svcs, sidecar: { adminPort: ports.admin, outboundPort: ports.outbound } });
    s.routes.forEach((routes, i) => {
      if (routes.length === 0) return;
      mesh.routes(svcs[i]!, (r) =>
        routes.map((spec) => {
          const match: Record<string, unknown> = {};
          if (spec.path) match.path = { [spec.path.kind]: spec.path.value };
          if (spec.headers.length) match.headers = Object.fromEntries(spec.headers.map((h) => [h.name, { ...(h.kind === "present" ? { present: true } : { [h.kind]: h.value }), ...(h.invert ? { invert: true } : {}) }]));
          if (spec.query.length) match.query = Object.fromEntries(spec.query.map((q) => [q.name, q.kind === "present" ? { present: true } : { [q.kind]: q.value }]));
          if (spec.methods.length) match.method = spec.methods;
          const a = spec.action;
          const start = r.match(match as never);
          let route;
          const target = (svc: number, version?: number) => (version === undefined ? svcs[svc]! : svcs[svc]!.subset(version === 0 ? "v1" : "v2"));
          if (a.kind === "to" || a.kind === "split") {
            let fwd = a.kind === "to" ? start.to(target(a.service, a.version)) : start.split([[target(a.service, 0), a.weight], [target(a.service, 1), 100 - a.weight]]);
            if (spec.rewrite !== undefined) fwd = fwd.rewrite({ prefix: spec.rewrite });
            if (spec.timeout !== undefined) fwd = fwd.timeout(spec.timeout);
            route = fwd;
          } else if (a.kind === "redirect") route = start.redirect({ ...(a.path !== undefined ? { path: a.path } : { prefix: a.prefix! }), status: a.status });
          else route = start.respond(a.status, a.body);
          if (spec.setHeader !== undefined) route = route.requestHeaders({ set: { "x-set": spec.setHeader } });
          if (spec.removeHeader) route = route.requestHeaders({ remove: ["x-b"] });
          if (spec.abort !== undefined) route = route.fault({ abort: { status: spec.abort } });
          return route;
        }),
      );
    });
  }) as MeshDefinition;
}
