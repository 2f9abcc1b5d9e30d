// `meshc bootstrap --all` for instances with their own sidecar ports (issue 13 item 7): from one compile, each
// instance's bootstrap carries its own node id, its own admin port and its own locality (which picks its snapshot
// variant on the server); an instance without its own ports keeps the service's admin port.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { meshc } from "./cli-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "meshc-bootstrap-instances-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const MESH = `import { defineMesh, http } from "meshc";
export default defineMesh({ name: "two", trustDomain: "two.example" }, (mesh) => {
  const api = mesh.service("api", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.9:8080"] });
  mesh.service("web", {
    ports: { web: http(8081, { app: 3001 }) },
    instances: [
      { address: "10.0.0.5", ports: { web: 8081 }, locality: { region: "r1", zone: "a" }, sidecar: { adminPort: 15100, outboundPort: 15101, app: { web: 3101 } } },
      { address: "10.0.0.5", ports: { web: 8082 }, locality: { region: "r1", zone: "b" }, sidecar: { adminPort: 15200, outboundPort: 15201, app: { web: 3102 } } },
      { address: "10.0.0.6", locality: { region: "r1", zone: "b" } },
    ],
    calls: [api],
    sidecar: { adminPort: 15000 },
  });
});
`;

test("bootstrap --all writes each instance's own admin port and locality", { timeout: 120_000 }, async () => {
  const mesh = join(dir, "mesh.ts");
  writeFileSync(mesh, MESH);
  const out = join(dir, "out");
  const r = await meshc(["bootstrap", mesh, "--all", "--out", out, "--format", "json"]);
  assert.equal(r.code, 0, r.stderr);
  const read = (f: string) => JSON.parse(readFileSync(join(out, "web", f), "utf8")) as { node: { id: string; locality?: { zone?: string } }; admin: { address: { socket_address: { port_value: number } } } };
  const a = read("10.0.0.5_8081.json");
  const b = read("10.0.0.5_8082.json");
  const c = read("10.0.0.6_8081.json");
  assert.deepEqual(
    [a, b, c].map((x) => [x.node.id, x.node.locality?.zone, x.admin.address.socket_address.port_value]),
    [
      ["10.0.0.5:8081", "a", 15100],
      ["10.0.0.5:8082", "b", 15200],
      ["10.0.0.6:8081", "b", 15000],
    ],
  );
});
