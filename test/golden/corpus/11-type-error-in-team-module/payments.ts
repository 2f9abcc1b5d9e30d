// The payments team's part of the mesh.
import { grpc, type Mesh } from "meshc";

export function payments(mesh: Mesh) {
  const svc = mesh.service("payments", { ports: { api: grpc(9090, { app: 9091 }) }, instances: ["10.0.4.10:9090"] });
  mesh.policy(svc, {
    loadBalancer: "fastest", // expect: MESH0001
    healthCheck: { grpc: {}, interval: "5s", timeout: 1000 }, // expect: MESH0001
  });
  return svc;
}
