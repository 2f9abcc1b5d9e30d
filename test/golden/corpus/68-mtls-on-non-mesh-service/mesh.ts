// A service without a proxy cannot terminate mTLS.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  mesh.service("legacy", { nonMesh: true, mtls: "strict", ports: { web: http(8080) }, instances: ["10.0.9.1:8080"] }); // expect: MESH0504
});
