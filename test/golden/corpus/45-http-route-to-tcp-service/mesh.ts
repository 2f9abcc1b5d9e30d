// HTTP routes for a TCP-only database, and an HTTP route that forwards to it.
import { defineMesh, http, tcp } from "meshc";

export default defineMesh({ name: "billing", trustDomain: "billing.example" }, (mesh) => {
  const ledger = mesh.service("ledger", { ports: { db: tcp(5432, { app: 15432 }) }, instances: ["10.0.3.10:5432"] });
  const api = mesh.service("api", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.3.20:8080"] });
  mesh.routes(ledger, (r) => [
    r.match({ path: { prefix: "/" } }).to(ledger), // expect: MESH0304
  ]);
  mesh.routes(api, (r) => [
    r.match({ path: { prefix: "/ledger" } }).to(ledger), // expect: MESH0304
    r.match().to(api),
  ]);
});
