// Caller-based routing and CORS (issue 13): a caller that is not in the mesh, a caller that never calls the routed
// service, and credentials granted to any origin.
import { defineMesh, defineService, http } from "meshc";

const reports = defineService("reports", { ports: { web: http(8090, { app: 3090 }) }, instances: ["10.0.0.10:8090"] });

export default defineMesh({ name: "front", trustDomain: "front.example" }, (mesh) => {
  const api = mesh.service("api", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.6:8080"] });
  mesh.service("web", { ports: { web: http(8081, { app: 3001 }) }, instances: ["10.0.0.5:8081"], calls: [api] });
  const batch = mesh.service("batch", { ports: { web: http(8082, { app: 3002 }) }, instances: ["10.0.0.9:8082"] });
  mesh.cors(api, { allowOrigins: ["*"], allowCredentials: true }); // expect: MESH0352
  mesh.routes(api, (r) => [
    r.match({ from: [reports], path: { prefix: "/reports/" } }).to(api), // expect: MESH0350
    r.match({ from: [batch], path: { prefix: "/batch/" } }).to(api), // expect: MESH0351
    r.match().to(api),
  ]);
});
