// A SPIFFE ID copied from another mesh: its trust domain is not this mesh's.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  mesh.service("web", { // expect: MESH0501
    ports: { web: http(8080, { app: 3000 }) },
    instances: ["10.0.0.5:8080"],
    identity: "spiffe://staging.example/ns/shop/sa/web",
  });
});
