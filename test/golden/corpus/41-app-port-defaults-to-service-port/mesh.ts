// No app port: it defaults to the service port, where the sidecar's own inbound listener already is.
import { defineMesh, http, tcp } from "meshc";

export default defineMesh({ name: "billing", trustDomain: "billing.example" }, (mesh) => {
  mesh.service("ledger", {
    ports: {
      web: http(8080, { app: 3000 }),
      db: tcp(5432), // expect: MESH0207
    },
    instances: [{ address: "10.0.3.10" }],
  });
});
