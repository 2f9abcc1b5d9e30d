// Ingress gateway (issue 13): a route for a host no listener serves, and a host match on a service's own routes.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const api = mesh.service("api", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.6:8080"] });
  const edge = mesh.gateway("edge", {
    listeners: [{ port: 8000, protocol: "http", hosts: ["shop.example", "api.shop.example"] }],
    instances: [{ address: "10.0.0.2" }],
  });
  mesh.routes(edge, (r) => [
    r.match({ host: "admin.shop.example" }).to(api), // expect: MESH0234
    r.match().to(api),
  ]);
  mesh.routes(api, (r) => [
    r.match({ host: "api.shop.example" }).to(api), // expect: MESH0233
  ]);
});
