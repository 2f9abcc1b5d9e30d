// 90 + 20 = 110: meshc normalizes the weights and says so (warning only).
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const search = mesh.service("search", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.5.10:8080"] });
  const catalog = mesh.service("catalog", {
    ports: { web: http(8080, { app: 3000 }) },
    instances: [{ address: "10.0.1.10", labels: { version: "v1" } }],
    subsets: { v1: { version: "v1" } },
  });
  mesh.routes(catalog, (r) => [
    r.match().split([ // expect: MESH0302
      [catalog.subset("v1"), 90],
      [search, 20],
    ]),
  ]);
});
