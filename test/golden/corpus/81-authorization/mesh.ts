// Authorization policies that cannot mean what they say (issue 9): each policy below is refused or warned about.
// Rule findings point at the mesh.authorize() call that holds the rule.
import { defineMesh, defineService, http, tcp } from "meshc";

const ghost = defineService("ghost", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.9.9:8080"] });

export default defineMesh({ name: "shop", trustDomain: "shop.example", mtls: "strict" }, (mesh) => {
  const web = http(8080, { app: 3000 });
  const open = mesh.service("open", { mtls: "permissive", ports: { web }, instances: ["10.0.0.3:8080"] });
  const a = mesh.service("a", { ports: { web }, instances: ["10.0.1.1:8080"] });
  const b = mesh.service("b", { ports: { web }, instances: ["10.0.1.2:8080"] });
  const c = mesh.service("c", { ports: { web, db: tcp(5432, { app: 3001 }) }, instances: [{ address: "10.0.1.3" }] });
  const d = mesh.service("d", { ports: { web }, instances: ["10.0.1.4:8080"] });
  const e = mesh.service("e", { ports: { web }, instances: ["10.0.1.5:8080"] });
  const f = mesh.service("f", { ports: { web }, instances: ["10.0.1.6:8080"] });
  const g = mesh.service("g", { ports: { web }, instances: ["10.0.1.7:8080"] });
  const cli = mesh.service("cli", { proxyless: true, ports: {}, instances: [] });
  mesh.service("caller", { ports: { web }, instances: ["10.0.0.1:8080"], calls: [open, a, b, c, d, e, f, g] }); // expect: MESH0705 MESH0705
  mesh.authorize(open, { default: "deny", rules: [{ action: "allow", from: [ghost] }] }); // expect: MESH0701 MESH0708
  mesh.authorize(a, { rules: [{ action: "allow", to: { methods: ["GET"], notMethods: ["GET"] } }] }); // expect: MESH0702 MESH0713
  mesh.authorize(b, { default: "deny", rules: [{ action: "deny", dryRun: true, to: { paths: [{ prefix: "/r" }] } }, { action: "allow" }] }); // expect: MESH0703
  mesh.authorize(c, { rules: [{ action: "deny", to: { ports: ["db"], paths: [{ prefix: "/x" }] } }] }); // expect: MESH0706
  mesh.authorize(d, { rules: [{ action: "deny", to: { paths: [{ prefix: "/a//b" }] } }] }); // expect: MESH0707
  mesh.authorize(e, { rules: [{ action: "deny", from: [{ identity: "spiffe://shop.example/a*b" }] }] }); // expect: MESH0709
  mesh.authorize(f, { rules: [{ action: "deny", name: "same", to: { paths: [{ prefix: "/p" }] } }, { action: "deny", name: "same", to: { ports: ["nope" as never] } }] }); // expect: MESH0714 MESH0712 MESH0702
  mesh.authorize(g, { default: "deny", rules: [{ action: "allow", from: [a] }] }); // expect: MESH0704
  mesh.authorize(g, { default: "allow" }); // expect: MESH0711
  mesh.authorize(cli, { default: "deny" }); // expect: MESH0710
});
