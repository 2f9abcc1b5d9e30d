// The same instance listed twice (once as a string, once as an object) would get a double share: an error (promoted from a warning in issue 7).
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  mesh.service("cart", { // expect: MESH0206
    ports: { web: http(8080, { app: 3000 }) },
    instances: ["10.0.2.10:8080", "10.0.2.11:8080", { address: "10.0.2.10", port: 8080 }],
  });
});
