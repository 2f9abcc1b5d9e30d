// A fast acceptor for the common shapes of a mesh and its services (issue 12: zod's walk of 1,000 services cost ~0.2 s of a cold
// build). `serviceAccepted(s)` is true only when schema.ts's `service` reports no issue for s: every shape it does
// not know (a gateway, a sidecar, a fault, a health check, …) and every value it doubts is left to zod, for that
// element (`route`, `policy`, `subsetPolicy`) or for the whole service. It never produces issues itself: when any
// service is refused, validate.ts runs the full schema, so diagnostics always come from zod.
// test/frontend/schema-fast.test.ts checks "accepted implies zod accepts" over mutated services.
import { durationMs, MAX_DURATION_MS } from "./duration.js";
import {
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

type Rec = Record<string, unknown>;

const protoOfObject = Object.getPrototypeOf({}) as object;

/** A plain data object (what model-wire.ts decodes): zod's object and record checks accept it. */
function plain(v: unknown): v is Rec {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === protoOfObject;
}

/** Every own string key of `o` (for-in of a plain object) is in `allowed`. */
function keysIn(o: Rec, allowed: ReadonlySet<string>): boolean {
  for (const k in o) if (!allowed.has(k)) return false;
  return true;
}

/** A record zod iterates like Object.keys: plain, no symbol keys, no key zod treats specially. */
function plainRecord(v: unknown): v is Rec {
  if (!plain(v) || Object.getOwnPropertySymbols(v).length > 0) return false;
  for (const k in v) if (k === "__proto__" || k === "constructor") return false;
  return true;
}

const str = (v: unknown): v is string => typeof v === "string";
const optStr = (v: unknown) => v === undefined || typeof v === "string";
const matches = (re: RegExp, v: unknown) => typeof v === "string" && re.test(v);
const intIn = (v: unknown, min: number, max: number) => typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
const MAX_INT = 2 ** 32 - 1;
const port = (v: unknown) => intIn(v, 1, 65535);
const optPort = (v: unknown) => v === undefined || port(v);
// schema.ts's percent: 0, or one in a million (Envoy's finest) up to 100.
const percent = (v: unknown) => typeof v === "number" && (v === 0 || (v >= 0.0001 && v <= 100));
const duration = (v: unknown) => {
  const n = durationMs(v);
  return n !== undefined && n <= MAX_DURATION_MS;
};
const positiveDuration = (v: unknown) => duration(v) && durationMs(v)! > 0;
const optDuration = (v: unknown) => v === undefined || duration(v);
const optPositiveDuration = (v: unknown) => v === undefined || positiveDuration(v);
const optCount = (v: unknown, min: number) => v === undefined || intIn(v, min, MAX_INT);
const oneOf = (list: readonly string[]) => {
  const set = new Set(list);
  return (v: unknown) => typeof v === "string" && set.has(v);
};
const isProtocol = oneOf(PROTOCOLS);
const isMtls = oneOf(MTLS_MODES);
const isMethod = oneOf(METHODS);
const isRetryOn = oneOf(RETRY_ON);
const isGrpcCode = oneOf(GRPC_RETRY_CODES);
const isLb = oneOf(LB_POLICIES);

function arrayOf(v: unknown, item: (x: unknown) => boolean): boolean {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (!item(v[i])) return false;
  return true;
}
const optArrayOf = (v: unknown, item: (x: unknown) => boolean) => v === undefined || arrayOf(v, item);

function recordOf(v: unknown, key: (k: string) => boolean, value: (x: unknown) => boolean): boolean {
  if (!plainRecord(v)) return false;
  for (const k in v) if (!key(k) || !value(v[k])) return false;
  return true;
}
const elementName = (k: string) => NAME.test(k);
const headerName = (k: unknown) => matches(HEADER, k);
const nonEmptyKey = (k: string) => k.length > 0;

const set = (...keys: string[]) => new Set(keys);

const PORT_KEYS = set("protocol", "port", "app", "mtls");
const portModel = (v: unknown) => plain(v) && keysIn(v, PORT_KEYS) && isProtocol(v.protocol) && port(v.port) && optPort(v.app) && (v.mtls === undefined || isMtls(v.mtls));

const REF_KEYS = set("service", "subset", "port");
const ref = (v: unknown) => plain(v) && keysIn(v, REF_KEYS) && str(v.service) && optStr(v.subset) && optStr(v.port);

const labels = (v: unknown) => recordOf(v, nonEmptyKey, str);
const instancePorts = (v: unknown) => recordOf(v, elementName, port);

const LOCALITY_KEYS = set("region", "zone", "subZone");
const ENDPOINT_KEYS = set("address", "port", "ports", "locality", "labels", "weight");
function endpoint(v: unknown): boolean {
  if (!plain(v) || !keysIn(v, ENDPOINT_KEYS)) return false; // a sidecar, a registry key, …: zod decides
  if (!isIpAddress(v.address) || !optPort(v.port)) return false;
  if (v.ports !== undefined && !instancePorts(v.ports)) return false;
  if (v.port !== undefined && v.ports !== undefined) return false;
  const l = v.locality;
  if (l !== undefined && !(plain(l) && keysIn(l, LOCALITY_KEYS) && optStr(l.region) && optStr(l.zone) && optStr(l.subZone))) return false;
  return (v.labels === undefined || labels(v.labels)) && optCount(v.weight, 1);
}
const instance = (v: unknown) => (typeof v === "string" ? isIpEndpointString(v) : endpoint(v));

const STRING_MATCH_KEYS = set("exact", "prefix", "regex");
function stringMatch(v: unknown): boolean {
  if (!plain(v) || !keysIn(v, STRING_MATCH_KEYS) || !optStr(v.exact) || !optStr(v.prefix) || !optStr(v.regex)) return false;
  return (v.exact !== undefined ? 1 : 0) + (v.prefix !== undefined ? 1 : 0) + (v.regex !== undefined ? 1 : 0) === 1;
}
const MATCH_KEYS = set("port", "path", "headers", "method", "host");
function singleMatch(v: unknown): boolean {
  if (!plain(v) || !keysIn(v, MATCH_KEYS)) return false; // query, grpc, from, …: zod decides
  if (v.port !== undefined && !matches(NAME, v.port)) return false;
  if (v.path !== undefined && !stringMatch(v.path)) return false;
  if (v.headers !== undefined && !recordOf(v.headers, headerName, str)) return false; // header matches as plain values only
  const m = v.method;
  if (m !== undefined && !isMethod(m) && !(Array.isArray(m) && m.length >= 1 && arrayOf(m, isMethod))) return false;
  return v.host === undefined || matches(HOST, v.host);
}
const match = (v: unknown) => singleMatch(v) || (Array.isArray(v) && v.length >= 1 && arrayOf(v, singleMatch));

const BACKEND_KEYS = set("target", "weight");
const backend = (v: unknown) => plain(v) && keysIn(v, BACKEND_KEYS) && ref(v.target) && percent(v.weight);
const FORWARD_KEYS = set("kind", "backends");
const forward = (v: unknown) => plain(v) && keysIn(v, FORWARD_KEYS) && v.kind === "forward" && Array.isArray(v.backends) && v.backends.length >= 1 && arrayOf(v.backends, backend);

const HEADER_OPS_KEYS = set("add", "set", "remove");
const headerOps = (v: unknown) =>
  plain(v) &&
  keysIn(v, HEADER_OPS_KEYS) &&
  (v.add === undefined || recordOf(v.add, headerName, str)) &&
  (v.set === undefined || recordOf(v.set, headerName, str)) &&
  optArrayOf(v.remove, headerName);

const BACKOFF_KEYS = set("base", "max");
const RETRY_KEYS = set("attempts", "perTry", "on", "statusCodes", "grpcCodes", "backoff", "otherHosts", "hostSelectionAttempts");
function retry(v: unknown): boolean {
  if (!plain(v) || !keysIn(v, RETRY_KEYS)) return false;
  if (!intIn(v.attempts, 1, MAX_INT) || !optPositiveDuration(v.perTry)) return false;
  if (!optArrayOf(v.on, isRetryOn) || !optArrayOf(v.statusCodes, (c) => intIn(c, 100, 599)) || !optArrayOf(v.grpcCodes, isGrpcCode)) return false;
  // The schema's refinement: something to retry on.
  if ((v.on as unknown[] | undefined)?.length === 0 && !(v.statusCodes as unknown[] | undefined)?.length && !(v.grpcCodes as unknown[] | undefined)?.length) return false;
  const b = v.backoff;
  if (b !== undefined && !(plain(b) && keysIn(b, BACKOFF_KEYS) && positiveDuration(b.base) && optPositiveDuration(b.max))) return false;
  return (v.otherHosts === undefined || typeof v.otherHosts === "boolean") && optCount(v.hostSelectionAttempts, 1);
}

// The route's other options (mirror, rewrite, fault, rateLimit, traceSampling, cors) send it to zod.
const ROUTE_KEYS = set("name", "match", "actions", "timeout", "idleTimeout", "retries", "requestHeaders", "responseHeaders");
function routeFast(v: unknown): boolean {
  if (!plain(v) || !keysIn(v, ROUTE_KEYS)) return false;
  if (v.name !== undefined && !matches(NAME, v.name)) return false;
  if (!match(v.match)) return false;
  // Only forwarding actions here, so the schema's "applies to forwarding routes" refinement has nothing to say.
  if (!Array.isArray(v.actions) || v.actions.length !== 1 || !forward(v.actions[0])) return false;
  if (!optDuration(v.timeout) || !optDuration(v.idleTimeout)) return false;
  if (v.retries !== undefined && !retry(v.retries)) return false;
  return arrayOf(v.requestHeaders, headerOps) && arrayOf(v.responseHeaders, headerOps);
}
/** Off only in tests (serviceAcceptedFast): elements outside the fast shapes are then refused, not given to zod. */
let zodElements = true;
/** zod's schemas of schema.ts, once it is loaded (it hands them over): without them only the fast shapes pass. */
interface ZodSchemas {
  route: SafeParse;
  policy: SafeParse;
  subsetPolicy: SafeParse;
  service: SafeParse;
}
type SafeParse = { safeParse(v: unknown): { success: boolean } };
let zod: ZodSchemas | undefined;

/** Called by schema.ts as it loads. */
export function provideZodSchemas(schemas: ZodSchemas): void {
  zod = schemas;
}

const route = (v: unknown) => routeFast(v) || (zodElements && zod !== undefined && zod.route.safeParse(v).success);

const BUDGET_KEYS = set("percent", "minConcurrency");
const BREAKER_KEYS = set("maxConnections", "maxPending", "maxRequests", "maxRetries", "retryBudget");
const circuitBreaker = (v: unknown) =>
  plain(v) &&
  keysIn(v, BREAKER_KEYS) &&
  optCount(v.maxConnections, 0) &&
  optCount(v.maxPending, 0) &&
  optCount(v.maxRequests, 0) &&
  optCount(v.maxRetries, 0) &&
  (v.retryBudget === undefined || (plain(v.retryBudget) && keysIn(v.retryBudget, BUDGET_KEYS) && percent(v.retryBudget.percent) && optCount(v.retryBudget.minConcurrency, 0)));
const OUTLIER_KEYS = set("consecutive5xx", "consecutiveGatewayErrors", "interval", "baseEjection", "maxEjectionPercent");
const outlierDetection = (v: unknown) =>
  plain(v) &&
  keysIn(v, OUTLIER_KEYS) &&
  optCount(v.consecutive5xx, 0) &&
  optCount(v.consecutiveGatewayErrors, 0) &&
  optPositiveDuration(v.interval) &&
  optPositiveDuration(v.baseEjection) &&
  (v.maxEjectionPercent === undefined || percent(v.maxEjectionPercent));

// A health check or a hashing load balancer sends the policy to zod.
const POLICY_KEYS = set("connectTimeout", "idleTimeout", "timeout", "retries", "circuitBreaker", "outlierDetection", "loadBalancer", "localityFailover");
function policyFast(v: unknown): boolean {
  if (!plain(v) || !keysIn(v, POLICY_KEYS)) return false;
  if (!optPositiveDuration(v.connectTimeout) || !optDuration(v.idleTimeout) || !optDuration(v.timeout)) return false;
  if (v.retries !== undefined && !retry(v.retries)) return false;
  if (v.circuitBreaker !== undefined && !circuitBreaker(v.circuitBreaker)) return false;
  if (v.outlierDetection !== undefined && !outlierDetection(v.outlierDetection)) return false;
  if (v.loadBalancer !== undefined && !isLb(v.loadBalancer)) return false;
  return optArrayOf(v.localityFailover, (x) => typeof x === "string" && x.length > 0);
}
const policy = (v: unknown) => policyFast(v) || (zodElements && zod !== undefined && zod.policy.safeParse(v).success);
const subsetPolicy = (v: unknown) => zodElements && zod !== undefined && zod.subsetPolicy.safeParse(v).success;

const UPSTREAM_KEYS = set("service", "port");
const TCP_OUTBOUND_KEYS = set("upstream", "port");
const tcpOutbound = (v: unknown) => plain(v) && keysIn(v, TCP_OUTBOUND_KEYS) && port(v.port) && plain(v.upstream) && keysIn(v.upstream, UPSTREAM_KEYS) && str(v.upstream.service) && str(v.upstream.port);
const SIDECAR_KEYS = set("adminPort", "outboundPort", "inboundAddress", "tcpOutbound");
const sidecar = (v: unknown) =>
  plain(v) && keysIn(v, SIDECAR_KEYS) && optPort(v.adminPort) && optPort(v.outboundPort) && (v.inboundAddress === undefined || isIpAddress(v.inboundAddress)) && optArrayOf(v.tcpOutbound, tcpOutbound);
const GRPC_KEYS = set("grpc");
const isProxylessGrpc = oneOf(PROXYLESS_GRPC);
const proxyless = (v: unknown) => typeof v === "boolean" || (plain(v) && keysIn(v, GRPC_KEYS) && isProxylessGrpc(v.grpc));
const RATE_LIMIT_KEYS = set("tokens", "per", "burst");
const rateLimit = (v: unknown) => plain(v) && keysIn(v, RATE_LIMIT_KEYS) && intIn(v.tokens, 1, MAX_INT) && positiveDuration(v.per) && optCount(v.burst, 1);

// Anything else a service may carry (external, cors, gateway, telemetry) sends the whole service to zod.
const SERVICE_KEYS = set("name", "ports", "instances", "subsets", "identity", "calls", "routes", "tcpRoutes", "policies", "subsetPolicies", "sidecar", "proxyless", "rateLimit", "mtls", "nonMesh");
function serviceFast(v: unknown): boolean {
  if (!plain(v) || !keysIn(v, SERVICE_KEYS)) return false;
  if (v.sidecar !== undefined && !sidecar(v.sidecar)) return false;
  if (v.proxyless !== undefined && !proxyless(v.proxyless)) return false;
  if (v.rateLimit !== undefined && !rateLimit(v.rateLimit)) return false;
  if (v.mtls !== undefined && !isMtls(v.mtls)) return false;
  if (v.nonMesh !== undefined && typeof v.nonMesh !== "boolean") return false;
  if (!matches(DNS_LABEL, v.name)) return false;
  if (!recordOf(v.ports, elementName, portModel)) return false;
  if (!arrayOf(v.instances, instance)) return false; // dns() and registry() are zod's
  if (!recordOf(v.subsets, elementName, labels)) return false;
  if (v.identity !== undefined && !matches(IDENTITY, v.identity)) return false;
  if (!arrayOf(v.calls, ref)) return false;
  if (!arrayOf(v.routes, route)) return false;
  if (!Array.isArray(v.tcpRoutes) || v.tcpRoutes.length > 0) return false;
  if (!arrayOf(v.policies, policy) || !arrayOf(v.subsetPolicies, subsetPolicy)) return false;
  // The schema's refinement: with no ports declared, every instance object names its port.
  if (Object.keys(v.ports as Rec).length === 0) {
    for (const i of v.instances as unknown[]) if (typeof i === "object" && (i as Rec).port === undefined && (i as Rec).ports === undefined) return false;
  }
  return true;
}

/** True only when schema.ts's `service` reports no issue for `v` (the fast shapes, else zod itself). Needs schema.ts loaded. */
export function serviceAccepted(v: unknown): boolean {
  if (!zod) throw new Error("meshc bug: serviceAccepted before schema.ts was loaded");
  return serviceFast(v) || zod.service.safeParse(v).success;
}

/**
 * True only when validate.ts's validateModel reports nothing for a decoded, well-formed model (model-wire.ts
 * DecodeInfo): every service and the mesh's own fields in the fast shapes. Works without zod (its element fallbacks
 * count only once schema.ts is loaded): `meshc build` of such a model never loads zod (~80 ms of CPU).
 */
export function modelAccepted(model: unknown): boolean {
  if (!plain(model) || !Array.isArray(model.services)) return false;
  const services = model.services as unknown[];
  for (let i = 0; i < services.length; i++) if (!serviceFast(services[i])) return false; // a hole is refused too
  return meshFieldsAccepted(model);
}

const isEgress = oneOf(EGRESS_MODES);

/**
 * True only when schema.ts's `mesh` reports no issue for `v`: its own fields in their common shapes (telemetry,
 * certificates, authorizations, discovery and patches are zod's) and every service accepted by serviceAccepted.
 * `mesh` is not strict: other keys (the model's orphans) are not its business.
 */
export function meshFieldsAccepted(v: unknown): boolean {
  if (!plain(v) || !matches(DNS_LABEL, v.name) || !matches(TRUST_DOMAIN, v.trustDomain)) return false;
  if (v.telemetry !== undefined || v.certificates !== undefined || v.authorizations !== undefined || v.discovery !== undefined || v.patches !== undefined) return false;
  if (v.defaults !== undefined && !policy(v.defaults)) return false;
  return (v.mtls === undefined || isMtls(v.mtls)) && (v.egress === undefined || isEgress(v.egress));
}

/** For tests: the fast acceptor without the last resort of zod for the whole service (`zodElements: false`: nor for a route or policy). */
export function serviceAcceptedFast(v: unknown, options: { zodElements?: boolean } = {}): boolean {
  const saved = zodElements;
  zodElements = options.zodElements ?? true;
  try {
    return serviceFast(v);
  } finally {
    zodElements = saved;
  }
}
