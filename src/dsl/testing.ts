// "meshc/test": mesh policy tests as code, in `*.mesh.test.ts` files next to mesh.ts. A test file calls
// `meshTest(mesh, (t) => { t.expect(request({...})).routesTo(...)...; })`; running it only records what is
// expected, as plain data with each call's source position. `meshc test` evaluates the file in an isolated worker
// (like mesh.ts), compiles the mesh, and checks every expectation against the compiled Envoy resources
// (src/testing/). Dependency-free on purpose: it is bundled into the user's test file.
import { PORT_REF, SERVICE_REF, SUBSET_REF } from "./brand.js";
import type { MeshDefinition } from "./mesh.js";
import type { PortRef, ServiceRef, SubsetRef } from "./service.js";
import { captureSite, type SourceSite } from "./site.js";
import type { Duration, HttpMethod, RetryOn } from "./types.js";

/** A service as a test names it: its typed reference, or its name. */
export type ServiceLike = ServiceRef | string;

/** Where a request should go: a service, a subset (`svc.subset("v2")`), a port (`svc.port("web")`), or by name. */
export type TargetLike = ServiceRef | SubsetRef | PortRef | string | { service: string; subset?: string; port?: string };

export interface RequestOptions {
  /**
   * The calling service: its sidecar routes the request. Or an ingress gateway: the request arrives there from
   * outside the mesh (no identity) and the gateway's listener routes it; give its Host with `authority`
   * (`host:port` when the gateway listens on several ports) and `to: <the gateway>`.
   */
  from: ServiceLike;
  /** The called service: the Host header is its name (or `<name>:<port>` with `port`). */
  to: ServiceLike;
  /** A port name of `to`. */
  port?: string;
  /** Host/:authority, instead of the one derived from `to` and `port`. */
  authority?: string;
  /** @default "GET" ("POST" for gRPC) */
  method?: HttpMethod | (string & {});
  /** Path, with an optional query string. @default "/" */
  path?: string;
  headers?: Readonly<Record<string, string>>;
  /** A gRPC call: `{ service: "pkg.Svc", method: "Get" }` sets the path `/pkg.Svc/Get` and content-type application/grpc. */
  grpc?: { service: string; method: string } | true;
  /** A TCP connection instead of an HTTP request: the caller's TCP listener for `to` decides (routesTo, splits). */
  tcp?: true;
}

/** Plain data describing one request (what `request()` returns). */
export interface TestRequest {
  readonly from: string;
  readonly to: string;
  readonly port?: string;
  readonly authority?: string;
  readonly method?: string;
  readonly path?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly grpc: boolean;
  readonly tcp?: true;
}

export interface Target {
  readonly service: string;
  readonly subset?: string;
  readonly port?: string;
}

/** One recorded assertion (what `meshc test` checks). */
export type Assertion =
  | { kind: "routesTo"; target: Target }
  | { kind: "route"; name: string }
  | { kind: "splits"; shares: { key: string; percent: number }[] }
  | { kind: "timeout"; duration: string | null }
  | { kind: "retries"; attempts: number; on?: string[]; perTry?: string }
  | { kind: "noRetries" }
  | { kind: "requestHeader"; name: string; value: string | null }
  | { kind: "responseHeader"; name: string; value: string | null }
  | { kind: "upstreamPath"; path: string }
  | { kind: "redirect"; location?: string; status?: number }
  | { kind: "respond"; status: number; body?: string }
  | { kind: "fault"; abort?: number; grpcAbort?: number; delay?: string; percent?: number }
  | { kind: "rateLimit"; tokens: number; per: string; burst?: number }
  | { kind: "allowed"; rule?: string }
  | { kind: "denied"; rule?: string }
  | { kind: "notRouted" };

export interface Site {
  file: string;
  line: number;
  column: number;
}

export interface RecordedCase {
  site: Site;
  request: TestRequest;
  assertions: (Assertion & { site: Site })[];
}

export interface RecordedSuite {
  name?: string;
  site: Site;
  mesh: unknown;
  cases: RecordedCase[];
}

/** Assertions on one request; each returns the same object, so they chain. */
export interface Expectation {
  /** The request is forwarded, all of it, to this service, subset or port. */
  routesTo(target: TargetLike): Expectation;
  /** The route that matches has this name (`.named()` in mesh.ts, else `<service>-<index>`). */
  usesRoute(name: string): Expectation;
  /** Weighted split: keys are subset names of the called service, service names, or `service/subset`. */
  splits(shares: Readonly<Record<string, number>>): Expectation;
  /** The route timeout; `null`: no timeout. */
  withTimeout(timeout: Duration | null): Expectation;
  /** Retries after the first try (Envoy's num_retries), optionally the conditions and per-try timeout. */
  retries(attempts: number, options?: { on?: (RetryOn | (string & {}))[]; perTry?: Duration }): Expectation;
  noRetries(): Expectation;
  /** The upstream receives this request header with this value; `null`: without it. */
  withRequestHeader(name: string, value: string | null): Expectation;
  /** The caller receives this response header (as the route sets it); `null`: the route removes it. */
  withResponseHeader(name: string, value: string | null): Expectation;
  /** The upstream receives this path (after rewrites; the query is kept). */
  withUpstreamPath(path: string): Expectation;
  redirects(to?: { location?: string; status?: 301 | 302 | 303 | 307 | 308 }): Expectation;
  respondsWith(status: number, body?: string): Expectation;
  /** Fault injection on the route: an abort status (HTTP or `{ grpc }`) and/or a delay, at `percent`. */
  injectsFault(fault: { abort?: number | { grpc: number }; delay?: Duration; percent?: number }): Expectation;
  rateLimited(limit: { tokens: number; per: Duration; burst?: number }): Expectation;
  /** The callee's sidecar lets it through (optionally: allowed by this rule). */
  isAllowed(rule?: string): Expectation;
  /** The callee's sidecar refuses it with 403 (optionally: denied by this rule). */
  isDenied(rule?: string): Expectation;
  /** No route matches (404 from the caller's sidecar). */
  isNotRouted(): Expectation;
}

export interface MeshTestContext {
  expect(request: TestRequest): Expectation;
}

const REGISTRY = Symbol.for("meshc.test.registry");
const MAX_CASES = 10_000;

function registry(): RecordedSuite[] {
  const g = globalThis as Record<symbol, unknown>;
  return ((g[REGISTRY] as RecordedSuite[] | undefined) ??= []);
}

function plainSite(s: SourceSite): Site {
  return { file: s.file, line: s.line, column: s.column };
}

function serviceName(s: ServiceLike, what: string): string {
  if (typeof s === "string") return s;
  if (s && typeof s === "object" && (s as unknown as Record<symbol, unknown>)[SERVICE_REF] === true) return s.name;
  throw new TypeError(`${what}: a service reference or a service name`);
}

function target(t: TargetLike): Target {
  if (typeof t === "string") return { service: t };
  const r = t as unknown as Record<symbol, unknown> & Record<string, unknown>;
  if (r[SERVICE_REF] === true) return { service: String(r.name) };
  if (r[SUBSET_REF] === true) return { service: String(r.service), subset: String(r.subset) };
  if (r[PORT_REF] === true) return { service: String(r.service), port: String(r.port) };
  if (typeof r.service === "string") {
    return { service: r.service, ...(typeof r.subset === "string" ? { subset: r.subset } : {}), ...(typeof r.port === "string" ? { port: r.port } : {}) };
  }
  throw new TypeError("routesTo: a service, subset or port reference, or a service name");
}

/** Describes one request through the mesh. */
export function request(options: RequestOptions): TestRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.headers ?? {})) headers[k] = String(v);
  const grpc = options.grpc !== undefined;
  let path = options.path;
  if (options.grpc && options.grpc !== true) path ??= `/${options.grpc.service}/${options.grpc.method}`;
  return {
    from: serviceName(options.from, "request({ from })"),
    to: serviceName(options.to, "request({ to })"),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.authority !== undefined ? { authority: options.authority } : {}),
    ...(options.method !== undefined ? { method: options.method } : {}),
    ...(path !== undefined ? { path } : {}),
    headers,
    grpc,
    ...(options.tcp ? { tcp: true as const } : {}),
  };
}

/** Declares the expectations of one mesh. `mesh` is mesh.ts's default export. */
export function meshTest(mesh: MeshDefinition | Promise<MeshDefinition>, body: (t: MeshTestContext) => void, name?: string): void {
  const suite: RecordedSuite = { site: plainSite(captureSite(meshTest)), mesh, cases: [], ...(name !== undefined ? { name } : {}) };
  registry().push(suite);
  let count = 0;
  const t: MeshTestContext = {
    expect(req: TestRequest): Expectation {
      if (++count > MAX_CASES) throw new RangeError(`more than ${MAX_CASES} expectations in one meshTest`);
      const c: RecordedCase = { site: plainSite(captureSite(t.expect)), request: req, assertions: [] };
      suite.cases.push(c);
      const add = (a: Assertion, api: Function): Expectation => {
        if (c.assertions.length >= 100) throw new RangeError("more than 100 assertions on one request");
        c.assertions.push({ ...a, site: plainSite(captureSite(api)) });
        return e;
      };
      const e: Expectation = {
        routesTo: (to) => add({ kind: "routesTo", target: target(to) }, e.routesTo),
        usesRoute: (n) => add({ kind: "route", name: String(n) }, e.usesRoute),
        splits: (shares) => add({ kind: "splits", shares: Object.entries(shares).map(([key, percent]) => ({ key, percent: Number(percent) })) }, e.splits),
        withTimeout: (d) => add({ kind: "timeout", duration: d === null ? null : String(d) }, e.withTimeout),
        retries: (attempts, o) => add({ kind: "retries", attempts: Number(attempts), ...(o?.on ? { on: o.on.map(String) } : {}), ...(o?.perTry ? { perTry: String(o.perTry) } : {}) }, e.retries),
        noRetries: () => add({ kind: "noRetries" }, e.noRetries),
        withRequestHeader: (n, v) => add({ kind: "requestHeader", name: String(n), value: v === null ? null : String(v) }, e.withRequestHeader),
        withResponseHeader: (n, v) => add({ kind: "responseHeader", name: String(n), value: v === null ? null : String(v) }, e.withResponseHeader),
        withUpstreamPath: (p) => add({ kind: "upstreamPath", path: String(p) }, e.withUpstreamPath),
        redirects: (to) => add({ kind: "redirect", ...(to?.location !== undefined ? { location: to.location } : {}), ...(to?.status !== undefined ? { status: to.status } : {}) }, e.redirects),
        respondsWith: (status, body) => add({ kind: "respond", status: Number(status), ...(body !== undefined ? { body: String(body) } : {}) }, e.respondsWith),
        injectsFault: (f) =>
          add(
            {
              kind: "fault",
              ...(typeof f.abort === "number" ? { abort: f.abort } : f.abort ? { grpcAbort: f.abort.grpc } : {}),
              ...(f.delay !== undefined ? { delay: String(f.delay) } : {}),
              ...(f.percent !== undefined ? { percent: f.percent } : {}),
            },
            e.injectsFault,
          ),
        rateLimited: (l) => add({ kind: "rateLimit", tokens: l.tokens, per: String(l.per), ...(l.burst !== undefined ? { burst: l.burst } : {}) }, e.rateLimited),
        isAllowed: (rule) => add({ kind: "allowed", ...(rule !== undefined ? { rule } : {}) }, e.isAllowed),
        isDenied: (rule) => add({ kind: "denied", ...(rule !== undefined ? { rule } : {}) }, e.isDenied),
        isNotRouted: () => add({ kind: "notRouted" }, e.isNotRouted),
      };
      return e;
    },
  };
  body(t);
}
