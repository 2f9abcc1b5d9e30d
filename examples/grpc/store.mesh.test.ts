// gRPC routing expectations of the store (examples/grpc/mesh.ts), checked against checkout's compiled sidecar
// configuration by `meshc test`.
import { meshTest, request } from "meshc/test";
import mesh from "./mesh.js";

meshTest(mesh, (t) => {
  // Reserve goes to the stable track with a 1s deadline and gRPC-code retries.
  t.expect(request({ from: "checkout", to: "inventory", grpc: { service: "store.Inventory", method: "Reserve" } }))
    .routesTo({ service: "inventory", subset: "stable" })
    .withTimeout("1s")
    .retries(3, { on: ["unavailable", "resource-exhausted"], perTry: "250ms" });
  // Lookup: 20% of calls to the "next" track.
  t.expect(request({ from: "checkout", to: "inventory", grpc: { service: "store.Inventory", method: "Lookup" } }))
    .splits({ stable: 80, next: 20 })
    .withTimeout("500ms")
    .retries(2, { on: ["unavailable"] });
  // Other Inventory methods: stable, no deadline.
  t.expect(request({ from: "checkout", to: "inventory", grpc: { service: "store.Inventory", method: "List" } }))
    .routesTo({ service: "inventory", subset: "stable" })
    .withTimeout(null);
  // The chaos drill on Quote.
  t.expect(request({ from: "checkout", to: "pricing", grpc: { service: "store.Pricing", method: "Quote" } }))
    .routesTo("pricing")
    .injectsFault({ abort: { grpc: 14 }, percent: 1 })
    .injectsFault({ delay: "200ms", percent: 5 });
  // The rest of Pricing is rate limited.
  t.expect(request({ from: "checkout", to: "pricing", grpc: { service: "store.Pricing", method: "List" } }))
    .routesTo("pricing")
    .rateLimited({ tokens: 500, per: "1s", burst: 1000 });
  // gRPC routes only match gRPC requests: plain HTTP to inventory finds no route.
  t.expect(request({ from: "checkout", to: "inventory", path: "/store.Inventory/Reserve" })).isNotRouted();
});
