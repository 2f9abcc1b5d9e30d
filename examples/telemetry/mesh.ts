// Telemetry: every sidecar logs its requests as JSON lines, serves Prometheus metrics on :15090 and sends
// OpenTelemetry spans to the `otel` collector. web -> api -> db; api's sidecar overrides the access log (errors
// and slow requests only, to a file), web's sidecar uses finer latency buckets, and api's /checkout route is
// traced at 100 % while everything else is sampled at 10 %.
import { defineMesh, grpc, http } from "meshc";

export default defineMesh(
  {
    name: "observed",
    trustDomain: "observed.example",
    telemetry: {
      accessLog: { format: "json", to: "stdout" },
      metrics: { port: 15090 },
      tracing: { collector: "10.0.9.1:4317", samplePercent: 10, tagsFromHeaders: { "user.tier": "x-user-tier" } },
    },
  },
  (mesh) => {
    const otel = mesh.service("otel", { ports: { otlp: grpc(4317, { app: 14317 }) }, instances: ["10.0.9.1:4317"] });
    const db = mesh.service("db", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.3.10:8080"] });
    const api = mesh.service("api", {
      ports: { web: http(8080, { app: 3000 }) },
      instances: [
        { address: "10.0.2.10", labels: { version: "v1" } },
        { address: "10.0.2.11", labels: { version: "v2" } },
      ],
      subsets: { v1: { version: "v1" }, v2: { version: "v2" } },
      calls: [db],
    });
    const web = mesh.service("web", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.1.10:8080"], calls: [api] });

    mesh.routes(api, (r) => [
      r.match({ path: { prefix: "/checkout" } }).to(api.subset("v1")).named("checkout"),
      r.match().split([
        [api.subset("v1"), 90],
        [api.subset("v2"), 10],
      ]),
    ]);
    mesh.telemetry(api, {
      accessLog: { format: "text", to: { file: "/tmp/meshc-api-access.log" }, filter: { errorsOnly: true, slowerThan: "500ms", samplePercent: 50 } },
      tracing: { collector: otel.port("otlp"), samplePercent: 10 },
    });
    mesh.telemetry(web, { metrics: { port: 15090, histogramBuckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 5000] } });
  },
);
