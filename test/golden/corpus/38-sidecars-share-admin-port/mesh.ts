// Two sidecars on one host (127.0.0.1, as in a local demo): catalog moved its outbound port but kept the default
// admin port 15000, which web's sidecar already binds.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "demo", trustDomain: "demo.example" }, (mesh) => {
  const catalog = mesh.service("catalog", {
    ports: { web: http(8081, { app: 3001 }) },
    instances: ["127.0.0.1:8081"],
    sidecar: { outboundPort: 15011 },
  });
  mesh.service("web", { // expect: MESH0204
    ports: { web: http(8080, { app: 3000 }) },
    instances: ["127.0.0.1:8080"],
    calls: [catalog],
  });
});
