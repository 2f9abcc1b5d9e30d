// On one host, the TCP outbound port chosen for invoices' database upstream is the port cart's app listens on.
import { defineMesh, http, tcp } from "meshc";

export default defineMesh({ name: "demo", trustDomain: "demo.example" }, (mesh) => {
  const db = mesh.service("db", {
    ports: { sql: tcp(5432, { app: 15432 }) },
    instances: ["127.0.0.1:5432"],
    sidecar: { adminPort: 15100, outboundPort: 15101 },
  });
  mesh.service("cart", {
    ports: { web: http(8082, { app: 3002 }) },
    instances: ["127.0.0.1:8082"],
    sidecar: { adminPort: 15200, outboundPort: 15201 },
  });
  mesh.service("invoices", { // expect: MESH0204
    ports: { web: http(8083, { app: 3003 }) },
    instances: ["127.0.0.1:8083"],
    calls: [db],
    sidecar: { adminPort: 15300, outboundPort: 15301, tcpOutbound: [{ upstream: db.port("sql"), port: 3002 }] },
  });
});
