// MESH0603 points at the metrics port as written: for the mesh-wide setting at `port:` inside
// defineMesh({ telemetry: { metrics: { port } } }) (it pointed at `defineMesh(`), for a service's own at the value in
// mesh.telemetry(svc, { metrics: { port } }).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Diagnostic } from "../../src/diagnostics/types.js";
import { meshc } from "../bootstrap/cli-helpers.js";

const SOURCE = `import { defineMesh, http } from "meshc";
export default defineMesh(
  {
    name: "m6", trustDomain: "m6.example",
    telemetry: {
      metrics: { port: 30620 },
    },
  },
  (mesh) => {
    mesh.service("api", { ports: { http: http(30620, { app: 30621 }) }, instances: ["127.0.0.1:30620"], sidecar: { adminPort: 30622, outboundPort: 30623 } });
    const web = mesh.service("web", { ports: { http: http(30630, { app: 30631 }) }, instances: ["127.0.0.1:30630"], sidecar: { adminPort: 30632, outboundPort: 30633 } });
    mesh.telemetry(web, { metrics: { port: 30630 } });
  },
);
`;

test("MESH0603 is located at the metrics port value, mesh-wide and per service", { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "meshc-0603-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "mesh.ts");
  writeFileSync(file, SOURCE);
  const r = await meshc(["check", file, "--format", "json"]);
  const all = JSON.parse(r.stdout) as Diagnostic[] | { diagnostics: Diagnostic[] };
  const found = (Array.isArray(all) ? all : all.diagnostics).filter((d) => d.code === "MESH0603").map((d) => [d.path?.[1], d.line, d.column]);
  assert.deepEqual(found, [
    ["api", 6, 24], // 30620 in `metrics: { port: 30620 }` of defineMesh
    ["web", 12, 44], // 30630 in mesh.telemetry(web, { metrics: { port: 30630 } })
  ], r.stdout + r.stderr);
});
