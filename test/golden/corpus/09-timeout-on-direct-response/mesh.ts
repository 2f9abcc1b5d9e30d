// .timeout() applies to forwarding routes only: a direct response has none.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const cart = mesh.service("cart", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.2.10:8080"] });
  mesh.routes(cart, (r) => [
    r.match({ path: { exact: "/healthz" } }).respond(200, "ok").timeout("1s"), // expect: MESH0001
    r.match().to(cart),
  ]);
});
