// A token in a route's header operations reaches the build output, served snapshots and debug endpoints (secrets
// never may): a literal Authorization value is refused; one copied from the request is not.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const catalog = mesh.service("catalog", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.1.10:8080"] });
  mesh.service("web", { ports: { web: http(8080, { app: 3003 }) }, instances: ["10.0.0.5:8080"], calls: [catalog] });
  mesh.routes(catalog, (r) => [
    r.match({ path: { prefix: "/a" } }).to(catalog).requestHeaders({ set: { authorization: "Bearer abc123" } }), // expect: MESH0332
    r.match({ path: { prefix: "/b" } }).to(catalog).requestHeaders({ set: { authorization: "%REQ(x-upstream-auth)%" } }),
  ]);
});
