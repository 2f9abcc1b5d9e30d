// Instances as "address:port" strings: the port of the second one is out of range (a typo: 80800).
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  mesh.service("web", { // expect: MESH0003
    ports: { web: http(8080, { app: 3000 }) },
    instances: ["10.0.0.5:8080", "10.0.0.6:80800"],
  });
});
