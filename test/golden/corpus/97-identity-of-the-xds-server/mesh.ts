// A workload claiming the xDS server's own SPIFFE ID: it would be issued the identity every proxy pins for the
// control plane.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  mesh.service("web", { // expect: MESH0715
    ports: { web: http(8080, { app: 3000 }) },
    instances: ["10.0.0.5:8080"],
    identity: "spiffe://shop.example/meshc/xds-server",
  });
});
