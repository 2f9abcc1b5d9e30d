// A backreference (\1) in a query-parameter regex: RE2 has no backreferences.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const search = mesh.service("search", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.5.10:8080"] });
  mesh.routes(search, (r) => [
    r.match({ query: { q: { regex: "(\\w+) \\1" } } }).respond(400, "repeated word"), // expect: MESH0308
    r.match().to(search),
  ]);
});
