// Subsets select by labels, but DNS answers carry none: the v2 subset of a DNS service selects nothing.
import { defineMesh, dns, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  mesh.service("cart", { // expect: MESH0105
    ports: { web: http(8080, { app: 3000 }) },
    instances: dns("cart.shop.internal", 8080),
    subsets: { v2: { version: "v2" } },
  });
});
