// A gRPC method match on a service whose port is declared http, not grpc.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const pay = mesh.service("pay", { ports: { api: http(9090, { app: 9091 }) }, instances: ["10.0.4.10:9090"] });
  mesh.routes(pay, (r) => [
    r.match({ grpc: { service: "shop.Payments", method: "Charge" } }).to(pay).timeout("3s"), // expect: MESH0306
    r.match().to(pay),
  ]);
});
