// A path prefix without the leading "/": no request path can match it: an error (promoted from a warning in issue 7).
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const api = mesh.service("api", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.6.10:8080"] });
  mesh.routes(api, (r) => [
    r.match({ path: { prefix: "api/" } }).to(api).timeout("2s"), // expect: MESH0311
    r.match().to(api),
  ]);
});
