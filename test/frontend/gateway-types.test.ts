// A gateway reference's port names are typed (src/dsl/gateway.ts GatewayPortName): each listener is the port
// `<protocol>-<port>`, so an authorization rule's `to.ports` naming a listener the gateway does not have is a compile
// error, as for a service (the names were `never` before: no rule could name a listener without a cast). And for a
// service too: mesh.authorize inferred its port names from the rule as well as from the reference, so any name passed.
import assert from "node:assert/strict";
import { test } from "node:test";
import { positionOf, typeErrorsOf } from "./tmp-mesh.js";

const mesh = (body: string) => `import { defineMesh, http } from "meshc";
export default defineMesh({ name: "t", trustDomain: "t.example" }, (mesh) => {
  const api = mesh.service("api", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.1:8080"] });
  const edge = mesh.gateway("edge", {
    listeners: [
      { port: 8080, protocol: "http", hosts: ["shop.example"] },
      { port: 8443, protocol: "https", hosts: ["shop.example"], tls: { cert: "/etc/edge/cert.pem", key: "/etc/edge/key.pem" } },
    ],
    instances: [{ address: "10.0.0.9" }],
  });
  mesh.routes(edge, (r) => [r.match({ path: { prefix: "/" } }).to(api)]);
  ${body}
});
`;

function errorsOf(body: string) {
  const text = mesh(body);
  return { text, diagnostics: typeErrorsOf(text) };
}

test("a gateway's listeners are its typed ports", () => {
  const { diagnostics } = errorsOf(`
  mesh.authorize(edge, { rules: [{ action: "deny", to: { ports: ["https-8443"], paths: [{ prefix: "/admin" }] } }] });
  const port: "http-8080" | "https-8443" = edge.port("http-8080").port;
  void port;`);
  assert.deepEqual(diagnostics, []);
});

for (const [what, body, at] of [
  ["a listener the gateway does not have", `mesh.authorize(edge, { rules: [{ action: "deny", to: { ports: ["https-9443"] } }] });`, `"https-9443"`],
  ["a service's port name on a gateway", `mesh.authorize(edge, { rules: [{ action: "deny", to: { ports: ["web"] } }] });`, `"web"`],
  ["a port the service does not have (P was inferred from the rule too)", `mesh.authorize(api, { rules: [{ action: "deny", to: { ports: ["nope"] } }] });`, `"nope"`],
  ["port() with a name the gateway does not have", `edge.port("http-80");`, `"http-80"`],
] as const) {
  test(`${what} is a compile error`, () => {
    const { text, diagnostics } = errorsOf(body);
    assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics, null, 1));
    assert.equal(diagnostics[0]!.code, "MESH0001");
    assert.equal(diagnostics[0]!.line, positionOf(text, at).line);
  });
}
