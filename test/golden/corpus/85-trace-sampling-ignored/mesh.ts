// A route's traceSampling while its caller traces: sidecars sample with the tracer's parent-based sampler, which
// Envoy 1.40 applies per sidecar, so the route's share has no effect (MESH0426).
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "ts", trustDomain: "ts.example" }, (mesh) => {
  const web = http(8080, { app: 3000 });
  const orders = mesh.service("orders", { ports: { web }, instances: ["10.0.1.1:8080"] });
  const shop = mesh.service("shop", { ports: { web }, instances: ["10.0.1.2:8080"], calls: [orders] });
  mesh.telemetry(shop, { tracing: { collector: "10.0.9.1:4317", samplePercent: 10 } });
  mesh.routes(orders, (r) => [r.match({ path: { prefix: "/checkout" } }).to(orders).traceSampling(100), r.match().to(orders)]); // expect: MESH0426
});
