// Routes match in order: "/api/v2" requests all match the earlier "/api" prefix, so the v2 route never runs
// (warning only).
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const apiV2 = mesh.service("api-v2", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.6.20:8080"] });
  const api = mesh.service("api", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.6.10:8080"] });
  mesh.routes(api, (r) => [
    r.match({ path: { prefix: "/api" } }).to(api),
    r.match({ path: { prefix: "/api/v2" } }).to(apiV2), // expect: MESH0303
  ]);
});
