// Mutual TLS settings: mesh-wide strict, a service overriding to permissive, a port overriding back to strict,
// a port turning it off, certificate settings, a proxyless client using xDS security, a non-mesh caller.
import { defineMesh, grpc, http, tcp } from "meshc";

export default defineMesh(
  { name: "secure", trustDomain: "secure.example", mtls: "strict", certificates: { leafLifetime: "1h", rotateAt: 60, keyAlgorithm: "rsa-2048" } },
  (mesh) => {
    const catalog = mesh.service("catalog", {
      ports: { web: http(8080, { app: 3000 }), admin: http(9000, { app: 3001, mtls: "strict" }), metrics: http(9100, { app: 3002, mtls: "off" }) },
      instances: [{ address: "10.0.1.10" }],
      mtls: "permissive",
      identity: "/ns/shop/sa/catalog",
    });
    const payments = mesh.service("payments", { ports: { rpc: grpc(9090, { app: 3003 }), ledger: tcp(5432, { app: 3004 }) }, instances: [{ address: "10.0.1.11" }] });
    // A non-mesh service's ports stay "off" under a strict mesh: its callers reach it in plaintext.
    const batch = mesh.service("batch", { nonMesh: true, ports: { web: http(8081) }, instances: ["10.0.9.1:8081"] });
    mesh.service("web", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.5:8080"], calls: [catalog, payments, batch] });
    mesh.service("checkout", { proxyless: true, ports: {}, instances: [], calls: [payments] });
  },
);
