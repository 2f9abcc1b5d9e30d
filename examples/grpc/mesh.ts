// A gRPC mesh: checkout calls inventory and pricing over gRPC; a reporting job reads inventory as a proxyless
// gRPC client (no sidecar: it gets xDS directly). Routes match gRPC services and methods; retries name gRPC codes.
import { defineMesh, grpc, http2 } from "meshc";

export default defineMesh({ name: "store", trustDomain: "store.example" }, (mesh) => {
  const inventory = mesh.service("inventory", {
    ports: { api: grpc(7070, { app: 7071 }) },
    instances: [
      { address: "10.1.0.10", labels: { track: "stable" } },
      { address: "10.1.0.11", labels: { track: "stable" } },
      { address: "10.1.0.12", labels: { track: "next" } },
    ],
    subsets: { stable: { track: "stable" }, next: { track: "next" } },
  });

  const pricing = mesh.service("pricing", {
    ports: { api: grpc(7080, { app: 7081 }) },
    instances: ["10.1.1.10:7080", "10.1.1.11:7080"],
  });

  mesh.service("checkout", {
    ports: { api: http2(8443, { app: 8444 }) },
    instances: [{ address: "10.1.2.10" }],
    calls: [inventory, pricing],
  });

  // A proxyless gRPC client (gRFC A27): resolves xds:///inventory itself; it serves nothing, so no ports.
  // `meshc check` warns (MESH0313) that gRPC clients ignore two of inventory's settings below: least-request
  // (they balance round robin) and the active health check (they run none). Sidecar callers get both.
  mesh.service("reporter", {
    ports: {},
    instances: [],
    proxyless: true,
    calls: [inventory],
  });

  mesh.routes(inventory, (r) => [
    // Reservations are idempotent (keyed by order id): retry them on transient gRPC failures.
    r.match({ grpc: { service: "store.Inventory", method: "Reserve" } })
      .to(inventory.subset("stable"))
      .timeout("1s")
      .retries({ attempts: 3, perTry: "250ms", grpcCodes: ["unavailable", "resource-exhausted"], backoff: { base: "50ms", max: "500ms" } }),
    // Reads of the new index go to the "next" track for 20% of calls.
    r.match({ grpc: { service: "store.Inventory", method: "Lookup" } })
      .split([
        [inventory.subset("stable"), 80],
        [inventory.subset("next"), 20],
      ])
      .timeout("500ms")
      .retries({ attempts: 2, grpcCodes: ["unavailable"] }),
    // Everything else in the service, e.g. streaming Watch: no timeout (0s disables it), stable only.
    r.match({ grpc: { service: "store.Inventory" } }).to(inventory.subset("stable")).timeout("0s"),
  ]);

  mesh.routes(pricing, (r) => [
    // Chaos drill: 1% of Quote calls fail with UNAVAILABLE (14), 5% are delayed by 200ms.
    r.match({ grpc: { service: "store.Pricing", method: "Quote" } })
      .to(pricing)
      .fault({ abort: { grpcStatus: 14, percent: 1 }, delay: { fixed: "200ms", percent: 5 } })
      .retries({ attempts: 2, grpcCodes: ["unavailable"] }),
    r.match({ grpc: { service: "store.Pricing" } }).to(pricing).rateLimit({ tokens: 500, per: "1s", burst: 1000 }),
  ]);

  mesh.policy(inventory, {
    connectTimeout: "200ms",
    healthCheck: { grpc: { service: "store.Inventory" }, interval: "5s", timeout: "500ms" },
    circuitBreaker: { maxRequests: 500, retryBudget: { percent: 20, minConcurrency: 5 } },
    loadBalancer: "least-request",
  });
  mesh.policy(pricing, {
    healthCheck: { grpc: {} },
    outlierDetection: { consecutiveGatewayErrors: 3, interval: "5s", baseEjection: "15s" },
  });
});
