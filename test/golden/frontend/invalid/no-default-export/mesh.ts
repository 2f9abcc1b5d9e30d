// Forgetting `export default`: the mesh is built but never handed to meshc (MESH0002).
import { defineMesh } from "meshc";

export const mesh = defineMesh({ name: "nodefault", trustDomain: "x.example" }, () => {});
