// The catalog team's part: its service and its routes.
import { http, type Mesh } from "meshc";

export function catalog(mesh: Mesh) {
  const svc = mesh.service("catalog", {
    ports: { web: http(8080, { app: 3000 }) },
    instances: [
      { address: "10.0.1.10", labels: { version: "v1" } },
      { address: "10.0.1.11", labels: { version: "v2" } },
    ],
    subsets: { v1: { version: "v1" }, v2: { version: "v2" } },
  });
  mesh.routes(svc, (r) => [
    r.match({ path: { regex: "/items/(?<id>\\d+)/\\k<id>" } }).to(svc.subset("v2")), // expect: MESH0308
    r.match().to(svc).mirror(svc, 5), // expect: MESH0307
  ]);
  return svc;
}
