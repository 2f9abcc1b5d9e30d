// Registry-fed instances that cannot work (issue 16): a key that is not one etcd path segment, in a mesh that
// declares no registry. Reported by check/build without contacting any registry.
import { defineMesh, http, registry } from "meshc";

export default defineMesh({ name: "reg", trustDomain: "reg.example" }, (mesh) => {
  const catalog = mesh.service("catalog", { ports: { web: http(8080, { app: 3000 }) }, instances: registry({ key: "shop/catalog" }) }); // expect: MESH0801 MESH0802
  mesh.service("web", { ports: { web: http(8081, { app: 3001 }) }, instances: ["10.0.0.7:8081"], calls: [catalog] });
});
