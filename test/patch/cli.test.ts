// `meshc build` and mesh.patch() (issue 13): the build reports each patch (its mesh.ts line, the proxies and
// resources it changed) on stderr; `--strict` lists each patch that changed something as MESH0242 (a warning, so
// the strict build fails and writes nothing); `meshc check --strict` lists them too.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { Diagnostic } from "../../src/diagnostics/types.js";

const ROOT = join(import.meta.dirname, "..", "..");
const MESH = join(ROOT, "test", "golden", "patch", "mesh.ts");
const tmp = mkdtempSync(join(tmpdir(), "meshc-patch-cli-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const meshc = (args: string[]) => spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src", "cli", "main.ts"), ...args], { encoding: "utf8", timeout: 180_000 });

test("meshc build reports every patch by mesh.ts line, proxy and resource", { timeout: 200_000 }, () => {
  const out = join(tmp, "out");
  const r = meshc(["build", MESH, "--out", out]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stderr.split("\n").filter((l) => l.startsWith("meshc: patch "));
  assert.deepEqual(lines, [
    'meshc: patch mesh.ts:11:8 changed clusters of 1 proxy: web: "outbound|8080||catalog"',
    'meshc: patch mesh.ts:15:8 changed listeners of 1 proxy: web: "inbound|8081"',
    'meshc: patch mesh.ts:25:8 changed routes of 1 proxy: web: "outbound|15001|http"',
  ]);
  assert.ok(existsSync(join(out, "web", "rds.json")));
});

test("--strict lists each patch as MESH0242 at its call and fails closed", { timeout: 200_000 }, () => {
  const out = join(tmp, "strict-out");
  const r = meshc(["build", MESH, "--out", out, "--strict", "--format", "json"]);
  assert.equal(r.status, 1, r.stderr);
  const ds = JSON.parse(r.stdout) as Diagnostic[];
  assert.deepEqual(ds.map((d) => [d.code, d.severity, d.line, d.column]), [
    ["MESH0242", "warning", 11, 8],
    ["MESH0242", "warning", 15, 8],
    ["MESH0242", "warning", 25, 8],
  ]);
  assert.match(ds[0]!.message, /cluster "outbound\|8080\|\|catalog" on "web"/);
  assert.equal(existsSync(out), false, "a failed strict build writes nothing");
  const check = meshc(["check", MESH, "--strict", "--format", "json"]);
  assert.equal(check.status, 1);
  assert.deepEqual((JSON.parse(check.stdout) as Diagnostic[]).map((d) => d.code), ["MESH0242", "MESH0242", "MESH0242"]);
  const plain = meshc(["check", MESH, "--format", "json"]);
  assert.equal(plain.status, 0, plain.stderr);
  assert.deepEqual(JSON.parse(plain.stdout), [], "without --strict a working patch is not a finding");
});
