// A patch that reads the clock would give different output on every compile: MESH0247.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const catalog = mesh.service("catalog", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.1.10:8080"] });
  const web = mesh.service("web", { ports: { web: http(8081, { app: 3001 }) }, instances: ["10.0.1.20:8081"], calls: [catalog] });
  mesh.patch({ proxies: [web], kind: "cluster", name: "inbound|8081" }, (c) => { // expect: MESH0247
    c.alt_stat_name = `built-${Date.now()}`;
  });
});
