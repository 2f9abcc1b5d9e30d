// The capability model of proxyless gRPC clients (issue 17): for each setting meshc emits that a gRPC xDS client
// may treat differently from Envoy, what each client implementation does with it: "supported" (as Envoy does),
// "ignored" (the call still works, with the documented difference: a warning, MESH0420 or MESH0313) or "fails"
// (calls fail or end up on another route: an error, MESH0421). Analysis reads it for the implementation a
// proxyless service declares (`proxyless: { grpc: "go" | "js" | "any" }`, `true` meaning "any": the intersection,
// the worst of both); the Envoy backend reads it for what it may emit (least-request for grpc-go).
// Every row is backed by an end-to-end test against the real client, which fails when a row stops describing what
// the client does: grpc-go's column and grpc-js-xds's supported and ignored rows in test/e2e/proxyless-go.test.ts
// (split and gRPC-code retries of grpc-js-xds also in proxyless.test.ts), grpc-js-xds's fails rows in
// test/e2e/proxyless-js-fails.test.ts. docs/dsl.md lists the table.

export type GrpcImplementation = "go" | "js";
export type GrpcChoice = GrpcImplementation | "any";
export type Support = "supported" | "ignored" | "fails";

/** The client versions the table describes (grpc-go: test/grpc-go/go.mod; grpc-js-xds: package.json). Tests check both. */
export const GRPC_IMPLEMENTATIONS: Record<GrpcImplementation, { name: string; module: string; version: string }> = {
  go: { name: "grpc-go", module: "google.golang.org/grpc", version: "v1.85.0" },
  js: { name: "grpc-js-xds", module: "@grpc/grpc-js-xds", version: "1.14.1" },
};

export interface Behaviour {
  support: Support;
  /** What the caller sees instead of Envoy's behaviour (absent when supported). */
  effect?: string;
}

export interface CapabilityRow {
  /** What meshc emits. */
  setting: string;
  go: Behaviour;
  js: Behaviour;
}

const supported: Behaviour = { support: "supported" };

/** grpc-js-xds refuses a RouteConfiguration holding a redirect or direct response whole (test/e2e/proxyless-js-fails.test.ts). */
const JS_ROUTE_CONFIG_NACK =
  "the client NACKs the upstream's whole route configuration (every route to it, not only this one): a client that had it keeps its previous routes and takes no later edit of them, a new client's calls to the upstream wait for name resolution until their deadline (DEADLINE_EXCEEDED)";

export const CAPABILITIES = {
  weightedSplit: { setting: "weighted split across clusters (route split)", go: supported, js: supported },
  retryGrpcCodes: { setting: "retries on gRPC status codes (grpcCodes)", go: supported, js: supported },
  retryHttpConditions: {
    setting: "HTTP-only retry conditions (5xx, gateway-error, reset, connect-failure, refused-stream, retriable-status-codes)",
    go: { support: "ignored", effect: "only gRPC status codes (grpcCodes) retry: calls failing otherwise are not retried" },
    js: { support: "ignored", effect: "only gRPC status codes (grpcCodes) retry: calls failing otherwise are not retried" },
  },
  ringHashHeader: { setting: "ring hash keyed on a request header (hashOn: { header })", go: supported, js: supported },
  hashOtherKeys: {
    setting: "hash keys other than headers (hashOn: cookie, query, sourceIp)",
    go: { support: "ignored", effect: "the key is skipped; a ring hash with no header key picks a random host per call" },
    js: { support: "ignored", effect: "the key is skipped; a ring hash with no header key picks a random host per call" },
  },
  leastRequest: {
    setting: 'load balancer "least-request"',
    go: supported,
    js: { support: "ignored", effect: "meshc sends round robin instead (grpc-js-xds implements no least-request)" },
  },
  random: {
    setting: 'load balancer "random"',
    go: { support: "ignored", effect: "meshc sends round robin instead" },
    js: { support: "ignored", effect: "meshc sends round robin instead" },
  },
  maglev: {
    setting: 'load balancer "maglev"',
    go: { support: "ignored", effect: "meshc sends ring hash instead (same keys)" },
    js: { support: "ignored", effect: "meshc sends ring hash instead (same keys)" },
  },
  queryMatch: {
    setting: "route match on query parameters (match.query)",
    go: { support: "fails", effect: "the route is dropped whole: its calls fall through to the next route" },
    js: { support: "fails", effect: "the query condition is ignored: the route takes calls Envoy would not route there" },
  },
  mirror: {
    setting: "request mirroring (route mirror)",
    go: { support: "ignored", effect: "nothing is mirrored" },
    js: { support: "ignored", effect: "nothing is mirrored" },
  },
  redirect: {
    setting: "redirect route (route redirect)",
    go: { support: "fails", effect: "matching calls fail with UNAVAILABLE (no supported route action)" },
    js: { support: "fails", effect: JS_ROUTE_CONFIG_NACK },
  },
  directResponse: {
    setting: "direct-response route (route respond)",
    go: { support: "fails", effect: "matching calls fail with UNAVAILABLE (no supported route action)" },
    js: { support: "fails", effect: JS_ROUTE_CONFIG_NACK },
  },
  consecutiveErrors: {
    setting: "consecutive-error outlier detection (consecutive5xx, consecutiveGatewayErrors)",
    go: { support: "ignored", effect: "it ejects only on success rate or failure percentage, so failing hosts keep getting calls" },
    js: { support: "ignored", effect: "it ejects only on success rate or failure percentage, so failing hosts keep getting calls" },
  },
  healthCheck: {
    setting: "active health checks (healthCheck)",
    go: { support: "ignored", effect: "it runs no active health checks: hosts failing them still get calls" },
    js: { support: "ignored", effect: "it runs no active health checks: hosts failing them still get calls" },
  },
  routeRateLimit: {
    setting: "route rate limit (route rateLimit)",
    go: { support: "ignored", effect: "meshc leaves it out of the client's configuration: calls are not limited" },
    js: { support: "ignored", effect: "meshc leaves it out of the client's configuration: calls are not limited" },
  },
} as const satisfies Record<string, CapabilityRow>;

export type Capability = keyof typeof CAPABILITIES;

const RANK: Record<Support, number> = { supported: 0, ignored: 1, fails: 2 };

/**
 * What a caller declaring `choice` gets for `feature`: the implementation's row, or for "any" the worse of the two
 * (with that implementation's effect, naming it when they differ).
 */
export function capability(feature: Capability, choice: GrpcChoice): Behaviour {
  const row: CapabilityRow = CAPABILITIES[feature];
  if (choice !== "any") return row[choice];
  const [go, js] = [row.go, row.js];
  if (RANK[go.support] === RANK[js.support]) {
    if (go.effect === js.effect) return go;
    return { support: go.support, effect: `grpc-go: ${go.effect}; grpc-js-xds: ${js.effect}` };
  }
  const worse = RANK[go.support] > RANK[js.support] ? "go" : "js";
  return { support: row[worse].support, effect: `${GRPC_IMPLEMENTATIONS[worse].name}: ${row[worse].effect}` };
}

/** The implementation name(s) for messages. */
export function implementationName(choice: GrpcChoice): string {
  return choice === "any" ? "any gRPC implementation" : `${GRPC_IMPLEMENTATIONS[choice].name} ${GRPC_IMPLEMENTATIONS[choice].version}`;
}
