// A gateway host listed twice on one port, in two letter cases: Envoy lowercases domains and would refuse the
// route table ("Duplicate entry of domain shop.example in route gateway|8000"). The same host on another port is
// another route table, so it is fine.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const api = mesh.service("api", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.6:8080"] });
  const edge = mesh.gateway("edge", { // expect: MESH0239
    listeners: [
      { port: 8000, protocol: "http", hosts: ["Shop.example", "shop.example"] },
      { port: 8001, protocol: "http", hosts: ["shop.example"] },
    ],
    instances: [{ address: "10.0.0.2" }],
  });
  mesh.routes(edge, (r) => [r.match().to(api)]);
});
