// A gateway named in calls and as a route target: it takes traffic from outside the mesh (its https listener
// terminates TLS with its own certificate), so a caller's sidecar would send it plaintext. Call the service behind it.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const api = mesh.service("api", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.6:8080"] });
  const edge = mesh.gateway("edge", {
    listeners: [{ port: 8443, protocol: "https", hosts: ["shop.example"], tls: { cert: "/etc/edge/cert.pem", key: "/etc/edge/key.pem" } }],
    instances: [{ address: "10.0.0.2" }],
  });
  mesh.routes(edge, (r) => [r.match().to(api)]);
  mesh.service("web", { ports: { web: http(8081, { app: 3001 }) }, instances: ["10.0.0.7:8081"], calls: [edge] }); // expect: MESH0241
  const jobs = mesh.service("jobs", { ports: { web: http(8082, { app: 3002 }) }, instances: ["10.0.0.8:8082"] });
  mesh.routes(jobs, (r) => [
    r.match({ path: { prefix: "/edge" } }).to(edge), // expect: MESH0241
    r.match().to(jobs),
  ]);
});
