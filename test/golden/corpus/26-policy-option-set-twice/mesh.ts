// Two policy calls for payments both set the connect timeout (one in the team's section, one later).
import { defineMesh, grpc } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const payments = mesh.service("payments", { ports: { api: grpc(9090, { app: 9091 }) }, instances: ["10.0.4.10:9090"] });
  mesh.policy(payments, { connectTimeout: "250ms", circuitBreaker: { maxRequests: 200 } });
  mesh.policy(payments, { connectTimeout: "1s", loadBalancer: "least-request" }); // expect: MESH0005
});
