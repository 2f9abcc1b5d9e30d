// A route needs an action (.to, .split, .redirect or .respond): a bare match is not a Route.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const catalog = mesh.service("catalog", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.1.10:8080"] });
  mesh.routes(catalog, (r) => [
    r.match({ headers: { "x-canary": "1" } }).to(catalog),
    r.match({ path: { prefix: "/" } }), // expect: MESH0001
  ]);
});
