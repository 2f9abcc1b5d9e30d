// Per-route trace sampling (`.traceSampling(percent)`) against a caller's samplePercent: Envoy's route-level
// percentages replace all three of the connection manager's (each unset one counts as 100 %), so a caller at 0 %,
// which must send no spans at all (docs/dsl.md), gets the upstream's routes without their own sampling, while a
// caller that traces keeps it. The two callers' route tables differ only there. (The spans themselves are checked
// with real Envoy in test/e2e/telemetry.test.ts.)
import assert from "node:assert/strict";
import { test } from "node:test";
import { canonicalOf } from "../../src/backends/envoy/encode.js";
import { compileMesh } from "../../src/pipeline.js";
import { writeMesh } from "../frontend/tmp-mesh.js";

type Json = Record<string, unknown>;

test("no route-level sampling is emitted (the tracer's sampler would ignore it: MESH0426), for any caller", async () => {
  const m = writeMesh({
    "mesh.ts": `import { defineMesh, grpc, http } from "meshc";
export default defineMesh({ name: "ts", trustDomain: "ts.example" }, (mesh) => {
  const otel = mesh.service("otel", { ports: { otlp: grpc(4317, { app: 4318 }) }, instances: ["10.0.0.9:4317"] });
  const api = mesh.service("api", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.1:8080"] });
  const quiet = mesh.service("quiet", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.2:8080"], calls: [api] });
  const loud = mesh.service("loud", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.3:8080"], calls: [api] });
  mesh.routes(api, (r) => [r.match({ path: { prefix: "/checkout" } }).to(api).named("checkout").traceSampling(50), r.match().to(api).named("rest")]);
  mesh.telemetry(quiet, { tracing: { collector: otel.port("otlp"), samplePercent: 0 } });
  mesh.telemetry(loud, { tracing: { collector: otel.port("otlp"), samplePercent: 10 } });
});
`,
  });
  try {
    const r = await compileMesh(m.entry);
    assert.deepEqual(r.diagnostics.filter((d) => d.severity === "error"), []);
    const routes = (service: string) => {
      const rc = r.snapshot!.proxies.get(service)!.resources.route.find((x) => x.name === "outbound|15001|http")!;
      const vh = ((canonicalOf("route", rc) as Json).virtual_hosts as Json[]).find((v) => v.name === "api:8080")!;
      return Object.fromEntries((vh.routes as Json[]).map((x) => [x.name, x]));
    };
    const quiet = routes("quiet");
    const loud = routes("loud");
    // The tracer's sampler decides (below); Envoy reads no route-level percentage then, so none is emitted (MESH0426).
    assert.equal(loud.checkout!.tracing, undefined);
    assert.equal(quiet.checkout!.tracing, undefined);
    assert.deepEqual(r.diagnostics.map((d) => d.code), ["MESH0426"]);
    assert.deepEqual(quiet.checkout!.decorator, { operation: "checkout" }, "spans would still be named (nothing else changes)");
    assert.equal(loud.rest!.tracing, undefined);
  } finally {
    m.remove();
  }
});

test("sampling is the tracer's parent-based sampler; x-request-id, x-client-trace-id and x-envoy-force-trace decide nothing", async () => {
  const m = writeMesh({
    "mesh.ts": `import { defineMesh, http } from "meshc";
export default defineMesh({ name: "ts", trustDomain: "ts.example" }, (mesh) => {
  const api = mesh.service("api", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.1:8080"] });
  const quiet = mesh.service("quiet", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.2:8080"], calls: [api] });
  const loud = mesh.service("loud", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.3:8080"], calls: [api] });
  mesh.telemetry(quiet, { tracing: { collector: "10.0.0.9:4317", samplePercent: 0 } });
  mesh.telemetry(loud, { tracing: { collector: "10.0.0.9:4317", samplePercent: 2.5 } });
});
`,
  });
  try {
    const r = await compileMesh(m.entry);
    assert.deepEqual(r.diagnostics.filter((d) => d.severity === "error"), []);
    const hcms = (service: string) =>
      r.snapshot!.proxies.get(service)!.resources.listener.flatMap((l) =>
        (((canonicalOf("listener", l) as Json).filter_chains as Json[] | undefined) ?? []).flatMap((fc) => (fc.filters as Json[]).filter((f) => f.name === "envoy.filters.network.http_connection_manager").map((f) => f.typed_config as Json)),
      );
    const ratio = (numerator: number, denominator?: string) => ({
      name: "envoy.tracers.opentelemetry.samplers.trace_id_ratio_based",
      typed_config: { "@type": "type.googleapis.com/envoy.extensions.tracers.opentelemetry.samplers.v3.TraceIdRatioBasedSamplerConfig", sampling_percentage: { ...(numerator && { numerator }), ...(denominator && { denominator }) } },
    });
    for (const [service, sampler] of [
      ["loud", { name: "envoy.tracers.opentelemetry.samplers.parent_based", typed_config: { "@type": "type.googleapis.com/envoy.extensions.tracers.opentelemetry.samplers.v3.ParentBasedSamplerConfig", wrapped_sampler: ratio(25000, "MILLION") } }],
      ["quiet", ratio(0)], // 0 %: not parent-based, so a sampled traceparent gets no span either
    ] as const) {
      const list = hcms(service);
      assert.ok(list.length >= 2, `${service}: inbound and outbound connection managers`);
      for (const h of list) {
        const tracing = h.tracing as Json;
        assert.deepEqual((tracing.provider as Json & { typed_config: Json }).typed_config.sampler, sampler, service);
        assert.deepEqual(tracing.client_sampling, {}, "x-client-trace-id forces nothing (client_sampling 0)");
        assert.equal(tracing.random_sampling, undefined);
        assert.equal(tracing.overall_sampling, undefined);
        assert.deepEqual(h.request_id_extension, {
          typed_config: { "@type": "type.googleapis.com/envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig", pack_trace_reason: {}, use_request_id_for_trace_sampling: {} },
        });
      }
    }
  } finally {
    m.remove();
  }
});
