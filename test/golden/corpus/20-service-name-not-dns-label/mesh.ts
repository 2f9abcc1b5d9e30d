// Service names become host names and Envoy resource names: a lowercase DNS label.
import { defineMesh, grpc } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  mesh.service("Payments_API", { ports: { api: grpc(9090, { app: 9091 }) }, instances: ["10.0.4.10:9090"] }); // expect: MESH0003
});
