// Ports and subsets named past the types: an unknown route port (MESH0109), a TCP port in an HTTP route
// (MESH0314), a policy for an undeclared subset (MESH0110).
import { defineMesh, http, tcp } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const api = mesh.service("api", {
    ports: { web: http(8080, { app: 3000 }), db: tcp(5432, { app: 15432 }) },
    instances: [{ address: "10.0.6.10", labels: { version: "v1" } }],
    subsets: { v1: { version: "v1" } },
  });
  mesh.routes(api, (r) => [
    r.match({ port: "wbe" as never }).to(api), // expect: MESH0109
    r.match().to(api.port("db")), // expect: MESH0314 MESH0303
  ]);
  mesh.policy(api.subset("v3" as never), { connectTimeout: "1s" }); // expect: MESH0110
});
