// The order in which `meshc serve --ca` rolls a root rotation out (R17; the cause of requests dropped during a root
// rotation): the snapshots it publishes go trust (old ∪ new roots, old leaves) -> reissue (new-root leaves, only
// after every proxy ACKed the trust step) -> prune (new root only, only after every proxy ACKed the new leaves).
// Pushing new leaves together with the new bundle let a proxy present a new-root leaf to a peer that did not trust
// the new root yet. Real CA directory, real compiled mesh, the manager's own snapshots; ACKs are a flag here (the
// e2e test mtls-rotation.test.ts runs the same with Envoy).
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pino } from "pino";
import { compileMesh } from "../../src/pipeline.js";
import { initCa, loadCa, rotateCa } from "../../src/pki/ca-dir.js";
import { CertificateManager } from "../../src/serve/certificates.js";
import { certificatePlan } from "../../src/pki/plan.js";
import type { MeshSnapshot } from "../../src/snapshot/types.js";

const MESH = `import { defineMesh, http } from "meshc";
export default defineMesh({ name: "ro", trustDomain: "ro.example", mtls: "strict" }, (mesh) => {
  const echo = mesh.service("echo", { ports: { http: http(9080, { app: 8080 }) }, instances: ["10.0.0.1:9080"] });
  mesh.service("web", { ports: { http: http(9080, { app: 8080 }) }, instances: ["10.0.0.2:9080"], calls: [echo] });
});
`;

/** What each proxy's secrets say: the roots in ROOTCA and the serial of the root that signed "default". */
function view(s: MeshSnapshot, roots: Record<string, X509Certificate>): Record<string, { trusts: string[]; leafFrom: string }> {
  const out: Record<string, { trusts: string[]; leafFrom: string }> = {};
  for (const [name, p] of s.proxies) {
    const pems = (r: { bytes: Uint8Array }) => Buffer.from(r.bytes).toString("latin1").match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    const bundle = p.resources.secret.find((r) => r.name === "ROOTCA")!;
    const leaf = new X509Certificate(pems(p.resources.secret.find((r) => r.name === "default")!)[0]!);
    const nameOf = (c: X509Certificate) => Object.entries(roots).find(([, r]) => r.serialNumber === c.serialNumber)?.[0] ?? "?";
    out[name] = {
      trusts: pems(bundle).map((x) => nameOf(new X509Certificate(x))).sort(),
      leafFrom: Object.entries(roots).find(([, r]) => leaf.verify(r.publicKey))?.[0] ?? "?",
    };
  }
  return out;
}

test("R17: a root rotation rolls out trust, then new leaves, then the pruned bundle, each step after every proxy ACKed", async () => {
  const dir = mkdtempSync(join(tmpdir(), "meshc-rollout-"));
  try {
    const caDir = join(dir, "ca");
    await initCa(caDir, { trustDomain: "ro.example" });
    writeFileSync(join(dir, "mesh.ts"), MESH);
    const compiled = await compileMesh(join(dir, "mesh.ts"));
    assert.ok(compiled.snapshot && compiled.ir, JSON.stringify(compiled.diagnostics));
    let now = Date.now(); // the CA (made now) must be valid at the manager's clock
    let acked = true;
    const pushed: MeshSnapshot[] = [];
    const m = new CertificateManager({ caDir, logger: pino({ level: "silent" }), tickMs: 3_600_000, now: () => now, settleMs: 5000, ackTimeoutMs: 60_000, acked: () => acked, onChange: (s) => pushed.push(s) });
    await m.start();
    try {
      const first = await m.attach(compiled.snapshot, certificatePlan(compiled.ir));
      const roots: Record<string, X509Certificate> = { old: new X509Certificate((await loadCa(caDir)).bundle[0]!) };
      assert.deepEqual(view(first, roots), { echo: { trusts: ["old"], leafFrom: "old" }, web: { trusts: ["old"], leafFrom: "old" } });

      await rotateCa(caDir);
      roots.new = new X509Certificate((await loadCa(caDir)).authority.cert.toString("pem"));
      acked = false;
      await m.tick();
      assert.equal(pushed.length, 1, "the trust step is pushed at once");
      const both = { trusts: ["new", "old"], leafFrom: "old" };
      assert.deepEqual(view(pushed[0]!, roots), { echo: both, web: both }, "step 1: both roots trusted, leaves still from the old root");

      now += 30_000;
      await m.tick();
      assert.equal(pushed.length, 1, "no new leaves while a proxy has not ACKed the trust step");
      acked = true;
      now += 1000;
      await m.tick();
      assert.equal(pushed.length, 2);
      const reissued = { trusts: ["new", "old"], leafFrom: "new" };
      assert.deepEqual(view(pushed[1]!, roots), { echo: reissued, web: reissued }, "step 2: new-root leaves, both roots still trusted");

      // --finish right away: the old root leaves only once every proxy ACKed its new leaf, and after the settle time.
      await rotateCa(caDir, { finish: true });
      acked = false;
      now += 1000;
      await m.tick();
      assert.equal(pushed.length, 2, "the old root stays while the new leaves are not ACKed");
      acked = true;
      await m.tick();
      assert.equal(pushed.length, 2, "...and until the settle time passed");
      now += 5000;
      await m.tick();
      assert.equal(pushed.length, 3);
      const pruned = { trusts: ["new"], leafFrom: "new" };
      assert.deepEqual(view(pushed[2]!, roots), { echo: pruned, web: pruned }, "step 3: only the new root");
      now += 10_000;
      await m.tick();
      assert.equal(pushed.length, 3, "nothing more to push");

      // A proxy that never ACKs holds a rollout back for at most ackTimeoutMs.
      await rotateCa(caDir);
      acked = false;
      now += 1000;
      await m.tick();
      assert.equal(pushed.length, 4, "trust step of the second rotation");
      now += 59_000;
      await m.tick();
      assert.equal(pushed.length, 4);
      now += 2000;
      await m.tick();
      assert.equal(pushed.length, 5, "after the ACK timeout the rollout continues");
    } finally {
      m.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
