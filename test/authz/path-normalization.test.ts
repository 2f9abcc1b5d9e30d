// R14 through real Envoy: the path-normalization corpus (test/authz/path-corpus.ts) against two compiled policies,
// "deny /admin and below, allow /public/, default deny" and "deny /admin and below, default allow". Every request
// that a lenient app behind the sidecar would read as /admin… must be denied (403) or rejected (400 and friends) by
// the proxy: none may reach the app. Controls prove the setup can fail: /public/x reaches the app, /admin does not.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { AuthzPolicyIR, MeshIR, ServiceIR } from "../../src/ir/types.js";
import { mesh, port, service } from "../analysis/ir-fixtures.js";
import { evaluateHcm } from "../../src/authz/evaluate.js";
import { canonicalOf } from "../../src/backends/envoy/encode.js";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import type { Canonical } from "../../src/backends/envoy/api/canonical.js";
import { envoyPath, envoySkipReason } from "../helpers/envoy.js";
import { rawRequest, recordingApp, startSidecar, type RecordingApp, type RunningEnvoy } from "./envoy-lib.js";
import { appView, pathCorpus, reachesAdmin } from "./path-corpus.js";

const sidecarSvc = (name: string, base: number): ServiceIR => {
  const s = service(name, { ports: [port("web", "http", base, base + 1)] });
  return { ...s, instances: { kind: "static", endpoints: [{ address: "127.0.0.1", ports: { web: base }, labels: {} }] }, sidecar: { inboundAddress: "127.0.0.1", adminPort: base + 2, outboundPort: base + 3, tcpOutbound: {} } };
};

function policyIR(svc: string, def: "allow" | "deny"): AuthzPolicyIR {
  return {
    service: svc,
    default: def,
    dryRun: false,
    rules: [
      { name: "no-admin", action: "deny", dryRun: false, paths: [{ kind: "prefix", value: "/admin", ignoreCase: true }], headers: [], notHeaders: [] },
      ...(def === "deny" ? [{ name: "public", action: "allow" as const, dryRun: false, paths: [{ kind: "prefix" as const, value: "/public/", ignoreCase: false }], headers: [], notHeaders: [] }] : []),
    ],
  };
}

export function corpusMesh(): MeshIR {
  const ir = mesh(sidecarSvc("denyall", 22010), sidecarSvc("allowall", 22020));
  // mesh() assigns admin/outbound ports to services it did not get explicit ones for; ours are explicit.
  ir.services = ir.services.map((s) => ({ ...s, sidecar: sidecarSvc(s.name, s.ports[0]!.port).sidecar }));
  ir.authorization = { services: [policyIR("allowall", "allow"), policyIR("denyall", "deny")] };
  return ir;
}

describe("R14: path normalization corpus through real Envoy", { skip: envoySkipReason() }, () => {
  const ir = corpusMesh();
  const running: { name: string; port: number; app: RecordingApp; envoy: RunningEnvoy }[] = [];

  before(async () => {
    for (const s of ir.services) {
      const p = s.ports[0]!;
      const app = await recordingApp(p.appPort);
      const envoy = await startSidecar(envoyPath(), ir, s.name, p.port);
      running.push({ name: s.name, port: p.port, app, envoy });
    }
  });
  after(async () => {
    for (const r of running) {
      await r.envoy.stop();
      await r.app.close();
    }
  });

  test("controls: /public/x reaches the app, /admin is denied, /other is denied only under default deny", async () => {
    for (const r of running) {
      assert.equal((await rawRequest(r.port, "/public/x")).status, 200, r.name);
      assert.equal((await rawRequest(r.port, "/admin")).status, 403, r.name);
      assert.equal((await rawRequest(r.port, "/other")).status, r.name === "denyall" ? 403 : 200, r.name);
    }
  });

  test("no corpus request that an app would read as /admin… reaches the app", { timeout: 180_000 }, async () => {
    const corpus = pathCorpus();
    assert.ok(corpus.length >= 300, `corpus size ${corpus.length}`);
    const bypasses: string[] = [];
    const disagreements: string[] = [];
    const { snapshot } = translateMesh(ir);
    const hcmOf = (svc: string) =>
      ((canonicalOf("listener", snapshot.proxies.get(svc)!.resources.listener[0]!).filter_chains as Canonical[])[0]!.filters as Canonical[])[0]!.typed_config as Canonical;
    const outcomes: Record<string, number> = {};
    let attacks = 0;
    for (const r of running) {
      for (const target of corpus) {
        const before = r.app.seen.length;
        const reply = await rawRequest(r.port, target);
        const reached = r.app.seen.slice(before);
        outcomes[`${r.name} ${reply.status}`] = (outcomes[`${r.name} ${reply.status}`] ?? 0) + 1;
        if (reachesAdmin(target)) attacks++;
        // `meshc explain authz` evaluates the compiled filters: it must agree with Envoy wherever Envoy's HTTP parser
        // accepted the request line (a 400 from the codec, e.g. raw non-ASCII bytes, never reaches the HCM), an
        // absolute-form target included.
        const v = evaluateHcm(hcmOf(r.name), { method: "GET", path: target, headers: {} });
        const predicted = v.decision === "rejected" ? 400 : v.decision === "denied" ? 403 : 200;
        if (predicted !== reply.status && !(reply.status === 400 && /[^\x21-\x7e]|#/.test(target))) disagreements.push(`${r.name} ${JSON.stringify(target)}: envoy ${reply.status}, explain ${predicted}`);
        // Judged by what the app actually received (the path Envoy forwards, after its normalization).
        for (const url of reached) if (reachesAdmin(url)) bypasses.push(`${r.name}: ${JSON.stringify(target)} -> app saw ${JSON.stringify(url)} (${appView(url)})`);
      }
    }
    // The figure the closing note reports (node's test runner prints diagnostics).
    console.log(`# R14 corpus: ${corpus.length} targets x ${running.length} policies = ${corpus.length * running.length} requests, ${attacks} aimed at /admin, ${bypasses.length} bypasses; outcomes ${JSON.stringify(outcomes)}`);
    assert.ok(attacks > corpus.length, "the corpus must mostly aim at /admin");
    assert.deepEqual(bypasses, []);
    assert.deepEqual(disagreements, []);
  });
});
