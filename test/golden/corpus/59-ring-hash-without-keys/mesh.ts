// Ring-hash balancing without hash keys: requests are spread at random, no affinity (warning only).
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const sessions = mesh.service("sessions", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.9.20:8080", "10.0.9.21:8080"] });
  mesh.policy(sessions, { loadBalancer: { ringHash: { hashOn: [] } } }); // expect: MESH0404
});
