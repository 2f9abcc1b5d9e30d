// A proxyless gRPC client calls an upstream whose balancing and outlier detection gRPC does not implement
// (warnings only: the client gets round robin and no consecutive-error ejection; sidecar callers get both).
import { defineMesh, grpc } from "meshc";

export default defineMesh({ name: "store", trustDomain: "store.example" }, (mesh) => {
  const inventory = mesh.service("inventory", { ports: { api: grpc(7070, { app: 7071 }) }, instances: ["10.1.0.10:7070", "10.1.0.11:7070"] });
  mesh.service("reporter", { ports: {}, instances: [], proxyless: true, calls: [inventory] });
  mesh.policy(inventory, { loadBalancer: "least-request", outlierDetection: { consecutive5xx: 5 } }); // expect: MESH0313 MESH0313
});
