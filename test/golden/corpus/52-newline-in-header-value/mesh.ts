// A header value built from a template with a trailing newline: CR/LF would split the header, Envoy refuses it.
import { defineMesh, http } from "meshc";

const banner = `shop-web
`;

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const cart = mesh.service("cart", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.2.10:8080"] });
  mesh.routes(cart, (r) => [
    r.match({ path: { prefix: "/api/cart" } }).to(cart).requestHeaders({ set: { "x-shop-client": banner } }), // expect: MESH0310
    r.match().to(cart),
  ]);
});
