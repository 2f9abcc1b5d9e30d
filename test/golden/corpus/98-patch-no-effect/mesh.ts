// A patch that returns its input unchanged: a warning (MESH0360), the build passes unless --strict.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const catalog = mesh.service("catalog", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.1.10:8080"] });
  const web = mesh.service("web", { ports: { web: http(8081, { app: 3001 }) }, instances: ["10.0.1.20:8081"], calls: [catalog] });
  mesh.patch({ proxies: [web], kind: "cluster" }, (c) => { // expect: MESH0360
    c.name = c.name ?? "";
  });
});
