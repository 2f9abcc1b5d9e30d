// MESH0108 UnknownInstancePort and MESH0208 AmbiguousInstancePort: an instance's port numbers are per port name
// (or the port's own number); a single number only fits a single-port service.
import assert from "node:assert/strict";
import { test } from "node:test";
import { at, endpoint, mesh, messageOf, port, service, table } from "./ir-fixtures.js";

const twoPorts = [port("admin", "http", 9090, 3001), port("web", "http", 8080, 3000)];

table(test, "MESH0108", [
  {
    name: "instance ports name declared ports",
    ir: mesh(service("multi", { ports: twoPorts, instances: { kind: "static", endpoints: [endpoint("10.9.0.1", 0, {}, { ports: { admin: 19090, web: 8080 }, port: undefined })] } })),
    expect: [],
  },
  {
    name: "an instance names a port the service lacks",
    ir: mesh(service("multi", { source: at(3, 5), ports: twoPorts, instances: { kind: "static", endpoints: [endpoint("10.9.0.1", 0, {}, { ports: { admin: 9090, web: 8080, wbe: 18080 }, port: undefined })] } })),
    expect: [{ severity: "error", path: ["services", "multi", "instances", "endpoints", 0, "ports", "wbe"], line: 3, column: 5 }],
  },
  {
    name: "dns() names a port the service lacks",
    ir: mesh(service("ext", { source: at(7), ports: twoPorts, instances: { kind: "dns", hostname: "ext.example", ports: { admin: 9090, tls: 443, web: 8080 } } })),
    expect: [{ severity: "error", path: ["services", "ext", "instances", "ports", "tls"], line: 7, column: 1 }],
  },
]);

table(test, "MESH0208", [
  {
    name: "a single number on a single-port service",
    ir: mesh(service("one", { ports: [port("web", "http", 8080, 3000)], instances: { kind: "static", endpoints: [endpoint("10.9.0.1", 18080, {}, { ports: { web: 18080 } })] } })),
    expect: [],
  },
  {
    name: "a single number on a two-port service",
    ir: mesh(service("multi", { source: at(4, 3), ports: twoPorts, instances: { kind: "static", endpoints: [endpoint("10.9.0.1", 8080, {}, { ports: { admin: 9090, web: 8080 } })] } })),
    expect: [{ severity: "error", path: ["services", "multi", "instances", "endpoints", 0, "port"], line: 4, column: 3 }],
  },
  {
    name: "dns(host, N) on a two-port service",
    ir: mesh(service("ext", { source: at(2), ports: twoPorts, instances: { kind: "dns", hostname: "ext.example", ports: { admin: 9090, web: 8080 }, port: 80 } })),
    expect: [{ severity: "error", path: ["services", "ext", "instances", "port"], line: 2, column: 1 }],
  },
]);

test("MESH0208 says which ports there are and how to name them", () => {
  const ir = mesh(service("multi", { ports: twoPorts, instances: { kind: "static", endpoints: [endpoint("10.9.0.1", 8080, {}, { ports: { admin: 9090, web: 8080 } })] } }));
  const { message, hint } = messageOf(ir, "MESH0208");
  assert.equal(message, 'Instance "10.9.0.1:8080" of service "multi" gives the single port 8080, but "multi" has 2 ports ("admin" and "web"); it is not clear which port it is for.');
  assert.match(hint, /ports: \{ admin: 9090, web: 8080 \}/);
});

test("MESH0108 suggests the closest declared port", () => {
  const ir = mesh(service("multi", { ports: twoPorts, instances: { kind: "static", endpoints: [endpoint("10.9.0.1", 0, {}, { ports: { admin: 9090, web: 8080, wbe: 1 }, port: undefined })] } }));
  assert.match(messageOf(ir, "MESH0108").message, /Did you mean "web"\?/);
});
