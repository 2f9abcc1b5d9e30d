// A negative lookahead (PCRE/JavaScript syntax) that Envoy's RE2 engine rejects.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const api = mesh.service("api", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.6.10:8080"] });
  mesh.routes(api, (r) => [
    r.match({ path: { regex: "/api/(?!internal).*" } }).to(api), // expect: MESH0308
    r.match({ headers: { "x-user": { regex: "^(?=.*admin).+$" } } }).respond(403), // expect: MESH0308
  ]);
});
