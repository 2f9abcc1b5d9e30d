// `meshc check --envoy` / `meshc build --envoy`: the real Envoy validates every distinct proxy configuration after
// meshc's own checks pass. A refusal is MESH0340 with Envoy's own message (exit 1, `build` writes nothing); no
// verdict at all (no Envoy, a crash) is MESH0341, exit 1: the gate fails closed (reliability case R22).
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type { Diagnostic } from "../../src/diagnostics/types.js";
import { envoyGate } from "../../src/cli/envoy-gate.js";
import { compileMesh } from "../../src/pipeline.js";
import { meshc, ROOT } from "../bootstrap/cli-helpers.js";
import { requireEnvoy } from "../helpers/envoy.js";
import { positionOf, writeMesh } from "../frontend/tmp-mesh.js";

const DEMO = join(ROOT, "examples", "demo", "mesh.ts");
const tmp = mkdtempSync(join(tmpdir(), "meshc-envoy-gate-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** An executable shell script standing in front of the real Envoy. */
function wrapper(name: string, body: string): string {
  const file = join(tmp, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

const json = (stdout: string) => JSON.parse(stdout) as Diagnostic[];

/**
 * The real Envoy with a config overlay it refuses (two clusters of one name): a stand-in for a rule analysis does not
 * know yet, whose verdict and message go through unchanged.
 */
const refusingEnvoy = (name: string, envoy: string) =>
  wrapper(name, `case "$1" in --version) exec "${envoy}" --version;; esac\nexec "${envoy}" "$@" --config-yaml "static_resources: {clusters: [{name: dup, connect_timeout: 1s}, {name: dup, connect_timeout: 1s}]}"`);

describe("meshc check/build --envoy", () => {
  test("the demo mesh passes the real Envoy on every proxy", { timeout: 600_000 }, async (t) => {
    const envoy = requireEnvoy(t);
    if (!envoy) return;
    const r = await meshc(["check", DEMO, "--envoy", "--envoy-bin", envoy, "--format", "json"], 180_000);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.deepEqual(json(r.stdout).filter((d) => d.severity === "error"), []);
  });

  test("a configuration the real Envoy refuses is MESH0340 with Envoy's message; build writes nothing", { timeout: 600_000 }, async (t) => {
    const envoy = requireEnvoy(t);
    if (!envoy) return;
    const refusing = refusingEnvoy("envoy-refusing", envoy);
    const r = await meshc(["check", DEMO, "--envoy", "--envoy-bin", refusing, "--format", "json"], 180_000);
    assert.equal(r.code, 1, r.stderr);
    const found = json(r.stdout).filter((d) => d.code === "MESH0340");
    assert.ok(found.length >= 1, r.stdout);
    assert.match(found[0]!.message, /Envoy 1\.40\.\d+ refused the configuration of proxy "[^"]+".*dup/);
    assert.ok(found[0]!.file?.endsWith("mesh.ts") && found[0]!.line! > 0, "located at the proxy's service");

    const out = join(tmp, "out");
    const b = await meshc(["build", DEMO, "--out", out, "--envoy", "--envoy-bin", refusing, "--format", "json"], 180_000);
    assert.equal(b.code, 1, b.stderr);
    assert.match(b.stdout, /MESH0340/); // machine formats go to stdout (issue 11)
    assert.equal(existsSync(out), false, "nothing written");
  });

  // A patched proxy Envoy refuses is validated again without its patches: if that passes, the patch is to blame
  // and MESH0340 points at the mesh.patch() line (docs/dsl.md "Patches"), else at the service as before.
  const PATCHED = `import { defineMesh, http } from "meshc";
export default defineMesh({ name: "m", trustDomain: "m.example" }, (mesh) => {
  const api = mesh.service("api", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.1:8080"] });
  const web = mesh.service("web", { ports: { web: http(8081, { app: 3001 }) }, instances: ["10.0.0.2:8081"], calls: [api] });
  mesh.patch({ proxies: [web], kind: "listener", name: "outbound|15001|http" }, (l) => {
    const hcm = l.filter_chains![0]!.filters![0]!.typed_config as { upgrade_configs?: unknown[] };
    hcm.upgrade_configs = UPGRADES;
  });
});
`;
  const patchedMesh = (upgrades: string) => {
    const text = PATCHED.replace("UPGRADES", upgrades);
    const m = writeMesh({ "mesh.ts": text });
    after(() => m.remove());
    return { entry: m.entry, text };
  };

  test("a patch that makes Envoy refuse its proxy: MESH0340 at the mesh.patch() line, the hint naming the patch", { timeout: 600_000 }, async (t) => {
    const envoy = requireEnvoy(t);
    if (!envoy) return;
    // Two upgrade configs of one name (letter case aside): no schema rule, Envoy's HCM refuses it.
    const { entry, text } = patchedMesh(`[{ upgrade_type: "websocket" }, { upgrade_type: "WebSocket" }]`);
    const result = await compileMesh(entry, { typecheck: false });
    assert.ok(result.snapshot, JSON.stringify(result.diagnostics));
    const found = await envoyGate(result, { envoyBin: envoy });
    const at = positionOf(text, "patch(");
    assert.deepEqual(
      found.map((d) => [d.code, d.line, d.column, d.path]),
      [["MESH0340", at.line, at.column, ["patches", 0]]],
    );
    assert.match(found[0]!.message, /refused the configuration of proxy "web": .*multiple upgrade configs/);
    assert.match(found[0]!.hint!, new RegExp(`mesh\\.patch\\(\\) at mesh\\.ts:${at.line}:${at.column} \\(listener "outbound\\|15001\\|http"\\)`));
  });

  test("a patched proxy Envoy refuses without its patches too: MESH0340 stays at the service", { timeout: 600_000 }, async (t) => {
    const envoy = requireEnvoy(t);
    if (!envoy) return;
    const refusing = refusingEnvoy("envoy-refusing-all", envoy);
    const { entry, text } = patchedMesh(`[{ upgrade_type: "websocket" }]`);
    const result = await compileMesh(entry, { typecheck: false });
    assert.ok(result.snapshot, JSON.stringify(result.diagnostics));
    const found = (await envoyGate(result, { envoyBin: refusing })).filter((d) => d.path?.[1] === "web");
    const at = positionOf(text, "service(\"web\"");
    assert.deepEqual(
      found.map((d) => [d.code, d.line, d.column, d.path]),
      [["MESH0340", at.line, at.column, ["services", "web"]]],
    );
    assert.match(found[0]!.hint!, /rule meshc's analysis does not know yet/);
  });

  test("R22: no Envoy, or an Envoy that crashes, fails closed with MESH0341 (never a pass)", { timeout: 600_000 }, async (t) => {
    const envoy = requireEnvoy(t);
    if (!envoy) return;
    const missing = await meshc(["check", DEMO, "--envoy", "--envoy-bin", join(tmp, "no-such-envoy"), "--format", "json"], 180_000);
    assert.equal(missing.code, 1);
    assert.deepEqual([...new Set(json(missing.stdout).filter((d) => d.severity === "error").map((d) => d.code))], ["MESH0341"]);
    assert.match(json(missing.stdout).find((d) => d.code === "MESH0341")!.message, /not found|not an executable/);

    // Answers --version like Envoy, then dies by a signal instead of giving a verdict.
    const crashing = wrapper("envoy-crashing", `case "$1" in --version) exec "${envoy}" --version;; esac\nkill -SEGV $$`);
    const crashed = await meshc(["check", DEMO, "--envoy", "--envoy-bin", crashing, "--format", "json"], 180_000);
    assert.equal(crashed.code, 1);
    const codes = json(crashed.stdout).filter((d) => d.severity === "error").map((d) => d.code);
    assert.ok(codes.length > 0 && codes.every((c) => c === "MESH0341"), codes.join(","));

    const out = join(tmp, "out-crash");
    const b = await meshc(["build", DEMO, "--out", out, "--envoy", "--envoy-bin", crashing], 180_000);
    assert.equal(b.code, 1);
    assert.equal(existsSync(out), false, "nothing written when there is no verdict");
  });
});
