// Every option of the DSL once, and the defaults lowering applies.
import { defineMesh, dns, grpc, http, http2, tcp } from "meshc";

export default defineMesh({ name: "features", trustDomain: "features.example" }, (mesh) => {
  // Nothing but required options: every default shows in the IR.
  const minimal = mesh.service("minimal", { ports: { web: http(80) }, instances: dns("minimal.internal", 80) });

  const db = mesh.service("db", { ports: { sql: tcp(5432), admin: http(8081) }, instances: [{ address: "fd00::5", ports: { sql: 15432 } }] });

  const api = mesh.service("api", {
    ports: { rest: http(8080, { app: 3000 }), rpc: grpc(9090, { app: 3001 }), h2: http2(8443) },
    instances: [
      { address: "10.0.0.10", labels: { version: "v1", tier: "gold" }, locality: { region: "r1", zone: "r1a", subZone: "rack1" }, weight: 2 },
      { address: "10.0.0.11", ports: { rest: 8081 }, labels: { version: "v2" } },
    ],
    subsets: { v1: { version: "v1" }, v2: { version: "v2" }, gold: { tier: "gold", version: "v1" } },
    identity: "spiffe://other.example/ns/prod/sa/api",
    sidecar: { adminPort: 19000, outboundPort: 19001, inboundAddress: "10.0.0.10", tcpOutbound: [{ upstream: db.port("sql"), port: 25432 }] },
    rateLimit: { tokens: 100, per: "1s" },
  });

  mesh.service("client", {
    ports: {},
    instances: [],
    identity: "/ns/prod/sa/client",
    calls: [api, minimal, db],
    sidecar: { outboundPort: 16000, adminPort: 16001 },
  });

  mesh.routes(api, (r) => [
    r.match({
      path: { regex: "^/v[0-9]+/items$" },
      headers: { "x-b": { prefix: "b" }, "x-a": "exact", "x-c": { regex: "c+" }, "x-d": { present: true, invert: true } },
      query: { debug: { present: true }, lang: "en", q: { prefix: "x" } },
      method: ["GET", "HEAD"],
    })
      .to(api.subset("gold"))
      .named("items")
      .timeout("1.5s")
      .idleTimeout("30s")
      .retries({ attempts: 3, perTry: "250ms", statusCodes: [409], backoff: { base: "10ms" } })
      .rewrite({ prefix: "/items", host: "items.internal" })
      .requestHeaders({ add: { "x-route": "items" }, set: { "x-env": "prod" }, remove: ["x-debug"] })
      .responseHeaders({ set: { "cache-control": "no-store" } })
      .fault({ delay: { fixed: "2m", percent: 0.5 }, abort: { status: 503 } })
      .rateLimit({ tokens: 10, per: "1m", burst: 20 }),
    r.match({ grpc: { service: "features.Api", method: "Get" } }).split([
      [api.subset("v1"), 50],
      [api.subset("v2"), 50],
    ]),
    r.match({ path: { exact: "/old" } }).redirect({ path: "/new" }),
    r.match({ path: { prefix: "/http" } }).redirect({ scheme: "https", host: "api.example", prefix: "/", status: 308 }),
    r.match({ method: "DELETE" }).respond(405),
    r.match().to(api).rewrite({ fullPath: "/index" }).mirror(api.subset("v2"), 10).retries({ attempts: 1, grpcCodes: ["cancelled", "internal"] }),
  ]);

  mesh.tcpRoute(db, { connectTimeout: "100ms", idleTimeout: "1h" });

  mesh.policy(api, {
    connectTimeout: "100ms",
    idleTimeout: "5m",
    timeout: "10s",
    retries: { attempts: 2 },
    circuitBreaker: { maxConnections: 1, maxPending: 2, maxRequests: 3, maxRetries: 4, retryBudget: { percent: 25.5, minConcurrency: 2 } },
    outlierDetection: { consecutive5xx: 1, consecutiveGatewayErrors: 2, interval: "1s", baseEjection: "2s", maxEjectionPercent: 3 },
    healthCheck: { http: "/healthz", interval: "3s", timeout: "1s", healthy: 1, unhealthy: 5 },
    loadBalancer: { ringHash: { hashOn: [{ header: "x-user" }, { cookie: "sid", ttl: "1h" }, { query: "u" }, { sourceIp: true }] } },
    localityFailover: ["r1a", "r1b"],
  });
  mesh.policy(db, { loadBalancer: "random", healthCheck: { tcp: {} } });
  mesh.policy(minimal, { loadBalancer: { maglev: { hashOn: { sourceIp: true } } }, healthCheck: { grpc: { service: "x.Health" } } });
});
