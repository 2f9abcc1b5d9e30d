// An exception while the mesh is evaluated (MESH0002) is reported at the user's frame that threw.
import { defineMesh, http } from "meshc";
import { requestLimit } from "./limits.js";

export default defineMesh({ name: "boom", trustDomain: "boom.example" }, (mesh) => {
  const api = mesh.service("api", { ports: { web: http(8080) }, instances: [] });
  mesh.policy(api, { circuitBreaker: { maxRequests: requestLimit("bronze") } });
});
