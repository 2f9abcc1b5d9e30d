// fast-check arbitraries for whole meshes (MeshSpec) over the DSL's value space: names at their length and
// character limits, every port protocol, static and DNS instances with localities, labels and weights, subsets,
// every route match (path exact/prefix/regex, headers incl. present/invert, query, methods, gRPC) and action
// (forward, weighted split, redirect, direct response), header operations, retries, timeouts, mirrors, rewrites,
// faults, rate limits, policies (circuit breakers, outlier detection, health checks, every load balancer and hash
// key, locality failover), TCP routes, proxyless clients and mesh defaults. Values are mostly valid (so most meshes
// compile and reach Envoy) with a share of edge values that meshc must either reject or Envoy must accept.
import fc from "fast-check";
import type { HeaderOps, MatchOptions, PolicyOptions, Protocol, RetryOptions } from "../../src/dsl/types.js";
import type { EndpointSpec, MeshSpec, RouteSpec, ServiceSpec, TargetSpec } from "./spec.js";

const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);
/** Mostly `good`, sometimes `bad` (edge values meshc must reject or Envoy must accept). */
const mix = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>, badShare = 0.1) =>
  fc.oneof({ weight: Math.round((1 - badShare) * 100), arbitrary: good }, { weight: Math.round(badShare * 100), arbitrary: bad });
/** `a` with probability `p`, else undefined (shrinks towards undefined). */
const opt = <T>(a: fc.Arbitrary<T>, p = 0.5): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: Math.round((1 - p) * 100), arbitrary: fc.constant(undefined) }, { weight: Math.round(p * 100), arbitrary: a });

// ---- leaf values ----------------------------------------------------------------------------------------------

const SERVICE_NAMES = ["a", "api", "web", "db", "x1", "svc-2", "0", "z".repeat(63), "a-b-c-d", "catalog", "pay", "geo"];
const ELEMENT_NAMES = ["web", "v1", "v2", "p.1", "A_b", "x", "canary", "Z9", "a-b.c_d", "q".repeat(60)];
const LABEL_VALUES = ["v1", "v2", "", "a b", "é", "x".repeat(200), "1", "true"];
const headerNames = mix(
  pick("x-a", "x-canary", "X-Upper", "user-agent", "content-type", "te", "connection", "x-envoy-foo", "cookie", "a", "x_y", "x-" + "h".repeat(100), "!#$%&'*+-.^_`|~"),
  pick("host", ":authority", ":path", ":method", ":status", "Host"),
  0.01,
);
export const headerValues = mix(
  pick(
    "", "1", "plain value", "é ü", "%%", "100%%", "%REQ(x-a)%", "%REQ(:path)%", "%HOSTNAME%", "%START_TIME%",
    "%START_TIME(%s)%", "%DOWNSTREAM_REMOTE_ADDRESS%", "%UPSTREAM_METADATA([\"a\",\"b\"])%", "%RESP(x-b)%", "%REQ(x-a):5%",
    "%PROTOCOL%", "%UNIQUE_ID%", "%ENVIRONMENT(HOME)%", "%REQ(x-a?x-b)%", "%DYNAMIC_METADATA(a:b)%", "%FILTER_STATE(k)%", "x".repeat(300),
  ),
  pick("%NOPE%", "100%", "%", "a%b", "%REQ()%", "%hostname%", "%HOSTNAME(x)%", "%REQ(a?b?c)%"),
  0.01,
);
const matchStrings = mix(pick("/", "/a", "/api/v1", "", "/x y", "/é", "/a?b", "/" + "p".repeat(500), "/%41"), pick("a", "*"), 0.03);
export const regexes = pick(
  ".*", "/a/[0-9]+", "^/x$", "/(a|b)/c", "\\d+", "[[:alpha:]]+", "a{2,3}", "(?i)abc", "/\\w+/\\s*", "\\Q.\\E", "\\pL+",
  "[^\\x00-\\x7F]", "(?P<n>x)y", "a{100}", "(a{10}){10}", "[a-z]{50}", "(abc|def|ghi|jkl|mno|pqr|stu|vwx){5}", "x*?", "^$",
  "\\x{41}", "(?s).", "[\\p{Greek}]", "a{1000}", "(a*)*",
);
const durations = pick("0ms", "1ms", "49ms", "50ms", "250ms", "1s", "1.5s", "2m", "1h", "10s", "999ms", "24h");
const positiveDurations = pick("1ms", "49ms", "50ms", "250ms", "1s", "1.5s", "2m", "1h", "10s");
const percents = pick(0, 0.01, 0.5, 1, 10, 33.3, 50, 99.99, 100);
const u32s = pick(0, 1, 2, 5, 100, 1024, 2 ** 31 - 1, 2 ** 32 - 1);
const httpStatus = pick(200, 201, 204, 302, 400, 404, 418, 429, 500, 503, 599);
const bodies = pick("", "ok", "é".repeat(10), "{\"a\":1}", "x".repeat(4096), "x".repeat(4097), "é".repeat(2049), "%NOPE%", "line\nbreak");

// ---- structure ------------------------------------------------------------------------------------------------

interface Shape {
  names: string[];
  protocols: Protocol[][];
  /** Empty for a service whose instances come from DNS (no labels to select). */
  subsets: string[][];
  dns: boolean[];
}

const shape: fc.Arbitrary<Shape> = fc
  .uniqueArray(pick(...SERVICE_NAMES), { minLength: 1, maxLength: 5 })
  .chain((names) =>
    fc
      .record({
        names: fc.constant(names),
        protocols: fc.tuple(...names.map(() => fc.array(pick<Protocol>("http", "http2", "grpc", "tcp"), { minLength: 0, maxLength: 3 }))),
        subsets: fc.tuple(...names.map(() => fc.uniqueArray(pick(...ELEMENT_NAMES), { maxLength: 3 }))),
        dns: fc.tuple(...names.map(() => fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }))),
      })
      .map((sh) => ({ ...sh, subsets: sh.subsets.map((s, i) => (sh.dns[i] ? [] : s)) })),
  );

function targetOf(sh: Shape, i: number): fc.Arbitrary<TargetSpec> {
  const subs = sh.subsets[i]!;
  const service = sh.names[i]!;
  return subs.length ? fc.oneof(fc.constant({ service }), pick(...subs).map((subset) => ({ service, subset }))) : fc.constant({ service });
}

/** Targets of services that have a protocol in `protos` (or any service when none has). */
function targetsWith(sh: Shape, protos: Protocol[]): fc.Arbitrary<TargetSpec> {
  const idx = sh.names.map((_, i) => i).filter((i) => sh.protocols[i]!.some((p) => protos.includes(p)));
  const use = idx.length ? idx : sh.names.map((_, i) => i);
  return fc.oneof(...use.map((i) => targetOf(sh, i)));
}

function service(sh: Shape, i: number): fc.Arbitrary<ServiceSpec> {
  const name = sh.names[i]!;
  const protos = sh.protocols[i]!;
  const portEntries = protos.map((p, k) => fc.record({ protocol: fc.constant(p), port: fc.constant(8000 + 10 * k + p.length), app: fc.constant(9000 + 10 * k + i) }));
  const firstPort = protos.length ? 8000 + protos[0]!.length : 8080;
  const labelKeys = ["track", "v"];
  const subsets = sh.subsets[i]!;
  // Instance n carries version=<subset n mod count>, so every subset selects at least one instance.
  const version = (n: number) => (subsets.length ? { version: subsets[n % subsets.length]! } : {});
  const endpoint = (n: number): fc.Arbitrary<EndpointSpec | string> =>
    fc.oneof(
      ...(subsets.length ? [] : [{ weight: 1, arbitrary: fc.constant(`10.${i}.0.${n + 1}:${firstPort}`) }]),
      {
        weight: 3,
        arbitrary: fc.record(
          {
            address: pick(`10.${i}.1.${n + 1}`, `fd00::${i + 1}:${n + 1}`),
            port: protos.length ? opt(fc.constant(firstPort), 0.3) : fc.constant(firstPort),
            locality: opt(fc.record({ region: opt(pick("eu", "us")), zone: opt(pick("eu-a", "eu-b", "us-a")), subZone: opt(pick("r1", "r2")) }), 0.4),
            labels: fc.dictionary(pick(...labelKeys), pick(...LABEL_VALUES), { maxKeys: 2 }).map((l) => ({ ...l, ...version(n) })),
            weight: opt(pick(1, 2, 100, 128)),
          },
          { requiredKeys: ["address", "port", "labels"] },
        ).map(clean) as fc.Arbitrary<EndpointSpec>,
      },
    );
  const instances = sh.dns[i]
    ? fc.record({ dns: pick(`${name}.internal`, "x.example.com", "a"), port: fc.constant(firstPort) })
    : fc.integer({ min: Math.max(1, subsets.length), max: Math.max(3, subsets.length) }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, k) => endpoint(k))));
  return fc.record(
    {
      name: fc.constant(name),
      ports: fc.tuple(...portEntries).map((ps) => Object.fromEntries(ps.map((p, k) => [["web", "rpc", "h2", "db", "p-1"][k % 5] + (k >= 5 ? k : ""), p]))),
      instances: instances as fc.Arbitrary<ServiceSpec["instances"]>,
      subsets: fc.constant(Object.fromEntries(subsets.map((s) => [s, { version: s }]))),
      identity: opt(mix(pick(`/ns/prod/sa/${name}`, "/a/b/c"), pick("/x.y~z")), 0.15),
      proxyless: opt(fc.boolean(), 0.15),
      rateLimit: opt(rateLimit(), 0.15),
      sidecar: opt(
        fc.record(
          {
            adminPort: opt(fc.constant(16000 + 2 * i)),
            outboundPort: opt(fc.constant(16001 + 2 * i)),
            inboundAddress: opt(pick("0.0.0.0", `10.${i}.1.1`, "::", "127.0.0.1")),
          },
          { requiredKeys: [] },
        ).map(clean),
        0.3,
      ),
      calls: fc.subarray(sh.names),
    },
    { requiredKeys: ["name", "ports", "instances", "subsets", "calls"] },
  ) as fc.Arbitrary<ServiceSpec>;
}

function rateLimit() {
  return fc.record({ tokens: pick(1, 10, 1000, 2 ** 32 - 1), per: mix(pick("50ms", "1s", "1.5s", "2m", "1h"), pick("1ms", "49ms")), burst: opt(pick(1, 10, 5000)) }, { requiredKeys: ["tokens", "per"] });
}

function stringMatch() {
  return fc.oneof(matchStrings.map((exact) => ({ exact })), matchStrings.map((prefix) => ({ prefix })), regexes.map((regex) => ({ regex })));
}

function valueMatch(invert: boolean) {
  const base = fc.oneof(
    { weight: 2, arbitrary: headerValues.filter((v) => !v.includes("\n")) },
    { weight: 1, arbitrary: headerValues.map((exact) => ({ exact })) },
    { weight: 1, arbitrary: headerValues.map((prefix) => ({ prefix })) },
    { weight: 1, arbitrary: regexes.map((regex) => ({ regex })) },
    { weight: 1, arbitrary: fc.constant({ present: true as const }) },
  );
  if (!invert) return base;
  return fc.tuple(base, fc.boolean()).map(([m, inv]) => (typeof m === "string" || !inv ? m : { ...m, invert: true }));
}

function match(grpcOk: boolean): fc.Arbitrary<MatchOptions | undefined> {
  const m = fc.record(
    {
      path: opt(stringMatch()),
      headers: opt(fc.dictionary(headerNames.filter((h) => !h.startsWith(":") || h === ":authority"), valueMatch(true), { maxKeys: 2 })),
      query: opt(fc.dictionary(pick("q", "a b", "x", "%"), valueMatch(false), { maxKeys: 2 })),
      method: opt(fc.oneof(pick("GET", "POST", "HEAD"), fc.uniqueArray(pick("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"), { minLength: 1, maxLength: 4 }))),
      grpc: grpcOk ? opt(fc.record({ service: pick("pkg.Svc", "a.b.C", "S"), method: opt(pick("Get", "List_2")) }, { requiredKeys: ["service"] }), 0.3) : fc.constant(undefined),
    },
    { requiredKeys: [] },
  ) as fc.Arbitrary<MatchOptions>;
  return opt(m.map((x) => (x.grpc ? { ...x, path: undefined } : x)).map(clean), 0.85);
}

function retries(grpcOk: boolean): fc.Arbitrary<RetryOptions> {
  return fc.record(
    {
      attempts: pick(1, 2, 3, 10, 2 ** 32 - 1),
      perTry: opt(positiveDurations),
      on: opt(fc.uniqueArray(pick("5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "retriable-4xx", "refused-stream", "envoy-ratelimited"), { maxLength: 4 })),
      statusCodes: opt(fc.uniqueArray(pick(100, 404, 409, 500, 503, 599), { maxLength: 3 })),
      grpcCodes: grpcOk ? opt(fc.uniqueArray(pick("cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable"), { maxLength: 3 })) : fc.constant(undefined),
      backoff: opt(fc.record({ base: positiveDurations, max: opt(pick("2h", "1ms", "10s")) }, { requiredKeys: ["base"] })),
    },
    { requiredKeys: ["attempts"] },
  ).map(clean) as fc.Arbitrary<RetryOptions>;
}

function headerOps(): fc.Arbitrary<HeaderOps> {
  return fc
    .record(
      {
        add: opt(fc.dictionary(headerNames, headerValues.filter((v) => !v.includes("\n")), { maxKeys: 2 })),
        set: opt(fc.dictionary(headerNames, headerValues.filter((v) => !v.includes("\n")), { maxKeys: 2 })),
        remove: opt(fc.uniqueArray(headerNames, { maxLength: 2 })),
      },
      { requiredKeys: [] },
    )
    .map(clean) as fc.Arbitrary<HeaderOps>;
}

function route(sh: Shape, owner: number): fc.Arbitrary<RouteSpec> {
  const grpcOk = sh.protocols[owner]!.includes("grpc");
  const http = targetsWith(sh, ["http", "http2", "grpc"]);
  const action = fc.oneof(
    { weight: 4, arbitrary: http.map((to) => ({ to })) },
    {
      weight: 3,
      arbitrary: fc.array(fc.tuple(http, fc.constant(0)), { minLength: 1, maxLength: 3 }).chain((bs) =>
        fc.oneof(
          { weight: 6, arbitrary: fc.constant(hundred(bs)) },
          { weight: 1, arbitrary: fc.constant(bs.map(([t], k) => [t, k === 0 ? 90 : 20] as [TargetSpec, number])) },
          { weight: 1, arbitrary: fc.constant(bs.map(([t], k) => [t, k === 0 ? 100 : 0] as [TargetSpec, number])) },
        ).map((split) => ({ split })),
      ),
    },
    {
      weight: 1,
      arbitrary: fc
        .record(
          {
            scheme: opt(pick("http" as const, "https" as const)),
            host: opt(mix(pick("example.com", "a.b:8443", "[::1]:80", "10.0.0.1"), pick("a b", "", "x/y", "é.com"))),
            path: opt(mix(pick("/", "/new", "/a?b=c", "/%41"), pick("", "rel", "/a b"))),
            prefix: opt(mix(pick("/", "/v2/"), pick("", "v2"))),
            status: opt(pick(301 as const, 302 as const, 303 as const, 307 as const, 308 as const)),
          },
          { requiredKeys: [] },
        )
        .map((r) => clean(r.path !== undefined ? { ...r, prefix: undefined } : r))
        .map((redirect) => ({ redirect })),
    },
    { weight: 1, arbitrary: fc.record({ status: httpStatus, body: opt(bodies) }, { requiredKeys: ["status"] }).map((r) => ({ respond: clean(r) })) },
  );
  return action.chain((a) => {
    const forward = "to" in a || "split" in a;
    return fc
      .record(
        {
          match: match(grpcOk),
          action: fc.constant(a),
          named: opt(pick("r1", "Route.A", "x-" + "n".repeat(60)), 0.2),
          timeout: forward ? opt(durations, 0.3) : fc.constant(undefined),
          idleTimeout: forward ? opt(durations, 0.2) : fc.constant(undefined),
          retries: forward ? opt(retries(grpcOk), 0.3) : fc.constant(undefined),
          mirror: forward ? opt(fc.record({ target: http, percent: opt(percents) }, { requiredKeys: ["target"] }).map(clean), 0.15) : fc.constant(undefined),
          rewrite: forward
            ? opt(
                fc.oneof(
                  fc.record({ prefix: mix(pick("/", "/v2/"), pick("", "x", "/a b")), host: opt(mix(pick("new.example", "h:81"), pick("a b", ""))) }, { requiredKeys: ["prefix"] }),
                  fc.record({ fullPath: mix(pick("/", "/only"), pick("x", "/a\\1", "/a b")), host: opt(pick("new.example")) }, { requiredKeys: ["fullPath"] }),
                  fc.record({ host: mix(pick("new.example", "h:81", "[fd00::1]:8080"), pick("a b", "")) }),
                ).map(clean),
                0.2,
              )
            : fc.constant(undefined),
          requestHeaders: fc.array(headerOps(), { maxLength: 2 }),
          responseHeaders: fc.array(headerOps(), { maxLength: 2 }),
          fault: opt(
            fc
              .record(
                {
                  delay: opt(fc.record({ fixed: durations, percent: opt(percents) }, { requiredKeys: ["fixed"] }).map(clean)),
                  abort: opt(
                    fc.oneof(
                      fc.record({ status: pick(200, 400, 503, 599), percent: opt(percents) }, { requiredKeys: ["status"] }),
                      fc.record({ grpcStatus: pick(0, 1, 14, 16), percent: opt(percents) }, { requiredKeys: ["grpcStatus"] }),
                    ).map(clean),
                  ),
                },
                { requiredKeys: [] },
              )
              .filter((f) => f.delay !== undefined || f.abort !== undefined)
              .map(clean),
            0.15,
          ),
          rateLimit: opt(rateLimit(), 0.1),
        },
        { requiredKeys: ["action", "requestHeaders", "responseHeaders"] },
      )
      .map(clean) as fc.Arbitrary<RouteSpec>;
  });
}

/** Weights that sum to exactly 100 for these backends (integers, or fractions in hundredths). */
function hundred(bs: [TargetSpec, number][]): [TargetSpec, number][] {
  const n = bs.length;
  const base = Math.floor(100 / n);
  return bs.map(([t], k) => [t, k === 0 ? 100 - base * (n - 1) : base]);
}

function policy(sh: Shape, i: number | undefined): fc.Arbitrary<PolicyOptions> {
  void sh;
  const hashKey = fc.oneof(
    headerNames.filter((h) => !h.startsWith(":")).map((header) => ({ header })),
    fc.record({ cookie: pick("sid", "a b", "x"), ttl: opt(durations) }, { requiredKeys: ["cookie"] }).map(clean),
    fc.constant({ sourceIp: true as const }),
    pick("q", "user").map((query) => ({ query })),
  );
  const lb = fc.oneof(
    pick("round-robin" as const, "least-request" as const, "random" as const),
    fc.oneof(hashKey, fc.array(hashKey, { minLength: 0, maxLength: 3 })).map((hashOn) => ({ ringHash: { hashOn } })),
    fc.oneof(hashKey, fc.array(hashKey, { minLength: 1, maxLength: 3 })).map((hashOn) => ({ maglev: { hashOn } })),
  );
  const grpcOk = i === undefined || sh.protocols[i]!.includes("grpc");
  return fc
    .record(
      {
        connectTimeout: opt(positiveDurations),
        idleTimeout: opt(durations),
        timeout: opt(durations),
        retries: opt(retries(grpcOk), 0.3),
        circuitBreaker: opt(
          fc
            .record(
              {
                maxConnections: opt(u32s),
                maxPending: opt(u32s),
                maxRequests: opt(u32s),
                maxRetries: opt(u32s),
                retryBudget: opt(fc.record({ percent: percents, minConcurrency: opt(u32s) }, { requiredKeys: ["percent"] }).map(clean)),
              },
              { requiredKeys: [] },
            )
            .map(clean),
          0.3,
        ),
        outlierDetection: opt(
          fc
            .record(
              {
                consecutive5xx: opt(u32s),
                consecutiveGatewayErrors: opt(u32s),
                interval: opt(positiveDurations),
                baseEjection: opt(positiveDurations),
                maxEjectionPercent: opt(percents),
              },
              { requiredKeys: [] },
            )
            .map(clean),
          0.3,
        ),
        healthCheck: opt(
          fc
            .tuple(
              fc.oneof(pick("/", "/healthz", "/a b", "/%", "/" + "h".repeat(300)).map((http) => ({ http })), fc.record({ service: opt(pick("", "pkg.Health", "a b")) }).map((g) => ({ grpc: clean(g) })), fc.constant({ tcp: {} })),
              fc.record({ interval: opt(positiveDurations), timeout: opt(positiveDurations), healthy: opt(pick(1, 2, 2 ** 32 - 1)), unhealthy: opt(pick(1, 3)) }, { requiredKeys: [] }),
            )
            .map(([k, rest]) => clean({ ...k, ...rest })),
          0.25,
        ),
        loadBalancer: opt(lb, 0.4),
        localityFailover: opt(fc.uniqueArray(pick("eu", "us", "eu-a", "eu-b", "us-a", "r1", "mars"), { minLength: 1, maxLength: 3 }), 0.2),
      },
      { requiredKeys: [] },
    )
    .map(clean) as fc.Arbitrary<PolicyOptions>;
}

/** A whole mesh. */
export const meshSpec: fc.Arbitrary<MeshSpec> = shape.chain((sh) => {
  const n = sh.names.length;
  const httpOwners = sh.names.map((_, i) => i).filter((i) => sh.protocols[i]!.some((p) => p !== "tcp"));
  const tcpOwners = sh.names.map((_, i) => i).filter((i) => sh.protocols[i]!.includes("tcp"));
  return fc.record(
    {
      name: pick("mesh", "m", "shop-1", "n".repeat(63)),
      trustDomain: pick("mesh.example", "td", "a_b-c.d"),
      defaults: opt(policy(sh, undefined), 0.3),
      services: fc.tuple(...sh.names.map((_, i) => service(sh, i))),
      routes: fc
        .subarray(httpOwners)
        .chain((owners) => fc.tuple(...owners.map((i) => fc.array(route(sh, i), { minLength: 1, maxLength: 4 }).map((routes) => ({ service: sh.names[i]!, routes }))))),
      tcpRoutes: fc.subarray(tcpOwners).chain((owners) =>
        fc.tuple(
          ...owners.map((i) =>
            fc
              .record(
                {
                  service: fc.constant(sh.names[i]!),
                  split: opt(fc.array(fc.tuple(targetsWith(sh, ["tcp"]), fc.constant(0)), { minLength: 1, maxLength: 3 }).map(hundred)),
                  connectTimeout: opt(positiveDurations),
                  idleTimeout: opt(durations),
                },
                { requiredKeys: ["service"] },
              )
              .map(clean),
          ),
        ),
      ),
      policies: fc.subarray(sh.names.map((_, i) => i)).chain((idx) => fc.tuple(...idx.map((i) => policy(sh, i).map((options) => ({ service: sh.names[i]!, options }))))),
    },
    { requiredKeys: ["name", "trustDomain", "services", "routes", "tcpRoutes", "policies"] },
  ).map((m) => {
    // Every service calls at least what it declared; TCP outbound ports are left to meshc's defaults.
    void n;
    return clean(m) as MeshSpec;
  });
});

/** Drops keys whose value is undefined (fc.record with optional keys may still produce them). */
function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
