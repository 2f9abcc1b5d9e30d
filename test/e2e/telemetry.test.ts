// End-to-end telemetry (issue 10) with the real tools: Envoy sidecars (meshc run) for a, b, c, d against
// `meshc serve`, a real Prometheus scraping what `meshc prometheus-config` lists, and an OTLP/gRPC receiver built
// on the OpenTelemetry protobuf definitions.
//   - Prometheus: known requests with known outcomes through a's and b's sidecars; a PromQL query through
//     Prometheus's HTTP API returns exactly those counts by destination service, subset and response code;
//   - traces: a call a -> b -> c gives spans from every sidecar with one trace id, correct parent/child links,
//     the route name and a header tag; after an edit to samplePercent 0, requests produce no spans;
//   - access logs: a's JSON lines parse, one per request sent, and a retried request shows its attempts.
// Ports 19860-19919.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { startHttpApp } from "../apps/http-app.js";
import { requireEnvoy } from "../helpers/envoy.js";
import { requirePrometheus } from "../helpers/prometheus.js";
import { envoyStats, waitEnvoyReady } from "./lib/envoy-admin.js";
import { send, sendMany, type RequestOptions } from "./lib/http.js";
import { snapshotVersions, startServe, startSidecar, waitConverged, waitServeReady } from "./lib/meshc.js";
import { startOtlpReceiver, type ReceivedSpan } from "./lib/otlp-receiver.js";
import { eventually, meshcCommand, sleep } from "./lib/procs.js";
import { startPrometheus } from "./lib/prometheus.js";
import { startStatusApp, telemetryMeshSource, telemetryPorts } from "./lib/telemetry-mesh.js";
import { inWorkspace } from "./lib/workspace.js";

const BASE = 19860;

test("e2e telemetry: Prometheus counts by destination/subset/code, OTLP traces across a -> b -> c, access logs", { timeout: 240_000 }, async (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  const prometheusBin = requirePrometheus(t);
  if (!prometheusBin) return;

  const p = telemetryPorts(BASE);
  const closers: (() => Promise<void>)[] = [];
  await inWorkspace(t, "meshc-telemetry-", async ({ dir, procs, closeLater }) => {
    closeLater({
      async close() {
        await Promise.all(closers.map((c) => c()));
      },
    });
    const accessLog = join(dir, "a-access.log");
    const meshPath = join(dir, "mesh.ts");
    writeFileSync(meshPath, telemetryMeshSource(p, { samplePercent: 100, accessLog }));

    const otlp = await startOtlpReceiver(p.otlp);
    closers.push(() => otlp.close());
    const apps = await Promise.all([
      startStatusApp({ service: "b", version: "v1", port: p.b.app, forwardVia: { outbound: p.b.outbound, host: "c" } }),
      startStatusApp({ service: "b", version: "v2", port: p.b.v2App }),
      startStatusApp({ service: "c", version: "v1", port: p.c.app }),
    ]);
    for (const a of apps) closers.push(() => a.close());
    const flaky = await startHttpApp({ service: "d", version: "v1", port: p.d.app });
    closers.push(() => flaky.close());
    const broken = await startHttpApp({ service: "e", version: "v1", port: p.e.app, failEvery: 1 });
    closers.push(() => broken.close());

    const serve = startServe(procs, { mesh: meshPath, xdsPort: p.xds, adminPort: p.serveAdmin });
    await waitServeReady(p.serveAdmin, serve);
    const names = ["a", "b", "c", "d"] as const;
    const nodes = Object.fromEntries(names.map((s) => [`${s}-1`, s]));
    const sidecars = names.map((s) => startSidecar(procs, { mesh: meshPath, service: s, instance: `${s}-1`, xdsPort: p.xds, envoy }));
    await Promise.all(names.map((s, i) => waitEnvoyReady(p[s].admin, `sidecar ${s}`, 60_000, sidecars[i])));
    await waitConverged(p.serveAdmin, nodes);

    // --- Prometheus with the scrape config meshc emits (every sidecar's metrics port and meshc serve).
    const cfg = execFileSync(meshcCommand([]).cmd, [...meshcCommand(["prometheus-config", meshPath, "--serve", `127.0.0.1:${p.serveAdmin}`, "--scrape-interval", "1s"]).args], {
      encoding: "utf8",
    });
    for (const s of names) assert.ok(cfg.includes(`127.0.0.1:${p[s].metrics}`), `scrape config lists ${s}'s metrics endpoint:\n${cfg}`);
    const prom = await startPrometheus(procs, { bin: prometheusBin, dir, port: p.prometheus, configYaml: cfg });
    await eventually(async () => {
      const targets = await prom.targets();
      return Object.keys(targets).length === 5 && Object.values(targets).every((h) => h === "up") ? targets : undefined;
    }, "Prometheus to scrape all five targets", 30_000, 500);

    let sentThroughA = 0;
    const viaA = (host: string, headers: Record<string, string> = {}, path = "/"): RequestOptions => ({ port: p.a.outbound, host, path, headers, timeoutMs: 10_000 });
    const expectStatus = async (n: number, make: (i: number) => RequestOptions, status: number) => {
      const replies = await sendMany(n, 4, make);
      sentThroughA += n;
      assert.deepEqual([...new Set(replies.map((r) => r.status))], [status], JSON.stringify(replies.slice(0, 2)));
    };
    await expectStatus(30, () => viaA("b"), 200);
    await expectStatus(12, () => viaA("b", { "x-status": "503" }), 503);
    await expectStatus(20, () => viaA("b", { "x-subset": "v2" }), 200);
    await expectStatus(5, () => viaA("b", { "x-subset": "v2", "x-status": "404" }), 404);
    await expectStatus(7, () => viaA("c"), 200);
    const want = { "b|v1|200": 30, "b|v1|503": 12, "b|v2|200": 20, "b|v2|404": 5, "c||200": 7 };
    const promql = 'sum by (destination_service, destination_subset, response_code) (envoy_cluster_upstream_rq{source_service="a", destination_service!="", response_code!=""})';
    const got = await eventually(async () => {
      const rows = await prom.query(promql);
      const out = Object.fromEntries(rows.map((r) => [`${r.metric.destination_service ?? ""}|${r.metric.destination_subset ?? ""}|${r.metric.response_code ?? ""}`, Number(r.value[1])]));
      const same = Object.keys(out).length === Object.keys(want).length && Object.entries(want).every(([k, v]) => out[k] === v);
      return same ? out : undefined;
    }, `PromQL ${promql} to return ${JSON.stringify(want)}`, 30_000, 500).catch(async (e) => {
      const rows = await prom.query(promql);
      const raw = await prom.query('envoy_cluster_upstream_rq{sidecar="a"}');
      throw new Error(`${(e as Error).message}; last: ${JSON.stringify(rows.map((r) => [r.metric, r.value[1]]))}; raw: ${JSON.stringify(raw.slice(0, 6).map((r) => r.metric))}`);
    });
    assert.deepEqual(got, want);
    t.diagnostic(`Prometheus: ${promql} = ${JSON.stringify(got)}`);
    // The callee's sidecar counts the same requests on its inbound cluster.
    // b's sidecar is scraped on its own schedule: wait for a scrape after the last request, then compare exactly.
    const inboundQuery = `sum by (response_code) (envoy_cluster_upstream_rq{sidecar="b", envoy_cluster_name="inbound|${p.b.inbound}", response_code!=""})`;
    let inbound: Record<string, number> = {};
    for (const end = Date.now() + 30_000; Date.now() < end; await new Promise((r) => setTimeout(r, 500))) {
      inbound = Object.fromEntries((await prom.query(inboundQuery)).map((r) => [r.metric.response_code, Number(r.value[1])]));
      if (inbound["200"] === 30 && inbound["503"] === 12) break;
    }
    assert.deepEqual(inbound, { "200": 30, "503": 12 });
    // Per-route stats carry the route name.
    const byRoute = await prom.query('sum by (route) (envoy_vhost_route_upstream_rq_completed{source_service="a"})');
    const routes = Object.fromEntries(byRoute.map((r) => [r.metric.route, Number(r.value[1])]));
    assert.equal(routes["b-v1"], 42, JSON.stringify(routes));
    assert.equal(routes["b-v2"], 25, JSON.stringify(routes));

    // --- Traces: one call a -> b -> c.
    const chain = await send(viaA("b", { "x-test-id": "chain-1" }, "/chain"));
    sentThroughA++;
    assert.equal(chain.status, 200, chain.body);
    await eventually(() => {
      const s = otlp.spans.filter((x) => x.attributes["test.id"] === "chain-1");
      return s.length >= 4 ? s : undefined;
    }, "4 spans of the chain a -> b -> c (Envoy flushes every 5 s)", 30_000, 250).catch(async (e) => {
      const stats = await envoyStats(p.a.admin, "tracing|otlp|opentelemetry");
      throw new Error(`${(e as Error).message}; receiver: ${otlp.exports} exports, ${otlp.spans.length} spans ${JSON.stringify(otlp.spans.slice(0, 3))}; a's stats ${JSON.stringify(stats)}`);
    });
    await sleep(500);
    // Config over ADS is binary: a field number meshc's protos get wrong is a field Envoy drops with only a warning
    // (a vendored sampler proto once did, and every root span was dropped).
    for (const s of ["a", "b", "c"]) {
      const log = readFileSync(join(dir, `envoy-${s}-1.log`), "utf8");
      assert.doesNotMatch(log, /Unknown field/, `Envoy ${s} ignored a field meshc sent:\n${log.split("\n").filter((l) => /Unknown field/.test(l)).join("\n")}`);
    }
    const chainSpans = otlp.spans.filter((x) => x.attributes["test.id"] === "chain-1");
    assert.equal(chainSpans.length, 4, JSON.stringify(chainSpans, null, 1));
    const one = (service: string, kind: string): ReceivedSpan => {
      const s = chainSpans.filter((x) => x.service === service && x.kind === kind);
      assert.equal(s.length, 1, `one ${kind} span from ${service}: ${JSON.stringify(chainSpans, null, 1)}`);
      return s[0]!;
    };
    const aOut = one("a", "SPAN_KIND_CLIENT");
    const bIn = one("b", "SPAN_KIND_SERVER");
    const bOut = one("b", "SPAN_KIND_CLIENT");
    const cIn = one("c", "SPAN_KIND_SERVER");
    assert.equal(new Set(chainSpans.map((s) => s.traceId)).size, 1, "one trace id");
    assert.match(aOut.traceId, /^[0-9a-f]{32}$/);
    assert.equal(aOut.parentSpanId, "", "a's outbound span is the root");
    assert.equal(bIn.parentSpanId, aOut.spanId, "b's inbound span is a child of a's outbound span");
    assert.equal(bOut.parentSpanId, bIn.spanId, "b's outbound span is a child of b's inbound span (the app passed traceparent on)");
    assert.equal(cIn.parentSpanId, bOut.spanId, "c's inbound span is a child of b's outbound span");
    assert.equal(aOut.attributes.route, "b-v1", "route name tag on a's span");
    assert.equal(aOut.name, "b-v1", "span named after the route");
    assert.equal(bOut.attributes.route, "c-all", "route name tag on b's span");
    t.diagnostic(`trace ${aOut.traceId}: a(${aOut.spanId}) -> b(${bIn.spanId}) -> b(${bOut.spanId}) -> c(${cIn.spanId})`);

    // --- Access logs: one JSON line per request through a's sidecar, numbers as numbers.
    // A retried request: the first 2 attempts fail, the route retries up to 3 times.
    const retried = await send(viaA("d", { "x-test-id": "retry-1", "x-fail-first": "2" }));
    sentThroughA++;
    assert.equal(retried.status, 200, retried.body);
    const exhausted = await send(viaA("d", { "x-test-id": "retry-2", "x-fail-first": "9" }));
    sentThroughA++;
    assert.equal(exhausted.status, 503, exhausted.body);
    // Outlier detection ejects e's only host after 2 consecutive 503s; the third request finds no healthy host.
    const ejectReplies = [];
    for (let i = 0; i < 2; i++) ejectReplies.push(await send(viaA("e", { "x-test-id": `eject-${i}` })));
    // Envoy ejects on its main thread after the second 5xx and then updates the workers' host sets: a third request
    // sent at once can race that update on a loaded machine, so it waits until a's sidecar reports e's host ejected
    // and no longer healthy.
    await eventually(async () => {
      const stats = await envoyStats(p.a.admin, "\\|e\\.(outlier_detection\\.ejections_active|membership_healthy)$");
      const at = (suffix: string) => Object.entries(stats).find(([k]) => k.endsWith(`||e.${suffix}`))?.[1];
      return at("outlier_detection.ejections_active") === 1 && at("membership_healthy") === 0;
    }, "a's sidecar to eject e's only host", 15_000, 50);
    ejectReplies.push(await send(viaA("e", { "x-test-id": "eject-2" })));
    sentThroughA += 3;
    assert.deepEqual(ejectReplies.map((r) => r.status), [503, 503, 503]);
    assert.equal(ejectReplies[2]!.body, "no healthy upstream", "the ejected host is not tried");
    assert.equal(broken.stats().requests, 2, "the app saw only the two requests before the ejection");
    // A client's own x-envoy-original-path names neither the path logged nor the one served.
    const forged = await send(viaA("c", { "x-test-id": "forged-path", "x-envoy-original-path": "/public/harmless" }, "/admin/delete"));
    sentThroughA++;
    assert.equal(forged.status, 200, forged.body);
    const lines = await eventually(() => {
      if (!existsSync(accessLog)) return undefined;
      const l = readFileSync(accessLog, "utf8").split("\n").filter(Boolean);
      return l.length >= sentThroughA ? l : undefined;
    }, `${sentThroughA} access-log lines (Envoy flushes files every second)`, 20_000, 250);
    await sleep(1500);
    const all = readFileSync(accessLog, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(all.length, sentThroughA, `one line per request (${lines.length} seen first)`);
    for (const e of all) {
      assert.equal(e.direction, "outbound");
      assert.equal(e.source_service, "a");
      assert.equal(typeof e.response_code, "number");
      assert.equal(typeof e.duration_ms, "number");
    }
    const byCode = (svc: string, code: number) => all.filter((e) => e.destination_service === svc && e.response_code === code).length;
    assert.equal(byCode("b", 503), 12);
    assert.equal(all.filter((e) => e.destination_service === "b" && e.destination_subset === "v2").length, 25);
    const r1 = all.find((e) => e.destination_service === "d" && e.response_code === 200)!;
    assert.equal(r1.upstream_attempts, 3, `retried request: ${JSON.stringify(r1)}`);
    assert.equal(r1.route, "d-retry");
    const r2 = all.find((e) => e.destination_service === "d" && e.response_code === 503)!;
    assert.equal(r2.upstream_attempts, 4, `exhausted retries: ${JSON.stringify(r2)}`);
    assert.match(String(r2.response_flags), /URX/, `exhausted retries are flagged URX: ${JSON.stringify(r2)}`);
    const ejected = all.filter((e) => e.destination_service === "e").map((e) => e.response_flags);
    assert.deepEqual(ejected, ["-", "-", "UH"], "a 503 from an ejected host is flagged UH (no healthy upstream)");
    const forgedLog = all.find((e) => e.path === "/admin/delete");
    assert.ok(forgedLog, "the path logged is the one Envoy forwarded");
    assert.equal(forgedLog.original_path, "/public/harmless", "the header's claim is only original_path");
    const chainLog = all.find((e) => e.path === "/chain")!;
    assert.equal(chainLog.trace_id, aOut.traceId, "the access log names the trace");
    t.diagnostic(`access log: ${all.length} lines; retried ${JSON.stringify({ attempts: r1.upstream_attempts, flags: r1.response_flags })}, exhausted ${JSON.stringify({ attempts: r2.upstream_attempts, flags: r2.response_flags })}`);


    // --- Sampling 0 %: after the edit, requests produce no spans.
    const oldListeners = (await snapshotVersions(p.serveAdmin, "a")).listener;
    writeFileSync(meshPath, telemetryMeshSource(p, { samplePercent: 0, accessLog }));
    await eventually(async () => (await snapshotVersions(p.serveAdmin, "a")).listener !== oldListeners, "the edited mesh to load", 30_000, 200);
    await waitConverged(p.serveAdmin, nodes);
    // Connections accepted before the edit keep the listener config they started on until they close (Envoy
    // drains them), so the sidecars are restarted: the new ones run only the 0 % configuration.
    await Promise.all(sidecars.map((sc) => sc.stop()));
    const nodes2 = Object.fromEntries(names.map((s) => [`${s}-2`, s]));
    const sidecars2 = names.map((s) => startSidecar(procs, { mesh: meshPath, service: s, instance: `${s}-2`, xdsPort: p.xds, envoy }));
    await Promise.all(names.map((s, i) => waitEnvoyReady(p[s].admin, `sidecar ${s} (restarted)`, 60_000, sidecars2[i])));
    await waitConverged(p.serveAdmin, nodes2);
    const before = otlp.spans.length;
    for (let i = 0; i < 20; i++) assert.equal((await send(viaA("b", { "x-test-id": `unsampled-${i}` }, "/chain"))).status, 200);
    // Not even a request that arrives with a sampled trace context.
    assert.equal((await send(viaA("b", { "x-test-id": "unsampled-forced", traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }, "/chain"))).status, 200);
    await sleep(7000); // longer than Envoy's 5 s span flush interval
    const unsampled = otlp.spans.filter((s) => s.attributes["test.id"]?.startsWith("unsampled-"));
    assert.deepEqual(unsampled, [], "sampling 0 % sends no spans");

    t.diagnostic(`sampling 0 %: ${otlp.spans.length - before} spans after 20 requests`);
  });
});
