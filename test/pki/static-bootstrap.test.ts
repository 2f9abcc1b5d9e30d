// `meshc bootstrap --static` of an mTLS proxy (issue 8): without --ca it refuses with MESH0505 and writes nothing;
// with --ca it inlines the proxy's leaf and the bundle as static secrets, writes the file 0600, and real Envoy
// accepts it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { initCa } from "../../src/pki/ca-dir.js";
import { runEnvoyValidate } from "../../src/runtime/envoy-binary.js";
import { requireEnvoy } from "../helpers/envoy.js";

const CLI = join(process.cwd(), "dist", "cli.js");
const MESH = join("test", "golden", "frontend", "mtls", "mesh.ts");
const work = mkdtempSync(join(tmpdir(), "meshc-static-"));
after(() => rmSync(work, { recursive: true, force: true }));
const meshc = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });

test("bootstrap --static of an mTLS proxy needs --ca, and says so", () => {
  const out = join(work, "none.json");
  const r = meshc("bootstrap", MESH, "--service", "web", "--static", "--out", out);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /MESH0505.*pass --ca <dir>/);
  assert.equal(existsSync(out), false);
});

test("bootstrap --static --ca inlines certificates, writes 0600 and Envoy accepts it", async (t) => {
  const ca = join(work, "ca");
  await initCa(ca);
  const out = join(work, "web.json");
  const r = meshc("bootstrap", MESH, "--service", "web", "--static", "--ca", ca, "--out", out);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /PRIVATE KEY/);
  assert.equal(statSync(out).mode & 0o777, 0o600);
  const json = JSON.parse(readFileSync(out, "utf8"));
  assert.deepEqual(json.static_resources.secrets.map((s: { name: string }) => s.name).sort(), ["ROOTCA", "default"]);
  assert.doesNotMatch(JSON.stringify(json.static_resources.clusters), /sds_config/);
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  const v = await runEnvoyValidate(json, { envoyPath: envoy, name: "static-mtls.json" });
  assert.ok(v.ok, v.message);
});

test("the bootstrap holding a key is 0600 from its creation, not only after the rename", async () => {
  const ca = join(work, "ca-mode");
  await initCa(ca);
  const out = join(work, "web-mode.json");
  // Records the mode of each file as it is renamed into place (the moment it becomes visible under its name).
  const spy = join(work, "rename-spy.cjs");
  writeFileSync(
    spy,
    `const fsp = require("node:fs/promises"); const { statSync } = require("node:fs"); const rename = fsp.rename;
fsp.rename = async (from, to) => { process.stderr.write("renamed " + to + " mode " + (statSync(from).mode & 0o777).toString(8) + "\\n"); return rename(from, to); };
require("node:module").syncBuiltinESMExports();`,
  );
  const r = spawnSync(process.execPath, ["--require", spy, CLI, "bootstrap", MESH, "--service", "web", "--static", "--ca", ca, "--out", out], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stderr.includes(`renamed ${out} mode 600`), r.stderr);
});
