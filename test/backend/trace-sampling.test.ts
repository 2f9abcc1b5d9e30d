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

test("a caller at samplePercent 0 keeps no route-level sampling; a caller that traces keeps the route's", async () => {
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
    assert.deepEqual(loud.checkout!.tracing, { random_sampling: { numerator: 50 } });
    assert.equal(quiet.checkout!.tracing, undefined, "no route-level sampling replaces the 0 % caller's overall_sampling");
    assert.deepEqual(quiet.checkout!.decorator, { operation: "checkout" }, "spans would still be named (nothing else changes)");
    assert.equal(loud.rest!.tracing, undefined);
  } finally {
    m.remove();
  }
});
