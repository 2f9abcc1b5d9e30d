// Durations are template-literal types: "2 seconds" is not one.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const cart = mesh.service("cart", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.2.10:8080"] });
  mesh.routes(cart, (r) => [
    r.match({ path: { prefix: "/api/cart" } })
      .to(cart)
      .timeout("2 seconds"), // expect: MESH0001
  ]);
  mesh.policy(cart, { connectTimeout: "250msec" }); // expect: MESH0001
});
