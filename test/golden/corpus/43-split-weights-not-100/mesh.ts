// 90 + 20 = 110: weights are percentages and must sum to 100 (an error, as in Istio).
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const search = mesh.service("search", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.5.10:8080"] });
  const catalog = mesh.service("catalog", {
    ports: { web: http(8080, { app: 3000 }) },
    instances: [{ address: "10.0.1.10", labels: { version: "v1" } }],
    subsets: { v1: { version: "v1" } },
  });
  mesh.routes(catalog, (r) => [
    r.match().split([ // expect: MESH0320
      [catalog.subset("v1"), 90],
      [search, 20],
    ]),
  ]);
});
