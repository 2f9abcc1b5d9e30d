// 06xx: telemetry (collector reachability, metrics port, access-log path, proxyless clients, route sampling).
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../../src/analysis/index.js";
import type { CollectorIR, TelemetryIR } from "../../src/ir/types.js";
import { at, mesh, messageOf, port, route, service, table, withoutInstances } from "./ir-fixtures.js";

const tracing = (collector: NonNullable<TelemetryIR["tracing"]>["collector"]): TelemetryIR => ({
  source: at(4, 3),
  tracing: { collector, samplePercent: 100, tagsFromHeaders: [] },
});
const otel = (ports = [port("otlp", "grpc", 4317)]) => service("otel", { ports });

table(test, "MESH0601", [
  { name: "collector is a mesh service", ir: mesh(otel(), service("web", { telemetry: tracing({ kind: "service", service: "otel" }) })), expect: [] },
  { name: "collector is an address", ir: mesh(service("web", { telemetry: tracing({ kind: "address", host: "10.9.0.1", port: 4317 }) })), expect: [] },
  {
    name: "collector names no service",
    ir: mesh(service("web", { telemetry: tracing({ kind: "service", service: "otle" }) })),
    expect: [{ severity: "error", path: ["services", "web", "telemetry", "tracing", "collector"], line: 4, column: 3 }],
  },
]);

table(test, "MESH0602", [
  { name: "grpc port found by name", ir: mesh(otel(), service("web", { telemetry: tracing({ kind: "service", service: "otel", port: "otlp" }) })), expect: [] },
  { name: "http2 port", ir: mesh(otel([port("h2", "http2", 4318)]), service("web", { telemetry: tracing({ kind: "service", service: "otel" }) })), expect: [] },
  {
    name: "collector has only an HTTP/1 port",
    ir: mesh(otel([port("http", "http", 4318)]), service("web", { telemetry: tracing({ kind: "service", service: "otel" }) })),
    expect: [{ severity: "error", path: ["services", "web", "telemetry", "tracing", "collector"], line: 4, column: 3 }],
  },
  {
    name: "named port does not exist",
    ir: mesh(otel(), service("web", { telemetry: tracing({ kind: "service", service: "otel", port: "grpc" }) })),
    expect: [{ severity: "error", path: ["services", "web", "telemetry", "tracing", "collector"], line: 4, column: 3 }],
  },
  {
    name: "collector has no instances",
    ir: mesh(withoutInstances(otel()), service("web", { telemetry: tracing({ kind: "service", service: "otel" }) })),
    expect: [{ severity: "error", path: ["services", "web", "telemetry", "tracing", "collector"], line: 4, column: 3 }],
  },
]);

const metrics = (p: number): TelemetryIR => ({ source: at(6, 3), metrics: { port: p, path: "/stats/prometheus" } });
table(test, "MESH0603", [
  { name: "default 15090 is free", ir: mesh(service("web", { telemetry: metrics(15090) })), expect: [] },
  {
    name: "metrics port is a service port",
    ir: mesh(service("web", { telemetry: metrics(8080) })),
    expect: [{ severity: "error", path: ["services", "web", "telemetry", "metrics", "port"], line: 6, column: 3 }],
  },
  {
    name: "metrics port is the admin port",
    ir: mesh(service("web", { sidecar: { adminPort: 15090 }, telemetry: metrics(15090) })),
    expect: [{ severity: "error", path: ["services", "web", "telemetry", "metrics", "port"], line: 6, column: 3 }],
  },
  {
    name: "metrics port is the outbound port",
    ir: mesh(service("web", { sidecar: { outboundPort: 15001 }, telemetry: metrics(15001) })),
    expect: [{ severity: "error", path: ["services", "web", "telemetry", "metrics", "port"], line: 6, column: 3 }],
  },
]);

const fileLog = (path: string): TelemetryIR => ({
  source: at(8, 3),
  accessLog: { format: "json", destination: { kind: "file", path }, errorsOnly: false, samplePercent: 100 },
});
table(test, "MESH0604", [
  { name: "absolute path", ir: mesh(service("web", { telemetry: fileLog("/var/log/envoy/access.log") })), expect: [] },
  {
    name: "relative path",
    ir: mesh(service("web", { telemetry: fileLog("logs/access.log") })),
    expect: [{ severity: "error", path: ["services", "web", "telemetry", "accessLog", "to", "file"], line: 8, column: 3 }],
  },
  // Envoy opens the path as a C string: it would silently write /tmp/a (checked with Envoy 1.40).
  {
    name: "a NUL in an absolute path",
    ir: mesh(service("web", { telemetry: fileLog("/tmp/a\u0000b") })),
    expect: [{ severity: "error", path: ["services", "web", "telemetry", "accessLog", "to", "file"], line: 8, column: 3 }],
  },
]);

test("MESH0604 says what is wrong with the path", () => {
  const message = (path: string) => analyze(mesh(service("web", { telemetry: fileLog(path) }))).find((d) => d.code === "MESH0604")?.message;
  assert.equal(message("logs/a.log"), 'Access-log path "logs/a.log" of service "web" is not absolute.');
  assert.equal(message("/tmp/a\u0000b"), 'Access-log path "/tmp/a\\0b" of service "web" contains a NUL character, where Envoy would cut it and write another file.');
});

table(test, "MESH0605", [
  { name: "sidecar service with telemetry", ir: mesh(service("web", { telemetry: metrics(15090) })), expect: [] },
  {
    name: "proxyless client with metrics and access logs",
    ir: mesh(service("cli", { proxyless: true, telemetry: { ...metrics(15090), accessLog: fileLog("/tmp/a.log").accessLog } })),
    expect: [
      { severity: "warning", path: ["services", "cli", "telemetry", "accessLog"], line: 6, column: 3 },
      { severity: "warning", path: ["services", "cli", "telemetry", "metrics"], line: 6, column: 3 },
    ],
  },
]);

const sampled = (caller: TelemetryIR | undefined) =>
  mesh(
    otel(),
    service("api", { routes: [route("api-0", { source: at(12, 5) })].map((r) => ({ ...r, traceSamplePercent: 5 })) }),
    service("web", { calls: ["api"], ...(caller && { telemetry: caller }) }),
  );
table(test, "MESH0606", [
  { name: "a caller traces", ir: sampled(tracing({ kind: "service", service: "otel" })), expect: [] },
  { name: "no caller traces", ir: sampled(undefined), expect: [{ severity: "warning", path: ["services", "api", "routes", 0, "traceSampling"], line: 12, column: 5 }] },
]);

table(test, "MESH0426", [
  { name: "no caller traces (MESH0606 instead)", ir: sampled(undefined), expect: [] },
  { name: "a caller traces: its sampler decides", ir: sampled(tracing({ kind: "service", service: "otel" })), expect: [{ severity: "warning", path: ["services", "api", "routes", 0, "traceSampling"], line: 12, column: 5 }] },
]);

test("MESH0602 says why the collector is unreachable", () => {
  const m = messageOf(mesh(otel([port("http", "http", 4318)]), service("web", { telemetry: tracing({ kind: "service", service: "otel" }) })), "MESH0602");
  assert.match(m.message, /no grpc or http2 port/);
});

const otelLog = (collector: CollectorIR, errorsOnly = false): TelemetryIR => ({
  source: at(10, 3),
  accessLog: { format: "json", destination: { kind: "otel", collector }, errorsOnly, samplePercent: 100 },
});
table(test, "MESH0607", [
  { name: "log collector is a mesh service", ir: mesh(otel(), service("web", { telemetry: otelLog({ kind: "service", service: "otel" }) })), expect: [] },
  { name: "log collector is an address", ir: mesh(service("web", { telemetry: otelLog({ kind: "address", host: "10.9.0.1", port: 4317 }) })), expect: [] },
  {
    name: "log collector names no service",
    ir: mesh(service("web", { telemetry: otelLog({ kind: "service", service: "otle" }) })),
    expect: [{ severity: "error", path: ["services", "web", "telemetry", "accessLog", "to", "otel"], line: 10, column: 3 }],
  },
]);

table(test, "MESH0608", [
  { name: "log collector's grpc port by name", ir: mesh(otel(), service("web", { telemetry: otelLog({ kind: "service", service: "otel", port: "otlp" }) })), expect: [] },
  {
    name: "log collector has only an HTTP/1 port",
    ir: mesh(otel([port("http", "http", 4318)]), service("web", { telemetry: otelLog({ kind: "service", service: "otel" }) })),
    expect: [{ severity: "error", path: ["services", "web", "telemetry", "accessLog", "to", "otel"], line: 10, column: 3 }],
  },
  {
    name: "log collector has no instances",
    ir: mesh(withoutInstances(otel()), service("web", { telemetry: otelLog({ kind: "service", service: "otel" }) })),
    expect: [{ severity: "error", path: ["services", "web", "telemetry", "accessLog", "to", "otel"], line: 10, column: 3 }],
  },
]);

const stdoutLog = (errorsOnly: boolean): TelemetryIR => ({ source: at(12, 3), accessLog: { format: "json", destination: { kind: "stdout" }, errorsOnly, samplePercent: 100 } });
const db = () => service("db", { ports: [port("sql", "tcp", 5432)] });
table(test, "MESH0609", [
  { name: "errorsOnly on an HTTP-only sidecar", ir: mesh(service("web", { telemetry: stdoutLog(true) })), expect: [] },
  { name: "TCP upstream without errorsOnly", ir: mesh(db(), service("web", { calls: ["db"], telemetry: stdoutLog(false) })), expect: [] },
  {
    name: "errorsOnly with a TCP upstream",
    ir: mesh(db(), service("web", { calls: ["db"], telemetry: stdoutLog(true) })),
    expect: [{ severity: "warning", path: ["services", "web", "telemetry", "accessLog", "filter", "errorsOnly"], line: 12, column: 3 }],
  },
  {
    name: "errorsOnly on a sidecar with its own TCP port",
    ir: mesh(service("db", { ports: [port("sql", "tcp", 5432)], telemetry: stdoutLog(true) })),
    expect: [{ severity: "warning", path: ["services", "db", "telemetry", "accessLog", "filter", "errorsOnly"], line: 12, column: 3 }],
  },
  // Only proxies that have a TCP listener (the reviewer's live mesh: an external service and a gateway were warned).
  {
    name: "an external service with a TCP port runs no proxy",
    ir: mesh(service("partner", { ports: [port("raw", "tcp", 9443)], nonMesh: true, external: { hosts: ["partner.example"], resolution: "dns" }, telemetry: stdoutLog(true) })),
    expect: [],
  },
  {
    name: "a nonMesh service with a TCP port runs no proxy",
    ir: mesh(service("legacy", { ports: [port("raw", "tcp", 9443)], nonMesh: true, telemetry: stdoutLog(true) })),
    expect: [],
  },
  {
    name: "a gateway routing to a service with a TCP port has no TCP listener",
    ir: mesh(
      service("api", { ports: [port("web", "http", 8080), port("db", "tcp", 5432)] }),
      service("edge", { ports: [port("http-8000", "http", 8000)], gateway: { listeners: [{ port: "http-8000", protocol: "http", hosts: ["a.example"] }] }, calls: ["api"], telemetry: stdoutLog(true) }),
    ),
    expect: [],
  },
  {
    name: "a sidecar calling an external service's TCP port has the TCP listener",
    ir: mesh(
      service("partner", { ports: [port("raw", "tcp", 9443)], nonMesh: true, external: { hosts: ["partner.example"], resolution: "dns" } }),
      service("web", { calls: ["partner"], telemetry: stdoutLog(true) }),
    ),
    expect: [{ severity: "warning", path: ["services", "web", "telemetry", "accessLog", "filter", "errorsOnly"], line: 12, column: 3 }],
  },
]);
