// A canary ramp computed at run time overshoots: 1.5 × 100 = 150 percent, -50 left for v1.
import { defineMesh, http } from "meshc";

const ramp = 1.5; // meant to be 0.15

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const catalog = mesh.service("catalog", {
    ports: { web: http(8080, { app: 3000 }) },
    instances: [
      { address: "10.0.1.10", labels: { version: "v1" } },
      { address: "10.0.1.11", labels: { version: "v2" } },
    ],
    subsets: { v1: { version: "v1" }, v2: { version: "v2" } },
  });
  mesh.routes(catalog, (r) => [
    r.match().split([ // expect: MESH0003 MESH0003
      [catalog.subset("v1"), 100 - ramp * 100],
      [catalog.subset("v2"), ramp * 100],
    ]),
  ]);
});
