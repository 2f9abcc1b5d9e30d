// Values each allowed on its own that Envoy cannot take together or at all: each reached the Envoy backend and
// failed as MESH0901 ("meshc bug", no position), or compiled to a split that silently sends the canary nothing.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  // Two weights of 4294967295 in one locality: its load_balancing_weight (their sum) overflows uint32.
  const catalog = mesh.service("catalog", { // expect: MESH0361
    ports: { web: http(8080, { app: 3000 }) },
    instances: [
      { address: "10.0.1.10", labels: { version: "v1" }, weight: 4294967295 },
      { address: "10.0.1.11", labels: { version: "v2" }, weight: 4294967295 },
    ],
    subsets: { v1: { version: "v1" }, v2: { version: "v2" } },
  });
  mesh.service("web", { ports: { web: http(8081, { app: 3001 }) }, instances: ["10.0.0.5:8081"], calls: [catalog] });
  // 0.004 percent is 0 basis points: Envoy would send v2 nothing.
  mesh.routes(catalog, (r) => [r.match().split([[catalog.subset("v1"), 99.996], [catalog.subset("v2"), 0.004]])]); // expect: MESH0362
  // A subset's own outlier detection: max_ejection_percent is a whole number.
  mesh.policy(catalog.subset("v2"), { outlierDetection: { maxEjectionPercent: 12.5 } }); // expect: MESH0331
  // Two http listeners on port 8000 are one port "http-8000": Envoy cannot bind it twice.
  const edge = mesh.gateway("edge", { // expect: MESH0203
    listeners: [
      { port: 8000, protocol: "http", hosts: ["shop.example"] },
      { port: 8000, protocol: "http", hosts: ["www.shop.example"] },
    ],
    instances: [{ address: "10.0.9.1" }],
  });
  mesh.routes(edge, (r) => [r.match().to(catalog)]);
});
