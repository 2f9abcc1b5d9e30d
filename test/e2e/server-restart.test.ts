// End-to-end scenario 2 (R2, R13, R18): `meshc serve` is killed with SIGKILL while requests flow through real Envoy
// sidecars. Envoy keeps serving with its last config; a restarted server is rejoined by every proxy, which ends
// with the same ACKed versions as before (same content, same versions, P-34) without modifying its listeners, and
// no request fails at any point. The restarted server starts warm: it serves the snapshot the killed one stored in
// .meshc/ at once, while it compiles, and the compile keeps the same versions (issue 7). Ports 19500-19543.
import assert from "node:assert/strict";
import { test } from "node:test";
import { requireEnvoy } from "../helpers/envoy.js";
import { envoyStats } from "./lib/envoy-admin.js";
import { send, tally, trafficLoop } from "./lib/http.js";
import { proxies, waitConverged } from "./lib/meshc.js";
import { withMesh } from "./lib/harness.js";
import { eventually } from "./lib/procs.js";
import { topology } from "./lib/topology.js";

test("e2e scenario 2: kill -9 the server, Envoy keeps serving; restart it, proxies reconverge to the same versions; no request fails", { timeout: 120_000 }, async (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  const topo = topology(19500);
  await withMesh(t, { topo, knobs: { v1: 50 }, sidecars: ["web", "echo"], envoy }, async (m) => {
    const ackedBefore = await waitConverged(topo.serveAdmin, m.nodes);
    const admins = { web: topo.web.admin, echo: topo.echo.admin };
    const connected = async (name: keyof typeof admins) => (await envoyStats(admins[name], "^control_plane\\.connected_state$"))["control_plane.connected_state"];
    const modified = async () => (await envoyStats(topo.web.admin, "^listener_manager\\.listener_modified$"))["listener_manager.listener_modified"] ?? 0;
    const modifiedBefore = await modified();
    assert.equal((await send({ port: topo.web.outbound, host: "echo", path: "/" })).status, 200);

    const loop = trafficLoop((i) => ({ port: topo.web.outbound, host: "echo", path: `/loop/${i}`, timeoutMs: 5000 }), 2, 10);
    const more = async (n: number, what: string) => {
      const seen = loop.replies.length;
      await eventually(() => loop.replies.length >= seen + n, what, 30_000);
    };
    try {
      await more(50, "traffic before the kill");
      m.serve.signal("SIGKILL");
      const gone = await m.serve.exited;
      assert.equal(gone.signal, "SIGKILL");
      await eventually(async () => (await connected("web")) === 0 && (await connected("echo")) === 0, "both sidecars to notice the server is gone", 30_000);
      await more(200, "traffic while the server is down");
      const down = tally(loop.replies);
      t.diagnostic(`server down: ${loop.replies.length} requests so far, ${down.failed} failed`);

      await m.restartServe();
      await eventually(async () => (await connected("web")) === 1 && (await connected("echo")) === 1, "both sidecars to reconnect", 30_000);
      const ackedAfter = await waitConverged(topo.serveAdmin, m.nodes);
      assert.deepEqual(ackedAfter, ackedBefore, "same content after the restart: the same versions, ACKed again");
      const streams = await proxies(topo.serveAdmin);
      assert.deepEqual(streams.map((p) => p.node.id).sort(), ["echo-1", "web-1"], "each proxy has one stream to the new server");
      await more(100, "traffic after the restart");
    } finally {
      const replies = await loop.stop();
      const all = tally(replies);
      t.diagnostic(`kill/restart: ${all.total} requests, ${all.failed} failed, by version ${JSON.stringify(all.byVersion)}`);
      assert.equal(all.failed, 0, `no request may fail: ${JSON.stringify(all.byStatus)} ${replies.find((r) => r.status !== 200)?.error ?? ""}`);
    }
    assert.equal(await modified(), modifiedBefore, "R13: reconnecting to the same config modified no listener");
  });
});
