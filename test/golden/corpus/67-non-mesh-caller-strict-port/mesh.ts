// A batch job without a sidecar calls a service whose port refuses plaintext.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const catalog = mesh.service("catalog", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.1.10:8080"], mtls: "strict" });
  mesh.service("batch", { nonMesh: true, ports: {}, instances: [], calls: [catalog] }); // expect: MESH0503
});
