// mesh.patch() on an external service: meshc runs no proxy for it (MESH0243).
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const catalog = mesh.service("catalog", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.1.10:8080"] });
  const web = mesh.service("web", { ports: { web: http(8081, { app: 3001 }) }, instances: ["10.0.1.20:8081"], calls: [catalog] });
  const partner = mesh.external("partner", { hosts: ["partner.example"], ports: { web: http(80) }, resolution: "dns" });
  mesh.patch({ proxies: [web, partner], kind: "cluster" }, (c) => c); // expect: MESH0243
});
