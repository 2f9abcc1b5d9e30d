// mesh.ts runs user code: one that ends its own evaluation must never make `check` or `build` succeed (issue 7).
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  mesh.service("web", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.1:8080"] });
  (globalThis as any).setTimeout(() => {
    throw new Error("a timer of the mesh module failed"); // expect: MESH0006
  }, 0);
  return new Promise<void>(() => {});
});
