// Access logs that cannot work as declared (issue 10): an OpenTelemetry logs collector outside the mesh, one without
// an HTTP/2 port, and an errors-only filter on a sidecar that also proxies TCP (no response codes there).
import { defineMesh, defineService, grpc, http, tcp } from "meshc";

const ghost = defineService("ghost", { ports: { otlp: grpc(4317, { app: 14317 }) }, instances: ["10.0.9.9:4317"] });

export default defineMesh({ name: "logs", trustDomain: "logs.example" }, (mesh) => {
  const web = http(8080, { app: 3000 });
  const otel = mesh.service("otel", { ports: { web: http(4318, { app: 14318 }) }, instances: ["10.0.9.1:4318"] });
  const db = mesh.service("db", { ports: { sql: tcp(5432, { app: 15432 }) }, instances: ["10.0.3.10:5432"] });
  const a = mesh.service("a", { ports: { web }, instances: ["10.0.1.1:8080"] });
  const b = mesh.service("b", { ports: { web }, instances: ["10.0.1.2:8080"] });
  const c = mesh.service("c", { ports: { web }, instances: ["10.0.1.3:8080"], calls: [db] });
  mesh.telemetry(a, { accessLog: { to: { otel: ghost } } }); // expect: MESH0607
  mesh.telemetry(b, { accessLog: { to: { otel } } }); // expect: MESH0608
  mesh.telemetry(c, { accessLog: { filter: { errorsOnly: true } } }); // expect: MESH0609
});
