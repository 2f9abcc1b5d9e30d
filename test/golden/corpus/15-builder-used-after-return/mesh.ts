// The builder is kept and used after defineMesh() returned: the mesh is already final, so this throws.
import { defineMesh, http, type Mesh } from "meshc";

let builder: Mesh | undefined;

const shop = defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  builder = mesh;
  mesh.service("web", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.5:8080"] });
});

builder!.service("cart", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.2.10:8080"] }); // expect: MESH0002

export default shop;
