// Authorization on ingress gateways: a gateway's callers come from outside the mesh and carry no mesh identity, so
// its own rules naming callers are refused, and a policy that lets no request in is warned about. Mesh-wide rules
// naming callers are fine: at a gateway they apply with an empty principal (Istio's root-namespace semantics).
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example", mtls: "strict" }, (mesh) => {
  const api = mesh.service("api", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.6:8080"] });
  const gateway = (name: string, address: string) =>
    mesh.gateway(name, { listeners: [{ port: 8000, protocol: "http", hosts: ["shop.example"] }], instances: [{ address }] });
  const edge = gateway("edge", "10.0.0.2");
  const admin = gateway("admin", "10.0.0.3");
  mesh.routes(edge, (r) => [r.match().to(api)]);
  mesh.routes(admin, (r) => [r.match().to(api)]);
  mesh.authorize(edge, { rules: [{ action: "deny", from: [{ trustDomain: "other.example" }] }] }); // expect: MESH0701
  mesh.authorize(admin, { default: "deny", rules: [{ action: "deny", to: { paths: [{ prefix: "/debug" }] } }] }); // expect: MESH0240
  mesh.authorizeDefaults({ rules: [{ action: "deny", name: "mesh-foreign", from: [{ trustDomain: "other.example" }] }] });
});
