// A patch that ends the evaluation worker (process.exit): MESH0246, the compiler survives and builds nothing.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const catalog = mesh.service("catalog", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.1.10:8080"] });
  const web = mesh.service("web", { ports: { web: http(8081, { app: 3001 }) }, instances: ["10.0.1.20:8081"], calls: [catalog] });
  const g = globalThis as unknown as { process: { exit(code: number): never } };
  mesh.patch({ proxies: [web], kind: "cluster" }, () => g.process.exit(0)); // expect: MESH0246
});
