// A patch names a cluster web does not have (a typo of "outbound|8080||catalog"): MESH0244, not a silent no-op.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const catalog = mesh.service("catalog", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.1.10:8080"] });
  const web = mesh.service("web", { ports: { web: http(8081, { app: 3001 }) }, instances: ["10.0.1.20:8081"], calls: [catalog] });
  mesh.patch({ proxies: [web], kind: "cluster", name: "outbound|8080||catalgo" }, (c) => { // expect: MESH0244
    c.per_connection_buffer_limit_bytes = { value: 65536 };
  });
});
