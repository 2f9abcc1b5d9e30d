// A patch whose result holds text with a lone surrogate, here a metadata key: such text has no UTF-8 form, so Envoy
// cannot parse it (a value made the encoder fail with an internal error; a map key went out as invalid UTF-8).
// MESH0248 at the mesh.patch() call, nothing built.
import { defineMesh, http } from "meshc";

const tag = "cart 🛒".slice(0, 6); // cut in the middle of the emoji's surrogate pair

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const catalog = mesh.service("catalog", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.1.10:8080"] });
  const web = mesh.service("web", { ports: { web: http(8081, { app: 3001 }) }, instances: ["10.0.1.20:8081"], calls: [catalog] });
  mesh.patch({ proxies: [web], kind: "cluster", name: "outbound|8080||catalog" }, (c) => ({ // expect: MESH0248
    ...c,
    metadata: { filter_metadata: { [tag]: { fields: { team: { stringValue: "shop" } } } } },
  }));
});
