// Mistakes TypeScript reports at the user's line and column (MESH0001).
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "types", trustDomain: "types.example" }, (mesh) => {
  const catalog = mesh.service("catalog", {
    ports: { web: http(8080) },
    instances: [],
    subsets: { v1: { version: "v1" }, v2: { version: "v2" } },
    identity: "catalog",
  });
  mesh.routes(catalog, (r) => [
    r.match().to(catalog.subset("v3")),
    r.match().to(catalog).timeout("2 seconds"),
    r.match({ path: { prefix: "/" } }),
  ]);
  mesh.routes(catalog, (r) => [r.match().respond(204).timeout("1s")]);
  mesh.service("web", { ports: { web: http(80) }, instances: [], calls: ["catalog"], sidecar: { tcpOutbound: [{ upstream: catalog.port("nope"), port: 1 }] } });
  mesh.policy(catalog, { loadBalancer: "fastest", circuitBreaker: { maxRequest: 5 } });
});
