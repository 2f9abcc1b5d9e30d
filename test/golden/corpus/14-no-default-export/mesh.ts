// The mesh is built but not exported as the default export. expect: MESH0002
import { defineMesh, http } from "meshc";

export const shop = defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  mesh.service("web", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.5:8080"] });
});
