// A health check that may run 5s but starts every second: checks overlap (warning only).
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const cart = mesh.service("cart", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.2.10:8080"] });
  mesh.policy(cart, { healthCheck: { http: "/healthz", interval: "1s", timeout: "5s" } }); // expect: MESH0405
});
