// "250 ms" and "1 s" pass the Duration type (TypeScript reads "250 " as a number) but are not durations: the
// run-time validation reports them.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const cart = mesh.service("cart", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.2.10:8080"] });
  mesh.policy(cart, { connectTimeout: "250 ms", timeout: "1 s" }); // expect: MESH0003 MESH0003
});
