// The search team's part of the mesh: it declares "catalog-index" — and, by copy-paste, "catalog".
import { http, type Mesh } from "meshc";

export function search(mesh: Mesh) {
  mesh.service("catalog", { // expect: MESH0201
    ports: { web: http(8080, { app: 3000 }) },
    instances: ["10.0.5.20:8080"],
  });
  return mesh.service("catalog-index", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.5.10:8080"] });
}
