// `meshc bootstrap --all --out <dir>` (issue 13): every proxy's bootstrap from one compile, one file per instance
// (sidecars, the gateway; none for external or nonMesh services), each with its own node id and locality, each
// accepted by the real `envoy --mode validate`; usage errors for missing --out or conflicting flags.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { runEnvoyValidate } from "../../src/runtime/envoy-binary.js";
import { requireEnvoy } from "../helpers/envoy.js";
import { ROOT, meshc } from "./cli-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "meshc-bootstrap-all-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const SHOP = join(ROOT, "examples", "shop", "mesh.ts");

describe("meshc bootstrap --all", () => {
  test("writes one bootstrap per proxy instance of the shop, each valid for Envoy", { timeout: 240_000 }, async (t) => {
    const out = join(dir, "all");
    const r = await meshc(["bootstrap", SHOP, "--all", "--out", out, "--xds", "10.0.9.9:18000"]);
    assert.equal(r.code, 0, r.stderr);
    const files = readdirSync(out, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name).slice(out.length + 1)).sort();
    assert.deepEqual(files, [
      "cart/cart.yaml",
      "catalog/10.0.1.10_8080.yaml",
      "catalog/10.0.1.11_8080.yaml",
      "catalog/10.0.2.10_8080.yaml",
      "edge/10.0.9.1_8000.yaml",
      "payments/10.0.1.7_9090.yaml",
      "payments/10.0.2.7_9090.yaml",
      "web/10.0.0.5_8080.yaml",
      "web/10.0.0.6_8080.yaml",
    ]);
    const catalogB = readFileSync(join(out, "catalog/10.0.2.10_8080.yaml"), "utf8");
    assert.match(catalogB, /id: 10\.0\.2\.10:8080\n\s+cluster: catalog\n\s+locality:\n\s+zone: eu-west-1b/);
    assert.match(catalogB, /address: 10\.0\.9\.9/);
    assert.doesNotMatch(readdirSync(out).join(","), /fx-rates/, "an external service has no proxy");
    const envoyPath = requireEnvoy(t);
    if (!envoyPath) return;
    for (const f of files) {
      const v = await runEnvoyValidate(readFileSync(join(out, f), "utf8"), { envoyPath, name: f.replace("/", "-") });
      assert.equal(v.ok, true, `${f}: ${v.output}`);
    }
  });

  test("usage errors: --all without --out, or with --service", async () => {
    const noOut = await meshc(["bootstrap", SHOP, "--all"]);
    assert.equal(noOut.code, 2);
    assert.match(noOut.stderr, /--all needs --out/);
    const both = await meshc(["bootstrap", SHOP, "--all", "--out", join(dir, "x"), "--service", "web"]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--all cannot be combined with --service/);
    const neither = await meshc(["bootstrap", SHOP]);
    assert.equal(neither.code, 2);
    assert.match(neither.stderr, /--service/);
  });
});
