// A certificate rotation tick never publishes in the middle of a load's publish (attach() .. identities bound ..
// setSnapshot): the tick waits for the section (CertificateManager.exclusive), then publishes.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pino } from "pino";
import { compileMesh } from "../../src/pipeline.js";
import { initCa } from "../../src/pki/ca-dir.js";
import { certificatePlan } from "../../src/pki/plan.js";
import { CertificateManager } from "../../src/serve/certificates.js";
import type { MeshSnapshot } from "../../src/snapshot/types.js";

const MESH = `import { defineMesh, http } from "meshc";
export default defineMesh({ name: "po", trustDomain: "po.example", mtls: "strict" }, (mesh) => {
  const echo = mesh.service("echo", { ports: { http: http(9080, { app: 8080 }) }, instances: ["10.0.0.1:9080"] });
  mesh.service("web", { ports: { http: http(9080, { app: 8080 }) }, instances: ["10.0.0.2:9080"], calls: [echo] });
});
`;

test("R9: a rotation tick due while a load publishes waits until the load has bound its identities and published", async () => {
  const dir = mkdtempSync(join(tmpdir(), "meshc-publish-order-"));
  try {
    const caDir = join(dir, "ca");
    await initCa(caDir, { trustDomain: "po.example" });
    writeFileSync(join(dir, "mesh.ts"), MESH);
    const compiled = await compileMesh(join(dir, "mesh.ts"));
    assert.ok(compiled.snapshot && compiled.ir, JSON.stringify(compiled.diagnostics));
    const plan = certificatePlan(compiled.ir);
    let now = Date.now(); // the CA (made now) must be valid at the manager's clock
    const events: string[] = [];
    const m = new CertificateManager({ caDir, logger: pino({ level: "silent" }), tickMs: 3_600_000, now: () => now, onChange: () => events.push("tick published") });
    await m.start();
    try {
      await m.attach(compiled.snapshot, plan);
      // (Before the fix there was no section: a load ran attach .. bind .. publish with nothing holding ticks off.)
      const exclusive = (m as unknown as { exclusive?: <T>(fn: () => Promise<T>) => Promise<T> }).exclusive?.bind(m) ?? (<T>(fn: () => Promise<T>) => fn());
      let tick: Promise<void> | undefined;
      await exclusive(async () => {
        const s: MeshSnapshot = await m.attach(compiled.snapshot!, plan);
        assert.ok(s.proxies.size > 0);
        now += 365 * 24 * 3_600_000; // every leaf is due for rotation
        tick = m.tick();
        // The tick gets every chance to run (leaf issuance included) while the load is between attach and publish.
        await Promise.race([tick, new Promise((r) => setTimeout(r, 1500))]);
        events.push("identities bound");
        events.push("load published");
      });
      await tick;
      assert.deepEqual(events, ["identities bound", "load published", "tick published"]);
    } finally {
      m.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
