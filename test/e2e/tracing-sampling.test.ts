// Who decides trace sampling, with real Envoy 1.40 sidecars (static bootstraps, web -> api) and an OTLP/gRPC
// receiver: at samplePercent 0.0001 (one trace id in a million, so ~never by chance) a caller cannot force spans
// with x-client-trace-id, a crafted x-request-id (UUID trace-reason nibble 9 = forced) or x-envoy-force-trace,
// while a request with a sampled W3C traceparent (flags 01) is traced by both sidecars (parent-based sampling,
// docs/dsl.md) and one with flags 00 by none. Before tracing.ts used the tracer's sampler, each forcing header gave
// a span per hop for every request and the sampled traceparent none. Ports 31100-31129.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { startHttpApp } from "../apps/http-app.js";
import { requireEnvoy } from "../helpers/envoy.js";
import { getText, send } from "./lib/http.js";
import { startOtlpReceiver } from "./lib/otlp-receiver.js";
import { eventually, runMeshc, sleep } from "./lib/procs.js";
import { inWorkspace } from "./lib/workspace.js";

const P = { otlp: 31100, web: { inbound: 31110, app: 31111, admin: 31112, outbound: 31113 }, api: { inbound: 31120, app: 31121, admin: 31122, outbound: 31123 } };
const N = 10;

test("e2e tracing: callers cannot force sampling; a sampled traceparent stays sampled on every hop", { timeout: 90_000 }, async (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  await inWorkspace(t, "meshc-trace-sampling-", async ({ dir, procs, closeLater }) => {
    const meshPath = join(dir, "mesh.ts");
    writeFileSync(
      meshPath,
      `import { defineMesh, http } from "meshc";
export default defineMesh({ name: "ts", trustDomain: "ts.example", telemetry: { tracing: { collector: "127.0.0.1:${P.otlp}", samplePercent: 0.0001 } } }, (mesh) => {
  const api = mesh.service("api", { ports: { http: http(${P.api.inbound}, { app: ${P.api.app} }) }, instances: ["127.0.0.1:${P.api.inbound}"],
    sidecar: { adminPort: ${P.api.admin}, outboundPort: ${P.api.outbound}, inboundAddress: "127.0.0.1" } });
  mesh.service("web", { ports: { http: http(${P.web.inbound}, { app: ${P.web.app} }) }, instances: ["127.0.0.1:${P.web.inbound}"], calls: [api],
    sidecar: { adminPort: ${P.web.admin}, outboundPort: ${P.web.outbound}, inboundAddress: "127.0.0.1" } });
});
`,
    );
    const otlp = closeLater(await startOtlpReceiver(P.otlp));
    closeLater(await startHttpApp({ service: "api", version: "v1", port: P.api.app }));
    for (const s of ["web", "api"] as const) {
      const r = await runMeshc(["bootstrap", meshPath, "--service", s, "--static"]);
      assert.equal(r.status, 0, r.stderr);
      const yaml = join(dir, `${s}.yaml`);
      writeFileSync(yaml, r.stdout);
      const proc = procs.start({ name: `envoy-${s}`, cmd: envoy, args: ["-c", yaml, "--concurrency", "1", "--use-dynamic-base-id", "-l", "warning"] });
      // A static bootstrap has no xDS connection to wait for: the server is ready once it is LIVE.
      await eventually(async () => (proc.child.exitCode === null && (await getText(P[s].admin, "/ready").catch(() => "")).trim() === "LIVE" ? true : undefined), `Envoy ${s} LIVE`, 20_000, 200);
    }

    const call = async (headers: Record<string, string>) => {
      const r = await send({ port: P.web.outbound, host: `api:${P.api.inbound}`, path: "/x", headers, timeoutMs: 10_000 });
      assert.equal(r.status, 200, r.body);
    };
    const sampledTraces = new Set<string>();
    for (let i = 0; i < N; i++) {
      await call({ "x-client-trace-id": `client-${i}` });
      await call({ "x-request-id": `11111111-2222-9333-8444-55555555555${i}` });
      await call({ "x-envoy-force-trace": "true" });
      await call({ traceparent: `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-00` });
      const traceId = randomBytes(16).toString("hex");
      sampledTraces.add(traceId);
      await call({ traceparent: `00-${traceId}-${randomBytes(8).toString("hex")}-01` });
    }
    const ours = () => otlp.spans.filter((s) => sampledTraces.has(s.traceId));
    await eventually(() => (ours().length >= 2 * N ? true : undefined), `${2 * N} spans of the sampled traceparents (Envoy flushes every 5 s)`, 30_000, 250).catch((e) => {
      throw new Error(`${(e as Error).message}; got ${otlp.spans.length} spans: ${JSON.stringify(otlp.spans.slice(0, 4))}`);
    });
    await sleep(6_000); // one more flush interval: spans of forced requests would have arrived by now
    const byService = (list: typeof otlp.spans) => list.reduce<Record<string, number>>((m, s) => ((m[s.service] = (m[s.service] ?? 0) + 1), m), {});
    assert.deepEqual(byService(ours()), { api: N, web: N }, "each sampled traceparent gives a span on both hops");
    const others = otlp.spans.filter((s) => !sampledTraces.has(s.traceId));
    assert.deepEqual(others.map((s) => `${s.service} ${s.name} ${JSON.stringify(s.attributes)}`), [], "no span for forcing headers or an unsampled traceparent");
    t.diagnostic(`spans: ${JSON.stringify(byService(otlp.spans))} for ${5 * N} requests, ${N} of them with a sampled traceparent`);
  });
});
