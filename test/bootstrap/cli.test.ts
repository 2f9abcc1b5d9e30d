// `meshc bootstrap` end to end: the real CLI on a real mesh.ts, its exit codes (0 written, 1 errors, 2 usage) and
// outputs, with the --static result checked by the real Envoy.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { checkGrpcBootstrap } from "../../src/backends/envoy/bootstrap/index.js";
import { runEnvoyValidate } from "../../src/runtime/envoy-binary.js";
import { requireEnvoy } from "../helpers/envoy.js";
import { assertGoldenDir } from "../helpers/golden.js";
import { MESH, meshc } from "./cli-helpers.js";

const GOLDEN = fileURLToPath(new URL("../golden/bootstrap/cli", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "meshc-bootstrap-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("meshc bootstrap", () => {
  test("prints the sidecar bootstrap; an <address>:<port> instance brings its locality (golden)", async () => {
    const r = await meshc(["bootstrap", MESH, "--service", "api", "--instance", "127.0.0.1:19351", "--xds", "127.0.0.1:19390"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /locality:\n {4}region: local\n {4}zone: z1\n/);
    assertGoldenDir(GOLDEN, new Map([["api-sotw.yaml", r.stdout]]));
  });

  test("--grpc --out writes a gRPC bootstrap meshc's checks accept", async () => {
    const out = join(dir, "grpc.json");
    const r = await meshc(["bootstrap", MESH, "--service", "web", "--instance", "web-1", "--grpc", "--out", out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "");
    const json = JSON.parse(readFileSync(out, "utf8")) as { node: { id: string; cluster: string } };
    assert.deepEqual(checkGrpcBootstrap(json), []);
    assert.deepEqual([json.node.id, json.node.cluster], ["web-1", "web"]);
    assert.match(r.stderr, /warning: service "web" is not marked proxyless/);
  });

  test("--static: the whole config inlined, accepted by envoy --mode validate", async (t) => {
    const r = await meshc(["bootstrap", MESH, "--service", "web", "--instance", "web-1", "--static", "--format", "json"]);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout) as { node: unknown; dynamic_resources?: unknown; static_resources: { listeners: unknown[]; clusters: unknown[] } };
    assert.deepEqual(json.node, { id: "web-1", cluster: "web" });
    assert.equal(json.dynamic_resources, undefined);
    assert.ok(json.static_resources.listeners.length > 0 && json.static_resources.clusters.length > 0);
    const envoyPath = requireEnvoy(t);
    if (!envoyPath) return;
    const v = await runEnvoyValidate(r.stdout, { envoyPath, name: "static.json" });
    assert.equal(v.ok, true, v.output);
  });

  test("unknown service: usage error (exit 2) naming the known services", async () => {
    const r = await meshc(["bootstrap", MESH, "--service", "apy"]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /unknown service "apy" in mesh "shop"\. Did you mean "api"\? Known services: api, web/);
  });

  test("conflicting flags: usage error (exit 2)", async () => {
    const r = await meshc(["bootstrap", MESH, "--service", "web", "--grpc", "--delta"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--grpc cannot be combined with --delta/);
  });

  test("a broken --template: exit 1 with the field path and line, nothing on stdout", async () => {
    const tpl = join(dir, "broken.hbs");
    writeFileSync(tpl, "node:\n  id: {{json nodeId}}\n  clustr: {{json service}}\n");
    const r = await meshc(["bootstrap", MESH, "--service", "web", "--template", tpl]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.ok(r.stderr.includes(`error: ${tpl}:3:3 (line of the rendered output): node.clustr: unknown field "clustr"`), r.stderr);
  });
});
