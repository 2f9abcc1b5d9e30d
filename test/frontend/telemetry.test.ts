// Telemetry in the front end (issue 10): the DSL records it as plain data, the schema checks values, lowering
// merges mesh-wide sections with mesh.telemetry() overrides section by section, and a section given twice for one
// service is MESH0005.
import assert from "node:assert/strict";
import { test } from "node:test";
import { defineMesh, grpc, http } from "../../src/dsl/index.js";
import type { MeshModel } from "../../src/dsl/model.js";
import { lower } from "../../src/frontend/lower.js";
import { validateModel } from "../../src/frontend/validate.js";

const build = (extra: (m: Parameters<Parameters<typeof defineMesh>[1]>[0], svc: { web: any; otel: any }) => void, telemetry?: object) =>
  defineMesh({ name: "t", trustDomain: "t.example", ...(telemetry && { telemetry: telemetry as never }) }, (mesh) => {
    const otel = mesh.service("otel", { ports: { otlp: grpc(4317, { app: 14317 }) }, instances: ["10.0.0.9:4317"] });
    const web = mesh.service("web", { ports: { http: http(8080, { app: 3000 }) }, instances: ["10.0.0.1:8080"] });
    extra(mesh, { web, otel });
  }) as MeshModel;

test("mesh-wide telemetry with a per-service override of one section; references become names", () => {
  const model = build(
    (mesh, { web, otel }) => mesh.telemetry(web, { tracing: { collector: otel.port("otlp"), samplePercent: 5 }, metrics: { port: 15091 } }),
    { accessLog: true, metrics: true, tracing: { collector: "10.0.0.9:4317", tagsFromHeaders: { tier: "X-Tier" } } },
  );
  assert.deepEqual(JSON.parse(JSON.stringify(model.telemetry)), { accessLog: true, metrics: true, tracing: { collector: "10.0.0.9:4317", tagsFromHeaders: { tier: "X-Tier" } } });
  assert.deepEqual(validateModel(model), []);
  const { ir, diagnostics } = lower(model, process.cwd());
  assert.deepEqual(diagnostics, []);
  const web = ir.services.find((s) => s.name === "web")!;
  const otel = ir.services.find((s) => s.name === "otel")!;
  assert.deepEqual(web.telemetry?.tracing, { collector: { kind: "service", service: "otel", port: "otlp" }, samplePercent: 5, tagsFromHeaders: [] });
  assert.deepEqual(web.telemetry?.metrics, { port: 15091, path: "/stats/prometheus" });
  assert.deepEqual(web.telemetry?.accessLog, { format: "json", destination: { kind: "stdout" }, errorsOnly: false, samplePercent: 100 });
  assert.deepEqual(otel.telemetry?.tracing, { collector: { kind: "address", host: "10.0.0.9", port: 4317 }, samplePercent: 100, tagsFromHeaders: [{ tag: "tier", header: "x-tier" }] });
  assert.equal(otel.telemetry?.metrics?.port, 15090);
});

test("no telemetry anywhere: no IR section; false turns a mesh-wide section off for one service", () => {
  const none = lower(build(() => {}), process.cwd()).ir;
  assert.ok(none.services.every((s) => s.telemetry === undefined));
  const off = lower(build((mesh, { web }) => mesh.telemetry(web, { metrics: false }), { metrics: true }), process.cwd()).ir;
  assert.equal(off.services.find((s) => s.name === "web")!.telemetry, undefined);
  assert.ok(off.services.find((s) => s.name === "otel")!.telemetry?.metrics);
});

test("a section set twice for one service is MESH0005", () => {
  const model = build((mesh, { web }) => {
    mesh.telemetry(web, { metrics: { port: 15091 } });
    mesh.telemetry(web, { metrics: { port: 15092 }, accessLog: true });
  });
  const { ir, diagnostics } = lower(model, process.cwd());
  assert.deepEqual(diagnostics.map((d) => [d.code, d.path]), [["MESH0005", ["services", "web", "telemetry", "metrics"]]]);
  assert.equal(ir.services.find((s) => s.name === "web")!.telemetry?.metrics?.port, 15091, "first wins");
});

test("schema: bad values are MESH0003 with their path", () => {
  const model = build((mesh, { web }) =>
    mesh.telemetry(web, {
      metrics: { port: 70000, histogramBuckets: [5, 1] },
      accessLog: { format: "xml" as never, filter: { samplePercent: 150 } },
      tracing: { collector: "no-port" as never },
    }),
  );
  const paths = validateModel(model).map((d) => `${d.code} ${d.path?.join(".")}`);
  assert.deepEqual(paths.sort(), [
    "MESH0003 services.web.telemetry.0.accessLog",
    "MESH0003 services.web.telemetry.0.metrics.histogramBuckets",
    "MESH0003 services.web.telemetry.0.metrics.port",
    "MESH0003 services.web.telemetry.0.tracing.collector",
  ].sort());
});

test("tagsFromHeaders refuses a tag name the sidecar sets itself and a header that carries credentials (MESH0003, with a hint)", () => {
  const diags = (tags: Record<string, string>, perService = false) =>
    validateModel(
      perService
        ? build((mesh, { web }) => mesh.telemetry(web, { tracing: { collector: "10.0.0.9:4317", tagsFromHeaders: tags } }))
        : build(() => {}, { tracing: { collector: "10.0.0.9:4317", tagsFromHeaders: tags } }),
    );
  // meshc's own `route` tag won over a header tag of that name: the header's value never reached the collector.
  for (const [tag, header] of [["route", "x-route"], ["http.method", "x-method"]]) {
    const d = diags({ [tag]: header! });
    assert.equal(d.length, 1, JSON.stringify(d));
    assert.equal(d[0]!.code, "MESH0003");
    assert.ok(d[0]!.message.includes(`span tag "${tag}" is one the sidecar sets itself`), d[0]!.message);
    assert.match(d[0]!.hint ?? "", /name of its own/);
  }
  for (const header of ["authorization", "Proxy-Authorization", "cookie", "x-api-key", "X-Auth-Token"]) {
    const d = diags({ auth: header }, true);
    assert.equal(d.length, 1, `${header}: ${JSON.stringify(d)}`);
    assert.match(d[0]!.message, new RegExp(`header "${header}" carries credentials`));
    assert.ok(d[0]!.hint);
  }
  assert.deepEqual(diags({ "app.route": "x-route", tier: "x-user-tier" }), []);
});

test("a percentage other than 0 below one in a million is refused (Envoy's FractionalPercent would round it to 0)", () => {
  const diags = (samplePercent: number) => validateModel(build(() => {}, { tracing: { collector: "10.0.0.9:4317", samplePercent }, accessLog: { filter: { samplePercent } } }));
  for (const tiny of [0.00001, 0.00004]) {
    const d = diags(tiny);
    assert.deepEqual(d.map((x) => x.code), ["MESH0003", "MESH0003"], JSON.stringify(d));
    assert.ok(d.every((x) => /at least 0\.0001 \(one in a million/.test(x.message) && /Use 0 for none/.test(x.hint ?? "")), JSON.stringify(d));
  }
  assert.deepEqual(diags(0), []);
  assert.deepEqual(diags(0.0001), []);
  assert.deepEqual(diags(0.5), []);
});
