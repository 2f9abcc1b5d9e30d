// A single port number on a two-port service is ambiguous (MESH0208); a run-time port name the service lacks is MESH0108.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const names: Record<string, number> = { wbe: 18080 };
  mesh.service("multi", { ports: { web: http(8080, { app: 3000 }), admin: http(9090, { app: 3001 }) }, instances: ["10.9.0.1:8080"] }); // expect: MESH0208
  mesh.service("other", { ports: { web: http(8081, { app: 3002 }) }, instances: [{ address: "10.9.0.2", ports: names as never }] }); // expect: MESH0108
});
