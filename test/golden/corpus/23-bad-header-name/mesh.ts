// Header names are HTTP tokens: "x canary" (with a space) can never be a header.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const catalog = mesh.service("catalog", {
    ports: { web: http(8080, { app: 3000 }) },
    instances: [{ address: "10.0.1.11", labels: { version: "v2" } }],
    subsets: { v2: { version: "v2" } },
  });
  mesh.routes(catalog, (r) => [
    r.match({ headers: { "x canary": "1" } }).to(catalog.subset("v2")), // expect: MESH0003
    r.match().to(catalog),
  ]);
});
