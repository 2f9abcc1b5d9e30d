// meshc serve's per-proxy sync metrics (issue 10): meshc_proxy_acked, meshc_proxy_stale_seconds and
// meshc_xds_nacks_total{service,type}, against a raw SotW client that ACKs or NACKs (ports 19860-19869 are the
// telemetry e2e's; these use 22400-22402).
import assert from "node:assert/strict";
import { test } from "node:test";
import { node, sreq } from "./ads-client.js";
import { mesh, TYPE, webProxy } from "./fixtures.js";
import { metricValue, startTestServer } from "./harness.js";
import { registerProxySyncMetrics } from "../../src/xds/sync-metrics.js";

const web = node("web");

test("meshc_proxy_acked is 1 per ACKed type, 0 with staleness once a change is not ACKed; NACKs count by service and type", async (t) => {
  const s = await startTestServer(t, 22400, mesh(webProxy()));
  let clock = 1_000_000;
  const sync = registerProxySyncMetrics(s.registry, s.server, () => clock);
  t.after(() => sync.stop());

  const c = s.sotw();
  c.send(sreq(TYPE.cluster, { node: web }));
  const cds = await c.next();
  c.send(sreq(TYPE.cluster, { versionInfo: cds.versionInfo, responseNonce: cds.nonce }));
  await c.collect(200);
  assert.equal(await metricValue(s.registry, "meshc_proxy_acked", { service: "web", node: "web-1", type: "cluster" }), 1);
  assert.equal(await metricValue(s.registry, "meshc_proxy_stale_seconds", { service: "web", type: "cluster" }), 0);

  // A change the proxy NACKs: acked drops to 0 and staleness grows with time since the change.
  s.server.setSnapshot(mesh(webProxy({ extraClusters: ["other"] })));
  const cds2 = await c.next();
  await new Promise((r) => setTimeout(r, 400)); // the tracker notes changes every 250 ms
  clock += 7_000;
  c.send(sreq(TYPE.cluster, { versionInfo: cds.versionInfo, responseNonce: cds2.nonce, errorDetail: { code: 3, message: "bad" } }));
  await c.collect(200);
  assert.equal(await metricValue(s.registry, "meshc_proxy_acked", { service: "web", node: "web-1", type: "cluster" }), 0);
  const stale = await metricValue(s.registry, "meshc_proxy_stale_seconds", { service: "web", node: "web-1", type: "cluster" });
  assert.ok(stale >= 7 && stale < 8, `staleness since the change: ${stale}`);
  assert.equal(await metricValue(s.registry, "meshc_xds_nacks_total", { service: "web", type: "cluster" }), 1);
  const text = await s.registry.metrics();
  assert.match(text, /meshc_proxy_acked\{service="web",node="web-1",type="cluster"\} 0/);
});
