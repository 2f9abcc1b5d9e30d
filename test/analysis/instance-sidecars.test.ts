// Instances with their own sidecar ports (issue 13 item 7): MESH0236 InstanceSidecarPortConflict, MESH0237
// InstanceSidecarWithoutSidecar, MESH0238 UnknownInstanceAppPort; and that such instances no longer bind the
// service's ports (no MESH0204 between the service-level ports of a service whose instances all have their own).
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../../src/analysis/index.js";
import type { EndpointIR, InstanceSidecarIR } from "../../src/ir/types.js";
import { at, endpoint, mesh, service, table } from "./ir-fixtures.js";

const own = (port: number, sc: Partial<InstanceSidecarIR>): EndpointIR =>
  endpoint("127.0.0.1", port, {}, { ports: { http: port }, sidecar: { adminPort: 15100, outboundPort: 15101, appPorts: { http: 3001 }, tcpOutbound: {}, ...sc } });
const web = (...endpoints: EndpointIR[]) => service("web", { instances: { kind: "static", endpoints }, source: at(3, 8) });

table(test, "MESH0236", [
  {
    name: "two instances on one host with distinct ports",
    ir: mesh(web(own(8081, {}), own(8082, { adminPort: 15200, outboundPort: 15201, appPorts: { http: 3002 } }))),
    expect: [],
  },
  {
    name: "two instances on one host sharing an admin port",
    ir: mesh(web(own(8081, {}), own(8082, { outboundPort: 15201, appPorts: { http: 3002 } }))),
    expect: [{ severity: "error", path: ["services", "web", "instances", "endpoints", 1, "sidecar"], line: 3, column: 8 }],
  },
  {
    name: "the same ports on different hosts",
    ir: mesh(web(own(8081, {}), { ...own(8082, {}), address: "10.0.0.2" })),
    expect: [],
  },
  {
    name: "an instance's app port on another service's outbound port on its host",
    ir: mesh(
      web(own(8081, { appPorts: { http: 15777 } })),
      service("api", { instances: { kind: "static", endpoints: [endpoint("127.0.0.1", 9090)] }, sidecar: { outboundPort: 15777, adminPort: 15778 } }),
    ),
    expect: [{ severity: "error", path: ["services", "web", "instances", "endpoints", 0, "sidecar"], line: 3, column: 8 }],
  },
]);

// The metrics listener is the service's port on every instance's sidecar (there is no per-instance one).
const metricsOn = { source: at(2, 16), metrics: { port: 15090, path: "/stats/prometheus" } };
const distinct = () => [own(8081, {}), own(8082, { adminPort: 15200, outboundPort: 15201, appPorts: { http: 3002 } })];
table(test, "MESH0236", [
  {
    name: "two instances of a service with metrics on one host: both bind its metrics port",
    ir: mesh({ ...web(...distinct()), telemetry: metricsOn }),
    expect: [{ severity: "error", path: ["services", "web", "instances", "endpoints", 1, "sidecar"], line: 3, column: 8 }],
  },
  {
    name: "two instances of a service with metrics on different hosts",
    ir: mesh({ ...web(own(8081, {}), { ...own(8082, {}), address: "10.0.0.2" }), telemetry: metricsOn }),
    expect: [],
  },
  {
    name: "an instance's metrics listener on another service's metrics listener on its host",
    ir: mesh(
      { ...web(own(8081, {})), telemetry: metricsOn },
      service("api", { instances: { kind: "static", endpoints: [endpoint("127.0.0.1", 9090)] }, sidecar: { outboundPort: 15777, adminPort: 15778 }, telemetry: metricsOn }),
    ),
    expect: [{ severity: "error", path: ["services", "web", "instances", "endpoints", 0, "sidecar"], line: 3, column: 8 }],
  },
]);

test("MESH0236 for one service's metrics port says it is per service", () => {
  const d = analyze({ ...mesh({ ...web(...distinct()), telemetry: metricsOn }) }).filter((x) => x.code === "MESH0236");
  assert.equal(d.length, 1);
  assert.match(d[0]!.message, /by the metrics listener of instance "127\.0\.0\.1:8081" of "web" \(0\.0\.0\.0\) and by the metrics listener of instance "127\.0\.0\.1:8082"/);
  assert.match(d[0]!.hint ?? "", /per service, not per instance.*mesh\.telemetry\(web, \{ metrics: false \}\)/);
});

table(test, "MESH0237", [
  { name: "own ports on a sidecar service", ir: mesh(web(own(8081, {}))), expect: [] },
  {
    name: "own ports on a proxyless client",
    ir: mesh(service("client", { proxyless: true, instances: { kind: "static", endpoints: [own(8081, {})] }, source: at(5, 8) })),
    expect: [{ severity: "error", path: ["services", "client", "instances", "endpoints", 0, "sidecar"], line: 5, column: 8 }],
  },
]);

table(test, "MESH0238", [
  { name: "an app port for a declared port", ir: mesh(web(own(8081, {}))), expect: [] },
  {
    name: "an app port for an undeclared port",
    ir: mesh(web(own(8081, { appPorts: { http: 3001, wbe: 3005 } }))),
    expect: [{ severity: "error", path: ["services", "web", "instances", "endpoints", 0, "sidecar", "app", "wbe"], line: 3, column: 8 }],
  },
]);

test("instances with their own ports do not bind the service's: no MESH0204 against another service's defaults", () => {
  const api = service("api", { instances: { kind: "static", endpoints: [endpoint("127.0.0.1", 9090)] }, sidecar: { outboundPort: 15001, adminPort: 15000 } });
  // web's service-level ports equal api's, but no web instance uses them.
  const w = service("web", { instances: { kind: "static", endpoints: [own(8081, {})] }, sidecar: { outboundPort: 15001, adminPort: 15000 } });
  const codes = analyze(mesh(api, w)).map((d) => d.code);
  assert.deepEqual(codes.filter((c) => c === "MESH0204" || c === "MESH0236"), []);
});
