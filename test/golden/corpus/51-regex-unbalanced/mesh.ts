// A regex with an unclosed group is invalid in any dialect.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const api = mesh.service("api", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.6.10:8080"] });
  mesh.routes(api, (r) => [
    r.match({ path: { regex: "/api/(v1|v2/.*" } }).to(api), // expect: MESH0309
    r.match().to(api),
  ]);
});
