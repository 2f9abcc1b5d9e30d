// Split weights and mirror percentages are numbers, not strings like "10%".
import { defineMesh, http } from "meshc";

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
    r.match({ path: { prefix: "/" } })
      .to(catalog.subset("v1"))
      .mirror(catalog.subset("v2"), "10%"), // expect: MESH0001
  ]);
});
