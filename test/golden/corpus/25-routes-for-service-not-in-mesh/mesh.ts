// Routes and a policy for the search service, which was never added to the mesh (mesh.add(search) is missing).
import { defineMesh, http } from "meshc";
import { search } from "./search.js";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  mesh.service("web", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.5:8080"] });
  mesh.routes(search, (r) => [r.match({ path: { prefix: "/search" } }).to(search).timeout("1s")]); // expect: MESH0004
  mesh.policy(search, { connectTimeout: "250ms" }); // expect: MESH0004
});
