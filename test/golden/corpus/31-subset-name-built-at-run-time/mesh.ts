// A helper takes any ServiceRef, so the subset name it builds is a plain string the types cannot check:
// "v3" does not exist on catalog.
import { defineMesh, http, type ServiceRef } from "meshc";
import type { RouteFactory } from "meshc";

const canary = (r: RouteFactory, svc: ServiceRef, stable: number, next: number) =>
  r.match({ path: { prefix: "/" } }).split([ // expect: MESH0102
    [svc.subset(`v${stable}`), 90],
    [svc.subset(`v${next}`), 10],
  ]);

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const catalog = mesh.service("catalog", {
    ports: { web: http(8080, { app: 3000 }) },
    instances: [
      { address: "10.0.1.10", labels: { version: "v1" } },
      { address: "10.0.1.11", labels: { version: "v2" } },
    ],
    subsets: { v1: { version: "v1" }, v2: { version: "v2" } },
  });
  mesh.routes(catalog, (r) => [canary(r, catalog, 2, 3)]);
});
