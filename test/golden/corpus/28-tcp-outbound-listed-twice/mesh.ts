// The same TCP upstream listed twice in sidecar.tcpOutbound, with two different local ports.
import { defineMesh, http, tcp } from "meshc";

export default defineMesh({ name: "billing", trustDomain: "billing.example" }, (mesh) => {
  const db = mesh.service("db", { ports: { sql: tcp(5432, { app: 15432 }) }, instances: ["10.0.3.10:5432"] });
  mesh.service("invoices", { // expect: MESH0005
    ports: { web: http(8080, { app: 3000 }) },
    instances: ["10.0.3.20:8080"],
    calls: [db],
    sidecar: {
      tcpOutbound: [
        { upstream: db.port("sql"), port: 25432 },
        { upstream: db.port("sql"), port: 25433 },
      ],
    },
  });
});
