// A proxyless gRPC client (xDS in the client, no sidecar) calls a plain HTTP service (warning only).
import { defineMesh, grpc, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const web = mesh.service("web", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.5:8080"] });
  const payments = mesh.service("payments", { ports: { api: grpc(9090, { app: 9091 }) }, instances: ["10.0.4.10:9090"] });
  mesh.service("checkout", { ports: {}, instances: [], proxyless: true, calls: [payments, web] }); // expect: MESH0312
});
