// Identity-based authorization through real Envoy with mTLS (issue 9 test 1): three sidecars with leaves from a
// mesh CA created at test time (no key is committed). api allows only web under default deny: web's request, sent
// through web's sidecar over mTLS, gets 200; other's request, equally authenticated, gets 403 from api's sidecar;
// a caller with no mesh identity cannot even complete the handshake on api's strict port.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { identitySecret, trustBundleSecret } from "../../src/backends/envoy/secrets.js";
import type { MeshIR, ServiceIR } from "../../src/ir/types.js";
import { initCa, loadCa } from "../../src/pki/ca-dir.js";
import { issueLeaf } from "../../src/pki/x509.js";
import { mesh, port, service } from "../analysis/ir-fixtures.js";
import { envoyPath, envoySkipReason } from "../helpers/envoy.js";
import { rawRequest, recordingApp, startSidecar, type RecordingApp, type RunningEnvoy } from "./envoy-lib.js";

const svc = (name: string, base: number, calls: string[]): ServiceIR => ({
  ...service(name, { ports: [{ ...port("web", "http", base, base + 1), mtls: "strict" }], calls }),
  mtls: "strict",
  instances: { kind: "static", endpoints: [{ address: "127.0.0.1", ports: { web: base }, labels: {} }] },
  sidecar: { inboundAddress: "127.0.0.1", adminPort: base + 2, outboundPort: base + 3, tcpOutbound: {} },
});

function mtlsMesh(): MeshIR {
  const ir = mesh(svc("api", 19810, []), svc("web", 19820, ["api"]), svc("other", 19830, ["api"]));
  ir.services = ir.services.map((s) => ({ ...s, sidecar: svc(s.name, s.ports[0]!.port, []).sidecar }));
  ir.mtls = { ...ir.mtls, mode: "strict" };
  ir.authorization = {
    services: [{ service: "api", default: "deny", dryRun: false, rules: [{ name: "web-only", action: "allow", dryRun: false, from: [{ kind: "service", service: "web" }], headers: [], notHeaders: [] }] }],
  };
  return ir;
}

describe("identity-based authorization over mTLS through real Envoy", { skip: envoySkipReason() }, () => {
  const ir = mtlsMesh();
  const dir = mkdtempSync(join(tmpdir(), "meshc-authz-ca-"));
  const apps: RecordingApp[] = [];
  const envoys: RunningEnvoy[] = [];
  before(async () => {
    await initCa(join(dir, "ca"));
    const ca = await loadCa(join(dir, "ca"));
    for (const s of ir.services) {
      const leaf = await issueLeaf(ca.authority, { spiffeId: s.identity, keyAlgorithm: "ecdsa-p256", lifetimeMs: 3_600_000 });
      const secrets = [identitySecret([leaf.cert.pem, ...ca.chain].join(""), leaf.key), trustBundleSecret(ca.bundle.join(""))];
      apps.push(await recordingApp(s.ports[0]!.appPort));
      envoys.push(await startSidecar(envoyPath(), ir, s.name, s.ports[0]!.port, { secrets }));
    }
  });
  after(async () => {
    for (const e of envoys) await e.stop();
    for (const a of apps) await a.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("allowed caller gets 200; another mesh caller gets 403 from the callee's sidecar", async () => {
    const api = apps[0]!;
    const ok = await rawRequest(19823, "/hello", 10_000, "GET", {}, "api");
    assert.equal(ok.status, 200, ok.raw.slice(0, 300));
    assert.equal(api.seen.at(-1), "/hello");
    const before = api.seen.length;
    const denied = await rawRequest(19833, "/hello", 10_000, "GET", {}, "api");
    assert.equal(denied.status, 403, denied.raw.slice(0, 300));
    assert.match(denied.raw, /RBAC: access denied/);
    assert.equal(api.seen.length, before, "the denied request never reached the app");
  });

  test("a caller without a mesh identity does not get through the strict port", async () => {
    const plain = await rawRequest(19810, "/hello", 5000).catch((e: Error) => ({ status: 0, raw: e.message }));
    assert.notEqual(plain.status, 200);
    assert.equal(apps[0]!.seen.includes("/hello") && apps[0]!.seen.filter((u) => u === "/hello").length > 1, false);
  });
});
