// A second TCP route for the same database: give mesh.tcpRoute() once per service.
import { defineMesh, tcp } from "meshc";

export default defineMesh({ name: "billing", trustDomain: "billing.example" }, (mesh) => {
  const db = mesh.service("db", { ports: { sql: tcp(5432, { app: 15432 }) }, instances: ["10.0.3.10:5432"] });
  mesh.tcpRoute(db, { connectTimeout: "500ms" });
  mesh.tcpRoute(db, { idleTimeout: "10m" }); // expect: MESH0005
});
