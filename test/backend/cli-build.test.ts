// `meshc build` end to end through the CLI: writes the build directory, and a failing build (diagnostics, or an
// --out that is not a build directory) leaves an existing output byte-identical.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { readTree } from "./cases.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const fixture = fileURLToPath(new URL("./fixtures/cli/mesh.ts", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "meshc-cli-build-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function meshc(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "src/cli/main.ts"), ...args], {
    encoding: "utf8",
    cwd: root,
    env: { ...process.env, NO_COLOR: "1", GITHUB_ACTIONS: "" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("meshc build", { timeout: 120_000 }, () => {
  const out = join(tmp, "dist");

  test("writes one folder per proxy and a manifest", () => {
    const r = meshc("build", fixture, "--out", out);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([...readTree(out).keys()], [
      "api/cds.json", "api/eds.json", "api/lds.json", "api/rds.json",
      "encoded.json",
      "manifest.json",
      "web/cds.json", "web/eds.json", "web/lds.json", "web/rds.json",
    ]);
    const rds = JSON.parse(readFileSync(join(out, "web/rds.json"), "utf8"));
    assert.equal(rds.type_url, "type.googleapis.com/envoy.config.route.v3.RouteConfiguration");
    const weights = rds.resources[0].virtual_hosts[0].routes[0].route.weighted_clusters.clusters;
    assert.deepEqual(weights, [{ name: "outbound|8080|v1|api", weight: 90 }, { name: "outbound|8080|v2|api", weight: 10 }]);
    assert.match(r.stderr, /wrote 2 proxies/);
  });

  test("a mesh with an error leaves the previous build byte-identical (exit 1)", () => {
    const before = readTree(out);
    const bad = join(tmp, "bad", "mesh.ts");
    mkdirSync(join(tmp, "bad"), { recursive: true });
    writeFileSync(bad, readFileSync(fixture, "utf8").replace("calls: [api]", "calls: [apii]"));
    const r = meshc("build", bad, "--out", out, "--format", "json");
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout)[0].code, "MESH0001");
    assert.deepEqual(readTree(out), before);
  });

  test("an --out holding other files is refused (exit 2) and left alone", () => {
    const foreign = join(tmp, "foreign");
    mkdirSync(foreign);
    writeFileSync(join(foreign, "keep.txt"), "keep");
    const r = meshc("build", fixture, "--out", foreign);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not a meshc build directory/);
    assert.deepEqual(readTree(foreign), new Map([["keep.txt", "keep"]]));
  });
});
