// The v2 subset is declared before any instance is labelled v2: traffic routed to it would find no host.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  mesh.service("catalog", { // expect: MESH0104
    ports: { web: http(8080, { app: 3000 }) },
    instances: [
      { address: "10.0.1.10", labels: { version: "v1" } },
      { address: "10.0.2.10", labels: { version: "v1" } },
    ],
    subsets: { v1: { version: "v1" }, v2: { version: "v2" } },
  });
});
