// A TCP route (with a TCP split) for a service that only speaks HTTP.
import { defineMesh, http, tcp } from "meshc";

export default defineMesh({ name: "billing", trustDomain: "billing.example" }, (mesh) => {
  const db = mesh.service("db", { ports: { sql: tcp(5432, { app: 15432 }) }, instances: ["10.0.3.10:5432"] });
  const api = mesh.service("api", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.3.20:8080"] });
  mesh.tcpRoute(db, { split: [[db, 50], [api, 50]] }); // expect: MESH0305
});
