// Config Envoy refuses at run time although its schema takes it (issue 7): each line below made `meshc check` exit
// 0 before, and the proxy NACK the update.
import { defineMesh, grpc, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const catalog = mesh.service("catalog", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.1.10:8080"] });
  const pay = mesh.service("pay", { ports: { rpc: grpc(9090, { app: 3001 }), web: http(8081, { app: 3002 }) }, instances: [{ address: "10.0.2.10" }] });
  mesh.service("web", { ports: { web: http(8080, { app: 3003 }) }, instances: ["10.0.0.5:8080"], calls: [catalog, pay] });
  mesh.routes(catalog, (r) => [
    r.match({ path: { prefix: "/a" } }).to(catalog).requestHeaders({ remove: ["host"] }), // expect: MESH0321
    r.match({ path: { prefix: "/b" } }).to(catalog).requestHeaders({ set: { "x-id": "%NOPE%" } }), // expect: MESH0322
    r.match({ path: { prefix: "/c" } }).respond(200, "x".repeat(5000)), // expect: MESH0323
    r.match({ path: { prefix: "/d" } }).redirect({ host: "shop example.com" }), // expect: MESH0324
    r.match({ path: { prefix: "/e" } }).to(catalog).rewrite({ prefix: "" }), // expect: MESH0325
    r.match({ path: { prefix: "/f" } }).to(catalog).rateLimit({ tokens: 1, per: "10ms" }), // expect: MESH0326
    r.match({ path: { regex: "/g/.{90}" } }).to(catalog), // expect: MESH0327
    r.match({ headers: { "x-h": { prefix: "" } } }).to(catalog), // expect: MESH0329
    r.match({ path: { prefix: "/i" } }).to(catalog).fault({ delay: { fixed: "0ms" } }), // expect: MESH0330
  ]);
  mesh.policy(pay, { healthCheck: { grpc: {} }, outlierDetection: { maxEjectionPercent: 33.3 } }); // expect: MESH0328 MESH0331
});
