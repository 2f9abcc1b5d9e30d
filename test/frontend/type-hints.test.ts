// Hints of type errors on DSL calls say what was passed and what fits (issue 18): a SubsetRef or PortRef where a
// ServiceRef is expected is not "the service's name as a string".
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadMesh } from "../../src/frontend/index.js";
import { positionOf, writeMesh } from "./tmp-mesh.js";

test("a subset or a port passed where a service reference is expected gets a hint naming what was passed", async () => {
  const text = `import { defineMesh, http } from "meshc";
export default defineMesh({ name: "h", trustDomain: "h.example" }, (mesh) => {
  const catalog = mesh.service("catalog", { ports: { web: http(8080, { app: 3000 }) }, instances: [{ address: "10.0.0.1", labels: { v: "1" } }], subsets: { v1: { v: "1" } } });
  mesh.service("web", { ports: { web: http(8000, { app: 3001 }) }, instances: [{ address: "10.0.0.2" }], calls: [catalog.subset("v1")] });
  mesh.policy(catalog.port("web"), { connectTimeout: "1s" });
});
`;
  const m = writeMesh({ "mesh.ts": text });
  try {
    const r = await loadMesh(m.entry);
    const byLine = new Map(r.diagnostics.map((d) => [d.line, d]));
    const subset = byLine.get(positionOf(text, "calls: [catalog.subset").line)!;
    assert.equal(subset.code, "MESH0001");
    assert.match(subset.hint!, /SubsetRef<"catalog", "v1"> is one subset of a service: pass the service itself/);
    assert.doesNotMatch(subset.hint!, /as a string/);
    const port = byLine.get(positionOf(text, "mesh.policy(catalog.port").line)!;
    assert.match(port.hint!, /PortRef<"catalog", "web"> is one port of a service: pass the service itself/);
    assert.match(port.hint!, /service or subset reference/);
  } finally {
    m.remove();
  }
});
