// A helper module throws while the mesh is evaluated: the error points at the helper's throw.
import { defineMesh, http } from "meshc";
import { requestLimit } from "./limits.js";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const api = mesh.service("api", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.6.10:8080"] });
  mesh.policy(api, { circuitBreaker: { maxRequests: requestLimit("bronze") } });
});
