// A TCP outbound port for a port name the database does not declare (it is "sql", not "postgres").
import { defineMesh, http, tcp } from "meshc";

export default defineMesh({ name: "billing", trustDomain: "billing.example" }, (mesh) => {
  const db = mesh.service("db", { ports: { sql: tcp(5432, { app: 15432 }) }, instances: ["10.0.3.10:5432"] });
  mesh.service("invoices", {
    ports: { web: http(8080, { app: 3000 }) },
    instances: ["10.0.3.20:8080"],
    calls: [db],
    sidecar: {
      tcpOutbound: [{ upstream: db.port("postgres"), port: 25432 }], // expect: MESH0001
    },
  });
});
