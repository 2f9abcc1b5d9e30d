// The compile errors of a service's instances and labels (src/dsl/service.ts InstanceOptions, src/dsl/types.ts
// Labels), written as interfaces and an index signature for the type check's speed (issue 12 item 5): the same
// values are refused at the same place, and the valid forms still compile.
import assert from "node:assert/strict";
import { test } from "node:test";
import { positionOf, typeErrorsOf } from "./tmp-mesh.js";

const mesh = (body: string) => `import { defineMesh, dns, http, registry } from "meshc";
export default defineMesh({ name: "t", trustDomain: "t.example" }, (mesh) => {
  ${body}
});
`;

function errorsOf(body: string) {
  const text = mesh(body);
  return { text, diagnostics: typeErrorsOf(text) };
}

const twoPorts = `ports: { web: http(8080), admin: http(9090) }`;

test("valid instance forms compile", () => {
  const { diagnostics } = errorsOf(`
  mesh.service("a", { ${twoPorts}, subsets: { v1: { version: "v1" } }, instances: [
    { address: "10.0.0.1", labels: { version: "v1", zone: "a" }, locality: { region: "r", zone: "z" }, weight: 2 },
    { address: "10.0.0.2", ports: { web: 8081 } },
    { address: "10.0.0.3", ports: { web: 8082, admin: 9092 }, sidecar: { adminPort: 15100, app: { admin: 4000 } } },
    "10.0.0.4:8080",
    "[::1]:8080",
    registry({ key: "a" }),
  ] });
  mesh.service("b", { ports: { web: http(8080) }, instances: [{ address: "10.0.0.5", port: 8081, sidecar: { outboundPort: 15101 } }] });
  mesh.service("c", { ports: { web: http(8080) }, instances: dns("c.example", { web: 80 }) });
  mesh.external("e", { hosts: ["api.example"], ports: { api: http(443) }, endpoints: ["api.example", { address: "10.0.0.9", ports: { api: 8443 } }] });
`);
  assert.deepEqual(diagnostics, []);
});

const cases: [string, string, string][] = [
  // [what, body, the text the error is reported at]
  ["port and ports together", `mesh.service("a", { ${twoPorts}, instances: [{ address: "10.0.0.1", port: 80, ports: { web: 81 } }] });`, "port: 80"],
  ["a port name the service does not declare", `mesh.service("a", { ${twoPorts}, instances: [{ address: "10.0.0.1", ports: { nope: 81 } }] });`, "nope"],
  ["a sidecar app port name the service does not declare", `mesh.service("a", { ${twoPorts}, instances: [{ address: "10.0.0.1", sidecar: { app: { nope: 3000 } } }] });`, "nope"],
  ["a label value that is not a string", `mesh.service("a", { ${twoPorts}, instances: [{ address: "10.0.0.1", labels: { version: 1 } }] });`, "version: 1"],
  ["a subset label value that is not a string", `mesh.service("a", { ${twoPorts}, subsets: { v1: { version: 1 } }, instances: [{ address: "10.0.0.1" }] });`, "version: 1"],
  ["an unknown instance option", `mesh.service("a", { ${twoPorts}, instances: [{ address: "10.0.0.1", wieght: 2 }] });`, "wieght"],
  ["an instance without an address", `mesh.service("a", { ${twoPorts}, instances: [{ labels: { version: "v1" } }] });`, "{ labels"],
  ["a port number that is a string", `mesh.service("a", { ${twoPorts}, instances: [{ address: "10.0.0.1", ports: { web: "81" } }] });`, "web: \"81\""],
  ["an external endpoint on an undeclared port", `mesh.external("e", { hosts: ["api.example"], ports: { api: http(443) }, endpoints: [{ address: "10.0.0.9", ports: { nope: 8443 } }] });`, "nope"],
];

for (const [what, body, at] of cases) {
  test(`refused: ${what}`, () => {
    const { text, diagnostics } = errorsOf(body);
    assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics, null, 1));
    const d = diagnostics[0]!;
    assert.equal(d.code, "MESH0001");
    const p = positionOf(text, at);
    assert.equal(d.line, p.line, d.message);
    // Reported on the offending element: at the text, or on the object literal that holds it.
    assert.ok(d.column! <= p.column && d.endLine === p.line, `${what}: reported at ${d.line}:${d.column}-${d.endLine}:${d.endColumn}, text at ${p.line}:${p.column}: ${d.message}`);
  });
}
