// External services (issue 13): a host claimed twice (also in another letter case), a TLS port called in plaintext, a proxyless client that
// cannot originate TLS from a CA file. The managed database reached by DNS on its own port number is fine: an
// external service runs no sidecar, so its app port is nobody's inbound port (no MESH0207).
import { defineMesh, grpc, http, tcp } from "meshc";

export default defineMesh({ name: "edges", trustDomain: "edges.example", egress: "registry-only" }, (mesh) => {
  const db = mesh.external("ledger", { hosts: ["ledger.internal"], ports: { db: tcp(5432) } });
  const partner = mesh.external("partner", { hosts: ["api.partner.example"], ports: { https: http(443) }, tls: {} });
  const again = mesh.external("partner-v2", { hosts: ["api.partner.example"], ports: { api: http(8443) }, tls: {} }); // expect: MESH0230
  const plain = mesh.external("maps", {
    hosts: ["maps.example"],
    ports: { https: http(443) }, // expect: MESH0231
  });
  // Envoy lowercases domains: "WEB.edges" is service web's domain web.edges, "Status" is status's own name.
  const shout = mesh.external("shout", { hosts: ["WEB.edges"], ports: { web: http(80) } }); // expect: MESH0230
  const status = mesh.external("status", { hosts: ["Status"], ports: { web: http(80) } }); // expect: MESH0230
  mesh.service("web", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.5:8080"], calls: [db, partner, again, plain, shout, status] });
  const rpc = mesh.external("rpc", { hosts: ["rpc.partner.example"], ports: { api: grpc(443) }, tls: {} });
  mesh.service("grpc-client", { ports: {}, instances: [], proxyless: true, calls: [rpc] }); // expect: MESH0232
});
