// A patch that throws on a resource its target selects: MESH0245 at the mesh.patch() call, nothing built.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const catalog = mesh.service("catalog", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.1.10:8080"] });
  const web = mesh.service("web", { ports: { web: http(8081, { app: 3001 }) }, instances: ["10.0.1.20:8081"], calls: [catalog] });
  mesh.patch({ proxies: [web], kind: "listener" }, (l) => { // expect: MESH0245
    if (!l.name?.startsWith("inbound")) throw new Error(`unexpected listener ${l.name}`);
  });
});
