// Telemetry that cannot work as declared (issue 10): a collector outside the mesh or unreachable, a metrics port
// taken by the sidecar, a relative access-log path, telemetry on a proxyless client, route sampling nobody traces.
import { defineMesh, defineService, grpc, http } from "meshc";

const ghost = defineService("ghost", { ports: { otlp: grpc(4317, { app: 14317 }) }, instances: ["10.0.9.9:4317"] });

export default defineMesh({ name: "obs", trustDomain: "obs.example" }, (mesh) => {
  const web = http(8080, { app: 3000 });
  const otel = mesh.service("otel", { ports: { otlp: http(4318, { app: 14318 }) }, instances: ["10.0.9.1:4318"] });
  const a = mesh.service("a", { ports: { web }, instances: ["10.0.1.1:8080"] });
  const b = mesh.service("b", { ports: { web }, instances: ["10.0.1.2:8080"] });
  const c = mesh.service("c", { ports: { web }, instances: ["10.0.1.3:8080"], calls: [a] });
  const cli = mesh.service("cli", { proxyless: true, ports: {}, instances: [] });
  mesh.telemetry(a, { tracing: { collector: ghost, samplePercent: 10 } }); // expect: MESH0601
  mesh.telemetry(b, { tracing: { collector: otel, samplePercent: 10 } }); // expect: MESH0602
  mesh.telemetry(c, { metrics: { port: 8080 }, accessLog: { to: { file: "logs/access.log" } } }); // expect: MESH0603 MESH0604
  mesh.telemetry(cli, { accessLog: { format: "json", to: "stdout" } }); // expect: MESH0605
  mesh.routes(b, (r) => [r.match().to(b).traceSampling(50)]); // expect: MESH0606
  void otel;
});
