// An identity path with a wildcard: identities are exact names, never patterns.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  mesh.service("web", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.5:8080"], identity: "/ns/shop/sa/*" }); // expect: MESH0501
});
