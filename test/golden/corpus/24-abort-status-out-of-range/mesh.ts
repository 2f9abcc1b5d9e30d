// Fault injection aborts with an HTTP status from 200 to 599; 700 is not one.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const cart = mesh.service("cart", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.2.10:8080"] });
  mesh.routes(cart, (r) => [
    r.match({ headers: { "x-chaos": "1" } })
      .to(cart)
      .fault({ abort: { status: 700, percent: 50 } }), // expect: MESH0003
    r.match().to(cart),
  ]);
});
