// End-to-end scenarios 1 (SotW) and 4 (Delta): three real Envoy sidecars started by `meshc run` against
// `meshc serve`, the test acting as web's app and calling through web's outbound listener.
//   - requests reach the right app (by Host, and per subset);
//   - the 80/20 split is measured, mesh.ts is rewritten to 30/70 while traffic flows: the new split is measured,
//     no request failed during the change, and no process was restarted;
//   - a retry policy turns the flaky app's failures into successes (compared with the same calls on a route
//     without retries, and with the app's attempt counts and Envoy's retry stats);
//   - fault injection aborts about the configured 30 %;
//   - a route timeout answers 504 before the slow app does.
import assert from "node:assert/strict";
import { assertProportion } from "../../helpers/proportion.js";
import type { TestContext } from "node:test";
import { envoyStats } from "./envoy-admin.js";
import { send, sendMany, tally, trafficLoop } from "./http.js";
import { waitConverged, proxies, snapshotVersions } from "./meshc.js";
import { withMesh, type E2eMesh } from "./harness.js";
import { eventually } from "./procs.js";
import { topology } from "./topology.js";

/** Requests per split measurement: the binomial sd of an 80/20 split is 1.3 points (accepted within 4.5 sd). */
const SPLIT_N = 1000;

export async function sidecarScenario(t: TestContext, o: { base: number; delta: boolean; envoy: string }): Promise<void> {
  const topo = topology(o.base);
  await withMesh(t, { topo, knobs: { v1: 80 }, sidecars: ["web", "echo", "flaky"], delta: o.delta, envoy: o.envoy }, async (m) => {
    const api = o.delta ? "delta" : "sotw";
    const list = await proxies(topo.serveAdmin);
    assert.deepEqual(
      list.map((p) => [p.node.id, p.api, p.node.userAgentName]).sort(),
      [["echo-1", api, "envoy"], ["flaky-1", api, "envoy"], ["web-1", api, "envoy"]],
      "three Envoy sidecars on the expected xDS flavour",
    );
    const web = (path: string, host: string, headers: Record<string, string> = {}) => ({ port: topo.web.outbound, path, host, headers, timeoutMs: 10_000 });

    // --- Routing: by Host through web's sidecar, then through echo's sidecar to the app of each version.
    const toEcho = await send(web("/hello?x=1", "echo"));
    assert.equal(toEcho.status, 200, toEcho.body);
    assert.equal(toEcho.json.service, "echo");
    assert.equal(toEcho.json.path, "/hello?x=1");
    assert.ok(toEcho.json.headers["x-request-id"], "the request passed through Envoy");
    const toFlaky = await send(web("/", "flaky"));
    assert.equal(toFlaky.status, 200, toFlaky.body);
    assert.equal(toFlaky.json.service, "flaky");
    const unknown = await send(web("/", "nosuchservice"));
    assert.equal(unknown.status, 404, "an unknown Host has no route");
    assert.equal((await send({ port: topo.echo.inbound, path: "/" })).json?.version, "v1", "echo's inbound listener of v1 leads to the v1 app");
    assert.equal((await send({ port: topo.echo.v2Inbound, path: "/" })).json?.version, "v2", "echo's inbound listener of v2 leads to the v2 app");

    // --- Weighted split 80/20, measured.
    const before = tally(await sendMany(SPLIT_N, 8, () => web("/split", "echo")));
    assert.equal(before.ok, SPLIT_N, JSON.stringify(before));
    assertProportion(before.byVersion.v2 ?? 0, SPLIT_N, 0.2, `80/20 split: measured ${JSON.stringify(before.byVersion)}`);
    t.diagnostic(`${api}: split 80/20 measured ${JSON.stringify(before.byVersion)} of ${SPLIT_N}`);

    // --- Hot reload: rewrite mesh.ts to 30/70 while traffic flows; nothing restarts, no request fails.
    const pids = Object.fromEntries(Object.entries(m.sidecars).map(([k, p]) => [k, p!.pid]));
    const servePid = m.serve.pid;
    const oldRoute = (await snapshotVersions(topo.serveAdmin, "web")).route;
    const loop = trafficLoop(() => web("/during-reload", "echo"), 2);
    await eventually(() => loop.replies.length >= 50, "traffic before the edit", 20_000);
    m.writeMesh({ v1: 30 });
    const newRoute = await eventually(async () => {
      const v = (await snapshotVersions(topo.serveAdmin, "web")).route;
      return v !== oldRoute ? v : undefined;
    }, "meshc serve to load the edited mesh.ts", 30_000);
    const acked = await waitConverged(topo.serveAdmin, m.nodes);
    assert.equal(acked["web-1"]!.route, newRoute);
    const seen = loop.replies.length;
    await eventually(() => loop.replies.length >= seen + 50, "traffic after the change", 20_000);
    const during = tally(await loop.stop());
    assert.equal(during.failed, 0, `no request may fail during the change: ${JSON.stringify(during.byStatus)}`);
    assert.ok((during.byVersion.v2 ?? 0) > 0);
    const after = tally(await sendMany(SPLIT_N, 8, () => web("/split", "echo")));
    assert.equal(after.ok, SPLIT_N, JSON.stringify(after));
    assertProportion(after.byVersion.v1 ?? 0, SPLIT_N, 0.3, `30/70 split after the edit: measured ${JSON.stringify(after.byVersion)}`);
    t.diagnostic(`${api}: after the edit 30/70 measured ${JSON.stringify(after.byVersion)} of ${SPLIT_N}; ${during.total} requests during the change, ${during.failed} failed`);
    for (const [k, p] of Object.entries(m.sidecars)) {
      assert.ok(p!.running, `sidecar ${k} still running`);
      assert.equal(p!.pid, pids[k], `sidecar ${k} not restarted`);
    }
    assert.ok(m.serve.running && m.serve.pid === servePid, "meshc serve not restarted");

    // --- Retries: the first 2 attempts of each request fail; 3 retries make every request succeed.
    await checkRetries(m, web);

    // --- Fault injection: 30 % of `x-fault: abort` requests are aborted by web's sidecar with 503.
    m.apps.echoV1.reset();
    const N = 400;
    const faulted = await sendMany(N, 8, () => web("/fault", "echo", { "x-fault": "abort" }));
    const aborted = faulted.filter((r) => r.status === 503 && r.body === "fault filter abort").length;
    const passed = faulted.filter((r) => r.status === 200 && r.json?.version === "v1").length;
    assert.equal(aborted + passed, N, `only aborts and v1 answers: ${JSON.stringify(tally(faulted).byStatus)}`);
    assertProportion(aborted, N, 0.3, "fault abort 30 %");
    assert.equal(m.apps.echoV1.stats().requests, passed, "aborted requests never reached the app");
    t.diagnostic(`${api}: fault abort 30 %: ${aborted} of ${N} aborted`);

    // --- Timeout: /slow has a 300ms route timeout; the app would answer after 5 s.
    const slow = await send(web("/slow?delay=5000", "echo"));
    assert.equal(slow.status, 504, slow.body);
    assert.equal(slow.body, "upstream request timeout");
    assert.ok(slow.ms < 5000, `the timeout fired before the app answered (${slow.ms} ms)`);
    const quick = await send(web("/slow", "echo"));
    assert.equal(quick.status, 200, "the same route without delay succeeds");
    t.diagnostic(`${api}: /slow timed out with 504 after ${slow.ms} ms (route timeout 300ms, app delay 5000ms)`);
  });
}

async function checkRetries(m: E2eMesh, web: (path: string, host: string, headers?: Record<string, string>) => Parameters<typeof send>[0]): Promise<void> {
  const cluster = `cluster.outbound|${m.topo.flaky.inbound}||flaky.`;
  const stat = async () => {
    const s = await envoyStats(m.topo.web.admin, `^${cluster.replace(/[|.]/g, "\\$&")}upstream_rq_retry`);
    return { retry: s[`${cluster}upstream_rq_retry`] ?? 0, success: s[`${cluster}upstream_rq_retry_success`] ?? 0 };
  };
  const N = 50;
  m.apps.flaky.reset();
  const s0 = await stat();
  // At most 3 in flight: Envoy's default circuit breaker allows 3 concurrent retries per cluster.
  const withRetries = await sendMany(N, 3, (i) => web("/retry", "flaky", { "x-retry": "on", "x-test-id": `r-${i}`, "x-fail-first": "2" }));
  const withoutRetries = await sendMany(N, 3, (i) => web("/retry", "flaky", { "x-test-id": `n-${i}`, "x-fail-first": "2" }));
  const s1 = await stat();
  const attempts = m.apps.flaky.stats().attempts;
  assert.deepEqual(tally(withRetries).byStatus, { 200: N }, "every request on the retrying route succeeds");
  assert.deepEqual(tally(withoutRetries).byStatus, { 503: N }, "the same failures without retries reach the caller");
  for (let i = 0; i < N; i++) {
    assert.equal(attempts[`r-${i}`], 3, `request r-${i}: two failed attempts, then success`);
    assert.equal(attempts[`n-${i}`], 1, `request n-${i}: one attempt`);
  }
  assert.equal(s1.retry - s0.retry, 2 * N, "Envoy retried twice per request");
  assert.equal(s1.success - s0.success, N, "each request's last retry succeeded");
}
