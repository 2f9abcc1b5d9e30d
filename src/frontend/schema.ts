// Stage 3: zod schema of the evaluated model: the rules TypeScript's types cannot express (ranges, formats,
// exactly-one-of) and anything that slipped past them (`as any`, values computed at run time). Objects are strict so
// an unknown option is reported rather than ignored. Messages say what was expected and quote what was given.
// schema-fast.ts accepts the common shapes of a service without zod: a rule made stricter here must be made at
// least as strict there (test/frontend/schema-fast.test.ts mutates values at every path to check "fast-accepted
// implies zod-accepted", but only with the edge cases it knows).
import * as z from "zod";
import {
  isEndpointString,
  DNS_LABEL,
  EGRESS_MODES,
  GRPC_RETRY_CODES,
  HEADER,
  HOST,
  IDENTITY,
  isIpAddress,
  isIpEndpointString,
  LB_POLICIES,
  METHODS,
  MTLS_MODES,
  NAME,
  PROTOCOLS,
  PROXYLESS_GRPC,
  RETRY_ON,
  TRUST_DOMAIN,
} from "./schema-patterns.js";
import { provideZodSchemas } from "./schema-fast.js";
import { durationMs, MAX_DURATION, MAX_DURATION_MS } from "./duration.js";
import { telemetrySchemas } from "./telemetry-schema.js";
import { authorization } from "./schema-authz.js";
import { patches } from "./schema-patch.js";

const show = (v: unknown) => {
  if (typeof v === "string") return JSON.stringify(v);
  try {
    return typeof v === "object" ? (JSON.stringify(v) ?? String(v)) : String(v);
  } catch {
    return Object.prototype.toString.call(v); // a cyclic object or a BigInt inside one: still a message, not a crash
  }
};

const nonEmpty = (what: string) => z.string({ error: `expected ${what} (a string)` }).min(1, { error: `${what} must not be empty` });

const intIn = (what: string, min: number, max: number) =>
  z
    .number({ error: (i) => `expected ${what} (a number), got ${show(i.input)}` })
    .refine((v) => Number.isInteger(v) && v >= min && v <= max, { error: (i) => `${what} must be an integer from ${min} to ${max}, got ${show(i.input)}` });

const MAX_INT = 2 ** 32 - 1;
const count = (what: string, min = 0) => intIn(what, min, MAX_INT);
export const port = intIn("a port number", 1, 65535);
/** The smallest percentage other than 0 that Envoy can express (FractionalPercent per million). */
export const MIN_PERCENT = 0.0001;
export const percent = z
  .number({ error: (i) => `expected a percentage (a number), got ${show(i.input)}` })
  .refine((v) => v >= 0 && v <= 100, { error: (i) => `a percentage must be from 0 to 100, got ${show(i.input)}` })
  // Envoy's finest FractionalPercent is one in a million: anything smaller would round to 0 % (values.ts) silently.
  .refine((v) => v <= 0 || v >= MIN_PERCENT, {
    error: (i) => `a percentage other than 0 must be at least ${MIN_PERCENT} (one in a million, Envoy's finest resolution), got ${show(i.input)}`,
    params: { hint: `Use 0 for none, or at least ${MIN_PERCENT}; finer shares round to the nearest millionth.` },
  });

export const duration = z
  .string({ error: (i) => `expected a duration like "250ms", "1.5s" or "2m", got ${show(i.input)}` })
  .refine((v) => durationMs(v) !== undefined, {
    error: (i) => `expected a duration like "250ms", "1.5s" or "2m" (a whole number of milliseconds), got ${show(i.input)}`,
    abort: true,
  })
  .refine((v) => (durationMs(v) ?? 0) <= MAX_DURATION_MS, {
    error: (i) => `a duration must be at most "${MAX_DURATION}" (about 292 years, the longest Envoy accepts), got ${show(i.input)}`,
    params: { hint: `Use a shorter duration, at most "${MAX_DURATION}"; a route or policy timeout of "0s" turns the timeout off.` },
    abort: true,
  });
const { telemetry, traceSampling } = telemetrySchemas({ duration, percent, port });
const positiveDuration = duration.refine((v) => (durationMs(v) ?? 0) > 0, { error: "must be longer than 0ms" });

const serviceName = z
  .string({ error: (i) => `expected a service name (a string), got ${show(i.input)}` })
  .regex(DNS_LABEL, { error: (i) => `a service name must be a lowercase DNS label (a-z, 0-9, "-", at most 63 characters), got ${show(i.input)}` });
const elementName = (what: string) =>
  z.string().regex(NAME, { error: (i) => `${what} must be letters, digits, "-", "_" or "." (starting and ending alphanumeric), got ${show(i.input)}` });
const headerName = z.string().regex(HEADER, { error: (i) => `invalid header name ${show(i.input)}` });
const hostname = z.string().regex(HOST, { error: (i) => `expected a DNS hostname, got ${show(i.input)}` });
// A static instance is an EDS endpoint and Envoy resolves no name there: a hostname is declared with dns() (or an
// external service's resolution "dns"), where a DNS cluster resolves it.
const address = z.string().refine(isIpAddress, {
  error: (i) => `expected an IP address (IPv4 without leading zeros, or IPv6), got ${show(i.input)}: Envoy does not resolve a static instance's name (declare a hostname with dns("<host>", <port>), or resolution "dns" for an external service)`,
});
// An address a listener binds: Envoy refuses a name there ("malformed IP address: localhost").
const bindAddress = z.string().refine(isIpAddress, {
  error: (i) => `expected an IP address to bind (IPv4 without leading zeros, or IPv6, e.g. "0.0.0.0", "127.0.0.1" or "::"), got ${show(i.input)}: Envoy binds a listener to an address, not a hostname`,
});

/** Exactly one of `keys` set on an object (a refinement for strict objects with optional keys). */
function exactlyOne<T extends Record<string, unknown>>(schema: z.ZodType<T>, keys: string[], what: string) {
  return schema.refine((v) => keys.filter((k) => v[k] !== undefined).length === 1, {
    error: (i) => `${what} needs exactly one of ${keys.join(", ")}, got ${show(Object.keys(i.input as object).filter((k) => keys.includes(k)))}`,
  });
}

const ref = z.strictObject(
  { service: z.string(), subset: z.string().optional(), port: z.string().optional() },
  { error: (i) => `expected a service or subset reference (what mesh.service() returned), got ${show(i.input)}` },
);

const labels = z.record(z.string().min(1, { error: "a label key must not be empty" }), z.string({ error: "a label value must be a string" }));

const mtlsMode = z.enum(MTLS_MODES, { error: (i) => `expected mtls "strict", "permissive" or "off", got ${show(i.input)}` });
const portModel = z.strictObject(
  { protocol: z.enum(PROTOCOLS), port, app: port.optional(), mtls: mtlsMode.optional() },
  { error: (i) => `expected a port such as http(8080), got ${show(i.input)}` },
);

// Per-port instance numbers, by service port name; names the service lacks are reported by analysis (MESH0108).
const instancePorts = z.record(elementName("a port name"), port);
const notBoth = (v: { port?: unknown; ports?: unknown }) => v.port === undefined || v.ports === undefined;
const notBothError = { error: "give either port (a single-port service) or ports (by port name), not both", path: ["ports"] };
const endpoint = z.strictObject({
  address,
  port: port.optional(),
  ports: instancePorts.optional(),
  locality: z.strictObject({ region: z.string().optional(), zone: z.string().optional(), subZone: z.string().optional() }).optional(),
  labels: labels.optional(),
  weight: count("a weight", 1).optional(),
  // An instance's own sidecar ports (issue 13); unknown app port names are MESH0238.
  sidecar: z.strictObject({ adminPort: port.optional(), outboundPort: port.optional(), app: instancePorts.optional() }).optional(),
}).refine(notBoth, notBothError);
const endpointString = z.string().refine(isIpEndpointString, {
  error: (i) => `expected "address:port" (an IP address Envoy parses, "[v6]:port" for IPv6) with a port from 1 to 65535, got ${show(i.input)}${isEndpointString(i.input as string) ? `: Envoy does not resolve a static instance's name (declare a hostname with dns("<host>", <port>), or resolution "dns" for an external service)` : ""}`,
});
const dnsModel = z.object({ dns: hostname, port: port.optional(), ports: instancePorts.optional() }).refine(notBoth, notBothError);
// registry({ key }) (issue 16): the key's form is checked by analysis (MESH0801), so check reports it with a code.
const registryModel = z.object({ registry: z.string({ error: (i) => `expected registry({ key: "<service key>" }), got ${show(i.input)}` }) });
const instances = z.union([z.array(z.union([endpointString, registryModel, endpoint])), dnsModel, registryModel], {
  error: (i) => `expected a list of instances, dns(hostname) or registry({ key }), got ${show(i.input)}`,
});
const ETCD_URL = /^https?:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;
const discovery = z.strictObject({
  etcd: z.strictObject({
    endpoints: z
      .array(z.string().regex(ETCD_URL, { error: (i) => `expected an etcd URL such as "http://127.0.0.1:2379", got ${show(i.input)}` }))
      .min(1, { error: "etcd needs at least one endpoint" })
      .max(32, { error: "at most 32 etcd endpoints" }),
    prefix: z
      .string()
      .regex(/^(\/[A-Za-z0-9._-]+)+$/, { error: (i) => `expected a key prefix such as "/meshc/shop" (segments of letters, digits, ".", "_", "-"), got ${show(i.input)}` })
      .max(200)
      .optional(),
    tls: z.strictObject({ ca: z.string().min(1).optional(), cert: z.string().min(1).optional(), key: z.string().min(1).optional() })
      .refine((t) => (t.cert === undefined) === (t.key === undefined), { error: "give both cert and key, or neither" })
      .optional(),
  }),
});

const rateLimit = z.strictObject({ tokens: count("tokens", 1), per: positiveDuration, burst: count("burst", 1).optional() });

const retry = z.strictObject({
  attempts: count("attempts", 1),
  perTry: positiveDuration.optional(),
  on: z.array(z.enum(RETRY_ON)).optional(),
  statusCodes: z.array(intIn("an HTTP status", 100, 599)).optional(),
  grpcCodes: z.array(z.enum(GRPC_RETRY_CODES)).optional(),
  backoff: z.strictObject({ base: positiveDuration, max: positiveDuration.optional() }).optional(),
  otherHosts: z.boolean().optional(),
  hostSelectionAttempts: count("hostSelectionAttempts", 1).optional(),
}).refine((r) => !(r.on?.length === 0 && !r.statusCodes?.length && !r.grpcCodes?.length), {
  // Envoy would get retry_on "" and never retry.
  error: 'a retry policy needs something to retry on: on: [] with no statusCodes or grpcCodes retries nothing (leave on out for the default ["5xx", "reset", "connect-failure"], or list conditions)',
  path: ["on"],
});

const valueMatchKeys = ["exact", "prefix", "regex"];
const stringMatch = exactlyOne(
  z.strictObject({ exact: z.string().optional(), prefix: z.string().optional(), regex: z.string().optional() }),
  valueMatchKeys,
  "a string match",
);
const presentOrValue = (invert: boolean) =>
  exactlyOne(
    z.strictObject({
      exact: z.string().optional(),
      prefix: z.string().optional(),
      regex: z.string().optional(),
      present: z.literal(true).optional(),
      ...(invert ? { invert: z.boolean().optional() } : {}),
    }),
    [...valueMatchKeys, "present"],
    "a match",
  );
const method = z.enum(METHODS);
const singleMatch = z.strictObject({
  port: elementName("a port name").optional(),
  path: stringMatch.optional(),
  headers: z.record(headerName, z.union([z.string(), presentOrValue(true)])).optional(),
  query: z.record(z.string().min(1), z.union([z.string(), presentOrValue(false)])).optional(),
  method: z.union([method, z.array(method).min(1)]).optional(),
  // Matched as the request path /<service>/<method>: a "/" or a space in either could never match.
  grpc: z
    .strictObject({
      service: nonEmpty("a gRPC service name").regex(/^[^\s/]+$/, { error: (i) => `a gRPC service name (package.Service) has no "/" or space, got ${show(i.input)}` }),
      method: nonEmpty("a gRPC method name").regex(/^[^\s/]+$/, { error: (i) => `a gRPC method name has no "/" or space, got ${show(i.input)}` }).optional(),
    })
    .optional(),
  host: hostname.optional(),
  // Caller-based routing (issue 13): whole services only, not subsets or ports.
  from: z
    .array(z.strictObject({ service: z.string() }, { error: (i) => `from takes services (what mesh.service() returned), not subsets or ports; got ${show(i.input)}` }))
    .min(1, { error: "from needs at least one service (leave it out for every caller)" })
    .optional(),
});
// A list is an OR of matches (one Envoy route each).
const match = z.union([singleMatch, z.array(singleMatch).min(1, { error: "a list of matches needs at least one match" })]);

// CORS (issue 13): Envoy's CORS filter policy per route or per service (virtual host).
const corsOrigin = z.union([
  z.string().min(1, { error: "an origin must not be empty" }),
  // Envoy requires at least one character in a prefix, suffix or regex (an empty exact matches the empty origin).
  exactlyOne(
    z.strictObject({
      exact: z.string().optional(),
      prefix: z.string().min(1, { error: 'an origin prefix must not be empty (use "*" for any origin)' }).optional(),
      suffix: z.string().min(1, { error: 'an origin suffix must not be empty (use "*" for any origin)' }).optional(),
      regex: z.string().min(1, { error: 'an origin regex must not be empty (use "*" for any origin)' }).optional(),
    }),
    ["exact", "prefix", "suffix", "regex"],
    "an origin match",
  ),
]);
const corsToken = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: (i) => `expected a header name, got ${show(i.input)}` });
export const cors = z.strictObject({
  allowOrigins: z.array(corsOrigin).min(1, { error: "allowOrigins needs at least one origin (\"*\" for any)" }),
  allowMethods: z.array(method).optional(),
  allowHeaders: z.array(corsToken).optional(),
  exposeHeaders: z.array(corsToken).optional(),
  maxAge: duration.optional(),
  allowCredentials: z.boolean().optional(),
});

const backend = z.strictObject({ target: ref, weight: percent });
const headerOps = z.strictObject({
  add: z.record(headerName, z.string()).optional(),
  set: z.record(headerName, z.string()).optional(),
  remove: z.array(headerName).optional(),
});
const fault = z
  .strictObject({
    delay: z.strictObject({ fixed: duration, percent: percent.optional() }).optional(),
    abort: exactlyOne(
      z.strictObject({ status: intIn("an HTTP status", 200, 599).optional(), grpcStatus: intIn("a gRPC status", 0, 16).optional(), percent: percent.optional() }),
      ["status", "grpcStatus"],
      "an abort",
    ).optional(),
  })
  .refine((f) => f.delay !== undefined || f.abort !== undefined, { error: "a fault needs a delay and/or an abort" });

const action = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("forward"), backends: z.array(backend).min(1, { error: "a split needs at least one backend" }) }),
  z.strictObject({
    kind: z.literal("redirect"),
    scheme: z.enum(["http", "https"]).optional(),
    // "host" or "host:port"; Envoy redirects to a port 0 or above 65535 as written, to a URL no client can follow.
    host: z
      .string()
      .refine((h) => !/:(\d+)$/.test(h) || (Number(/:(\d+)$/.exec(h)![1]) >= 1 && Number(/:(\d+)$/.exec(h)![1]) <= 65535), {
        error: (i) => `a redirect host's port is 1 to 65535, got ${show(i.input)}`,
      })
      .optional(),
    path: z.string().optional(),
    prefix: z.string().optional(),
    status: z.union([z.literal(301), z.literal(302), z.literal(303), z.literal(307), z.literal(308)]).optional(),
  }).refine((r) => !(r.path !== undefined && r.prefix !== undefined), { error: "a redirect takes path or prefix, not both", path: ["prefix"] }),
  z.strictObject({ kind: z.literal("respond"), status: intIn("an HTTP status", 200, 599), body: z.string().optional() }),
]);

export const route = z.strictObject(
  {
    name: elementName("a route name").optional(),
    match,
    actions: z.array(action).length(1, {
      error: (i) => `a route needs exactly one action (.to(), .split(), .redirect() or .respond()), got ${(i.input as unknown[]).length}`,
    }),
    timeout: duration.optional(),
    idleTimeout: duration.optional(),
    retries: retry.optional(),
    mirror: z.strictObject({ target: ref, percent }).optional(),
    rewrite: z
      .strictObject({ prefix: z.string().optional(), fullPath: z.string().optional(), host: z.string().optional() })
      .refine((r) => !(r.prefix !== undefined && r.fullPath !== undefined), { error: "a rewrite takes prefix or fullPath, not both" })
      .refine((r) => r.prefix !== undefined || r.fullPath !== undefined || r.host !== undefined, { error: "a rewrite needs prefix, fullPath or host" })
      .optional(),
    requestHeaders: z.array(headerOps),
    responseHeaders: z.array(headerOps),
    fault: fault.optional(),
    rateLimit: rateLimit.optional(),
    traceSampling: traceSampling.optional(),
    cors: cors.optional(),
  },
  { error: (i) => `expected a route built with r.match(...), got ${show(i.input)}` },
).superRefine((r, ctx) => {
  const kind = r.actions.length === 1 ? r.actions[0]!.kind : "forward";
  if (kind === "forward") return;
  for (const field of ["timeout", "idleTimeout", "retries", "mirror", "rewrite"] as const) {
    if (r[field] !== undefined) ctx.addIssue({ code: "custom", path: [field], message: `.${field}() applies to forwarding routes (.to() or .split()), not to a ${kind}` });
  }
});

const tcpRoute = z.strictObject({
  split: z.array(backend).min(1, { error: "a split needs at least one backend" }).optional(),
  connectTimeout: positiveDuration.optional(),
  idleTimeout: duration.optional(),
});

const hashKey = z.union(
  [
    z.strictObject({ header: headerName }),
    z.strictObject({ cookie: z.string().min(1), ttl: duration.optional() }),
    z.strictObject({ sourceIp: z.literal(true) }),
    z.strictObject({ query: z.string().min(1) }),
  ],
  { error: (i) => `expected a hash key ({ header }, { cookie }, { sourceIp: true } or { query }), got ${show(i.input)}` },
);
// An empty list is allowed here: analysis warns (MESH0404) that the ring then hashes nothing.
const hashOn = z.strictObject({ hashOn: z.union([hashKey, z.array(hashKey)]) });
const loadBalancer = z.union(
  [z.enum(LB_POLICIES), z.strictObject({ ringHash: hashOn }), z.strictObject({ maglev: hashOn })],
  { error: (i) => `expected "round-robin", "least-request", "random", { ringHash } or { maglev }, got ${show(i.input)}` },
);

const healthCheck = exactlyOne(
  z.strictObject({
    http: z.string().startsWith("/", { error: "an HTTP health-check path must start with /" }).optional(),
    grpc: z.strictObject({ service: z.string().optional() }).optional(),
    tcp: z.strictObject({}).optional(),
    interval: positiveDuration.optional(),
    timeout: positiveDuration.optional(),
    healthy: count("a threshold", 1).optional(),
    unhealthy: count("a threshold", 1).optional(),
  }),
  ["http", "grpc", "tcp"],
  "a health check",
);

export const policy = z.strictObject({
  connectTimeout: positiveDuration.optional(),
  idleTimeout: duration.optional(),
  timeout: duration.optional(),
  retries: retry.optional(),
  circuitBreaker: z
    .strictObject({
      maxConnections: count("a limit").optional(),
      maxPending: count("a limit").optional(),
      maxRequests: count("a limit").optional(),
      maxRetries: count("a limit").optional(),
      retryBudget: z.strictObject({ percent, minConcurrency: count("minConcurrency").optional() }).optional(),
    })
    .optional(),
  outlierDetection: z
    .strictObject({
      consecutive5xx: count("a count").optional(),
      consecutiveGatewayErrors: count("a count").optional(),
      interval: positiveDuration.optional(),
      baseEjection: positiveDuration.optional(),
      maxEjectionPercent: percent.optional(),
    })
    .optional(),
  healthCheck: healthCheck.optional(),
  loadBalancer: loadBalancer.optional(),
  localityFailover: z.array(nonEmpty("a locality")).optional(),
});

export const subsetPolicy = policy
  .pick({ connectTimeout: true, idleTimeout: true, circuitBreaker: true, outlierDetection: true, healthCheck: true, loadBalancer: true })
  .extend({ subset: z.string() });

const sidecar = z.strictObject({
  adminPort: port.optional(),
  outboundPort: port.optional(),
  inboundAddress: bindAddress.optional(),
  tcpOutbound: z.array(z.strictObject({ upstream: z.strictObject({ service: z.string(), port: z.string() }), port })).optional(),
});

const absolutePath = (what: string) =>
  z.string().refine((v) => v.startsWith("/") && !v.includes("\0"), { error: (i) => `${what} must be an absolute path of a PEM file on the proxy's host (Envoy reads it at run time), got ${show(i.input)}` });

// mesh.external() (issue 13): hosts callers use, how it is found, and TLS origination with verification always on.
const external = z
  .strictObject({
    hosts: z.array(hostname).min(1, { error: "an external service needs at least one host" }),
    resolution: z.enum(["dns", "static"], { error: (i) => `expected resolution "dns" or "static", got ${show(i.input)}` }),
    endpoints: z.array(z.union([z.string(), z.unknown()])).optional(),
    tls: z
      .strictObject({
        sni: hostname.optional(),
        ca: z
          .string()
          .refine((v) => v.startsWith("/") && !v.includes("\0"), { error: (i) => `ca must be an absolute path of a PEM bundle on the proxy's host (Envoy reads it at run time), got ${show(i.input)}` })
          .optional(),
        verify: z.literal(true, { error: "TLS verification of an external service cannot be turned off (leave verify out or set it to true)" }).optional(),
      })
      .optional(),
  })
  .superRefine((e, ctx) => {
    const n = e.endpoints?.length ?? 0;
    if (e.resolution === "static" && n === 0) ctx.addIssue({ code: "custom", path: ["endpoints"], message: 'resolution "static" needs endpoints: the addresses of the external service' });
    if (e.resolution === "dns" && n > 1) ctx.addIssue({ code: "custom", path: ["endpoints"], message: `resolution "dns" resolves one name; got ${n} endpoints (declare one external service per name)` });
    if (e.resolution === "dns" && n === 1 && (typeof e.endpoints![0] !== "string" || !HOST.test(e.endpoints![0])))
      ctx.addIssue({ code: "custom", path: ["endpoints", 0], message: `resolution "dns" takes a hostname to resolve, got ${show(e.endpoints![0])}` });
  });

export const service = z.strictObject({
  name: serviceName,
  ports: z.record(elementName("a port name"), portModel),
  instances,
  subsets: z.record(elementName("a subset name"), labels),
  identity: z
    .string()
    .regex(IDENTITY, { error: (i) => `expected "spiffe://<trust domain>/<path>" or "/<path>", got ${show(i.input)}` })
    .optional(),
  calls: z.array(ref),
  sidecar: sidecar.optional(),
  proxyless: z
    .union([z.boolean(), z.strictObject({ grpc: z.enum(PROXYLESS_GRPC) })], {
      error: (i) => `expected true, false or { grpc: "go" | "js" | "any" }, got ${show(i.input)}`,
    })
    .optional(),
  rateLimit: rateLimit.optional(),
  mtls: mtlsMode.optional(),
  nonMesh: z.boolean().optional(),
  external: external.optional(),
  cors: z.array(cors).optional(),
  gateway: z
    .strictObject({
      listeners: z
        .array(
          z
            .strictObject({
              port,
              protocol: z.enum(["http", "https"], { error: (i) => `expected a gateway listener protocol "http" or "https", got ${show(i.input)}` }),
              hosts: z.array(hostname).min(1, { error: "a gateway listener needs at least one host" }),
              tls: z.strictObject({ cert: absolutePath("cert"), key: absolutePath("key") }).optional(),
            })
            .refine((l) => (l.protocol === "https") === (l.tls !== undefined), { error: "an https listener needs tls: { cert, key }, and only https takes tls", path: ["tls"] }),
        )
        .min(1, { error: "a gateway needs at least one listener" }),
    })
    .optional(),
  routes: z.array(route),
  tcpRoutes: z.array(tcpRoute),
  policies: z.array(policy),
  telemetry: z.array(telemetry).optional(),
  subsetPolicies: z.array(subsetPolicy),
}).superRefine((svc, ctx) => {
  if (Object.keys(svc.ports).length > 0 || !Array.isArray(svc.instances)) return;
  svc.instances.forEach((inst, i) => {
    if (typeof inst === "object" && !("registry" in inst) && inst.port === undefined && inst.ports === undefined) {
      ctx.addIssue({ code: "custom", path: ["instances", i, "port"], message: "an instance needs a port when its service declares no ports" });
    }
  });
});

export const mesh = z.object({
  name: serviceName,
  trustDomain: z
    .string({ error: (i) => `expected a trust domain (a string), got ${show(i.input)}` })
    .regex(TRUST_DOMAIN, { error: (i) => `a trust domain must be lowercase letters, digits, ".", "_" or "-", got ${show(i.input)}` }),
  defaults: policy.optional(),
  telemetry: telemetry.optional(),
  mtls: mtlsMode.optional(),
  certificates: z
    .strictObject({
      // 10 s lets tests rotate quickly; 90 days is the longest a workload certificate should live.
      leafLifetime: duration
        .refine((v) => { const n = durationMs(v) ?? 0; return n >= 10_000 && n <= 90 * 86_400_000; }, { error: (i) => `a leaf lifetime must be from "10s" to "2160h" (90 days), got ${show(i.input)}` })
        .optional(),
      rotateAt: percent.refine((v) => v >= 10 && v <= 90, { error: (i) => `rotateAt must be from 10 to 90 (percent of the lifetime), got ${show(i.input)}` }).optional(),
      keyAlgorithm: z.enum(["ecdsa-p256", "rsa-2048"], { error: (i) => `expected keyAlgorithm "ecdsa-p256" or "rsa-2048", got ${show(i.input)}` }).optional(),
    })
    .optional(),
  egress: z.enum(EGRESS_MODES, { error: (i) => `expected egress "registry-only" or "allow-any", got ${show(i.input)}` }).optional(),
  services: z.array(service),
  authorizations: z.array(authorization).optional(),
  discovery: discovery.optional(),
  patches: patches.optional(),
});

/**
 * `mesh` with its services taken as they are: what validate.ts runs when every service is known to pass `service`
 * (schema-fast.ts). An object's issues are its keys' issues in shape order, so with no issue from `services` the two
 * report the same issues.
 */
export const meshWithoutServices = mesh.extend({ services: z.array(z.unknown()) });

// schema-fast.ts's last resort for an element or service it is not sure about (it does not import zod itself).
provideZodSchemas({ route, policy, subsetPolicy, service });
