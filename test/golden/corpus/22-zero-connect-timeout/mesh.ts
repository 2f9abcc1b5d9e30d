// A connect timeout of 0ms would make every connection attempt fail; durations that must be positive are checked.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const cart = mesh.service("cart", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.2.10:8080"] });
  mesh.policy(cart, { connectTimeout: "0ms", timeout: "2s" }); // expect: MESH0003
});
