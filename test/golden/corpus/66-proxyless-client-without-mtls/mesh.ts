// A proxyless gRPC client that opted out of xDS security calls a strict gRPC port: every call would be refused.
import { defineMesh, grpc } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example", mtls: "strict" }, (mesh) => {
  const payments = mesh.service("payments", { ports: { rpc: grpc(9090, { app: 3000 }) }, instances: ["10.0.0.7:9090"] });
  mesh.service("checkout", { proxyless: true, mtls: "off", ports: {}, instances: [], calls: [payments] }); // expect: MESH0502
});
