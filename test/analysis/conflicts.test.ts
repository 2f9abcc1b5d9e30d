// 02xx: names and sockets that collide.
import assert from "node:assert/strict";
import { test } from "node:test";
import { at, endpoint, mesh, messageOf, port, service, table } from "./ir-fixtures.js";

table(test, "MESH0201", [
  { name: "distinct names", ir: mesh(service("web"), service("catalog")), expect: [] },
  {
    name: "same name twice: the later declaration is reported",
    ir: mesh(service("catalog", { source: at(9, 3) }), service("catalog", { source: at(4, 3) })),
    expect: [{ severity: "error", path: ["services", "catalog"], line: 9, column: 3 }],
  },
  {
    name: "three declarations: two reports",
    ir: mesh(service("a", { source: at(1) }), service("a", { source: at(2) }), service("a", { source: at(3) })),
    expect: [
      { severity: "error", path: ["services", "a"], line: 2, column: 1 },
      { severity: "error", path: ["services", "a"], line: 3, column: 1 },
    ],
  },
]);

test("MESH0201 points at the first declaration", () => {
  const ir = mesh(service("catalog", { source: at(4, 3) }), service("catalog", { source: at(9, 3) }));
  assert.equal(messageOf(ir, "MESH0201").message, 'Service "catalog" is declared more than once (first at mesh.ts:4:3).');
});

table(test, "MESH0202", [
  { name: "distinct port names", ir: mesh(service("api", { ports: [port("grpc", "grpc", 9090), port("http", "http", 8080)] })), expect: [] },
  {
    name: "port name twice",
    ir: mesh(service("api", { source: at(5, 2), ports: [port("web", "http", 8080), port("web", "http", 8081)] })),
    expect: [{ severity: "error", path: ["services", "api", "ports", 1, "name"], line: 5, column: 2 }],
  },
]);

table(test, "MESH0203", [
  { name: "distinct numbers", ir: mesh(service("api", { ports: [port("a", "http", 8080), port("b", "grpc", 9090)] })), expect: [] },
  {
    name: "same number for two ports",
    ir: mesh(service("api", { source: at(5, 2), ports: [port("a", "http", 8080), port("b", "grpc", 8080, 9999)] })),
    expect: [{ severity: "error", path: ["services", "api", "ports", 1, "port"], line: 5, column: 2 }],
  },
]);

const local = (name: string, line: number, sidecar: Partial<{ outboundPort: number; adminPort: number; inboundAddress: string; tcpOutbound: Record<string, number> }>, ports = [port("http", "http", 8080, 3000)]) =>
  service(name, {
    source: at(line, 3),
    ports,
    instances: { kind: "static", endpoints: [endpoint("127.0.0.1", ports[0]?.port ?? 8080)] },
    sidecar,
  });

table(test, "MESH0204", [
  {
    name: "two sidecars on one host with every port distinct",
    ir: mesh(
      local("web", 1, { outboundPort: 15001, adminPort: 15000 }, [port("http", "http", 8080, 3000)]),
      local("catalog", 2, { outboundPort: 15011, adminPort: 15010, tcpOutbound: { "ledger:db": 15012 } }, [port("http", "http", 8081, 3001)]),
    ),
    expect: [],
  },
  {
    name: "same ports on different hosts",
    ir: mesh(service("web", { sidecar: { outboundPort: 15001, adminPort: 15000 } }), service("catalog", { sidecar: { outboundPort: 15001, adminPort: 15000 } })),
    expect: [],
  },
  {
    name: "inbound on specific addresses of one host do not overlap",
    ir: mesh(
      local("a", 1, { inboundAddress: "127.0.0.1", outboundPort: 15001, adminPort: 15000 }, [port("http", "http", 8080, 3000)]),
      { ...local("b", 2, { inboundAddress: "10.9.9.9", outboundPort: 15011, adminPort: 15010 }, [port("http", "http", 8080, 3001)]), instances: { kind: "static", endpoints: [endpoint("localhost", 8080)] } },
    ),
    expect: [],
  },
  {
    name: "admin ports collide on a shared host (the later service is reported)",
    ir: mesh(
      local("web", 1, { outboundPort: 15001, adminPort: 15000 }, [port("http", "http", 8080, 3000)]),
      local("catalog", 7, { outboundPort: 15011, adminPort: 15000 }, [port("http", "http", 8081, 3001)]),
    ),
    expect: [{ severity: "error", path: ["services", "catalog", "sidecar", "adminPort"], line: 7, column: 3 }],
  },
  {
    name: "0.0.0.0 inbound overlaps another service's outbound on 127.0.0.1",
    ir: mesh(
      local("web", 1, { outboundPort: 9000, adminPort: 15000 }, [port("http", "http", 8080, 3000)]),
      local("catalog", 4, { outboundPort: 15011, adminPort: 15010 }, [port("http", "http", 9000, 3001)]),
    ),
    expect: [{ severity: "error", path: ["services", "catalog", "ports", 0, "port"], line: 4, column: 3 }],
  },
  {
    name: "app ports of two services on one host",
    ir: mesh(
      local("web", 1, { outboundPort: 15001, adminPort: 15000 }, [port("http", "http", 8080, 3000)]),
      local("catalog", 2, { outboundPort: 15011, adminPort: 15010 }, [port("http", "http", 8081, 3000)]),
    ),
    expect: [{ severity: "error", path: ["services", "catalog", "ports", 0, "appPort"], line: 2, column: 3 }],
  },
  {
    name: "TCP outbound port equal to another sidecar's inbound",
    ir: mesh(
      local("web", 1, { outboundPort: 15001, adminPort: 15000, tcpOutbound: { "ledger:db": 8081 } }, [port("http", "http", 8080, 3000)]),
      local("catalog", 2, { outboundPort: 15011, adminPort: 15010 }, [port("http", "http", 8081, 3001)]),
    ),
    expect: [{ severity: "error", path: ["services", "catalog", "ports", 0, "port"], line: 2, column: 3 }],
  },
  {
    name: "within one sidecar: one port's app port is another port's inbound port",
    ir: mesh(service("web", { source: at(3), ports: [port("grpc", "grpc", 9090, 3000), port("http", "http", 8080, 9090)] })),
    expect: [{ severity: "error", path: ["services", "web", "ports", 1, "appPort"], line: 3, column: 1 }],
  },
  {
    name: "a port's own source location wins over its service's",
    ir: mesh(
      local("web", 1, { outboundPort: 15001, adminPort: 15000 }, [port("http", "http", 8080, 3000)]),
      local("catalog", 2, { outboundPort: 15011, adminPort: 15010 }, [{ ...port("http", "http", 8081, 3000), source: at(14, 12) }]),
    ),
    expect: [{ severity: "error", path: ["services", "catalog", "ports", 0, "appPort"], line: 14, column: 12 }],
  },
  {
    name: "within one sidecar: outbound equal to admin",
    ir: mesh(service("web", { source: at(3), sidecar: { outboundPort: 15000, adminPort: 15000 } })),
    expect: [{ severity: "error", path: ["services", "web", "sidecar", "adminPort"], line: 3, column: 1 }],
  },
  {
    name: "DNS services sharing a hostname share a host; \"localhost\" is 127.0.0.1",
    ir: mesh(
      local("web", 1, { outboundPort: 15001, adminPort: 15000 }),
      service("db", { source: at(9), ports: [port("db", "tcp", 5432, 15432)], instances: { kind: "dns", hostname: "localhost", ports: { db: 5432 } }, sidecar: { outboundPort: 15001, adminPort: 15100 } }),
    ),
    expect: [{ severity: "error", path: ["services", "db", "sidecar", "outboundPort"], line: 9, column: 1 }],
  },
  {
    name: "a proxyless service binds only its own ports",
    ir: mesh(
      local("web", 1, { outboundPort: 15001, adminPort: 15000 }),
      { ...local("client", 2, { outboundPort: 15001, adminPort: 15000 }, [port("grpc", "grpc", 9090, 9090)]), proxyless: true },
    ),
    expect: [],
  },
]);

test("MESH0204 message names both sockets and the host", () => {
  const ir = mesh(
    local("web", 1, { outboundPort: 15001, adminPort: 15000 }, [port("http", "http", 8080, 3000)]),
    local("catalog", 7, { outboundPort: 15011, adminPort: 15000 }, [port("http", "http", 8081, 3001)]),
  );
  assert.equal(
    messageOf(ir, "MESH0204").message,
    'Port 15000 is bound twice on host "127.0.0.1": by the admin listener of "web" (127.0.0.1) and by the admin listener of "catalog" (127.0.0.1).',
  );
});

// The Prometheus listener binds <inboundAddress>:<metrics port> on every sidecar with metrics on; the mesh-wide
// default gives every sidecar the same port, so two sidecars on one host clash (Envoy: "Address already in use").
const MESH_SOURCE = at(2, 16);
const meshWideMetrics = { source: MESH_SOURCE, metrics: { port: 15090, path: "/stats/prometheus" } };
const onHost = (name: string, line: number, address: string, portNumber: number, extra: Parameters<typeof service>[1] = {}) =>
  service(name, {
    source: at(line, 8),
    ports: [port("http", "http", portNumber, portNumber - 5000)],
    instances: { kind: "static", endpoints: [endpoint(address, portNumber)] },
    telemetry: meshWideMetrics,
    ...extra,
  });
const withMeshSource = (ir: ReturnType<typeof mesh>) => ({ ...ir, source: MESH_SOURCE });

table(test, "MESH0204", [
  {
    name: "metrics on two sidecars on different hosts",
    ir: withMeshSource(mesh(onHost("api", 3, "10.0.0.1", 8080), onHost("web", 4, "10.0.0.2", 8081))),
    expect: [],
  },
  {
    name: "the mesh-wide metrics port on two sidecars on one host: at the later service's declaration",
    ir: withMeshSource(mesh(onHost("api", 3, "10.0.0.1", 8080), onHost("web", 4, "10.0.0.1", 8081))),
    expect: [{ severity: "error", path: ["services", "web", "telemetry", "metrics", "port"], line: 4, column: 8 }],
  },
  {
    name: "a service's own mesh.telemetry() metrics port on another's: at that call",
    ir: withMeshSource(
      mesh(
        onHost("api", 3, "10.0.0.1", 8080, { telemetry: { source: at(9, 3), metrics: { port: 15090, path: "/stats/prometheus" } } }),
        onHost("web", 4, "10.0.0.1", 8081, { telemetry: { source: at(10, 3), metrics: { port: 15090, path: "/stats/prometheus" } } }),
      ),
    ),
    expect: [{ severity: "error", path: ["services", "web", "telemetry", "metrics", "port"], line: 10, column: 3 }],
  },
  {
    name: "one sidecar with its own metrics port",
    ir: withMeshSource(
      mesh(onHost("api", 3, "10.0.0.1", 8080), onHost("web", 4, "10.0.0.1", 8081, { telemetry: { source: at(10, 3), metrics: { port: 15091, path: "/stats/prometheus" } } })),
    ),
    expect: [],
  },
  {
    name: "a later service's inbound port on an earlier sidecar's metrics listener",
    ir: withMeshSource(mesh(onHost("api", 3, "10.0.0.1", 8080), onHost("web", 4, "10.0.0.1", 15090, { telemetry: undefined }))),
    expect: [{ severity: "error", path: ["services", "web", "ports", 0, "port"], line: 4, column: 8 }],
  },
  {
    name: "metrics listeners on two distinct inbound addresses of one host do not overlap",
    ir: withMeshSource(
      mesh(
        onHost("api", 3, "10.0.0.1", 8080, { sidecar: { inboundAddress: "10.0.0.1" } }),
        onHost("web", 4, "10.0.0.1", 8081, { sidecar: { inboundAddress: "10.0.0.11" } }),
      ),
    ),
    expect: [],
  },
  {
    name: "a gateway serves no metrics listener",
    ir: withMeshSource(
      mesh(onHost("api", 3, "10.0.0.1", 8080), onHost("edge", 4, "10.0.0.1", 8081, { gateway: { listeners: [{ port: "http", protocol: "http", hosts: ["a.example"] }] } as never })),
    ),
    expect: [],
  },
  {
    name: "metrics port on the sidecar's own admin port is MESH0603 only",
    ir: withMeshSource(mesh(onHost("api", 3, "10.0.0.1", 8080, { sidecar: { adminPort: 15090 } }))),
    expect: [],
  },
]);

test("MESH0204 for two metrics listeners names them and says how to give one sidecar its own port", () => {
  const d = messageOf(withMeshSource(mesh(onHost("api", 3, "10.0.0.1", 8080), onHost("web", 4, "10.0.0.1", 8081))), "MESH0204");
  assert.equal(d.message, 'Port 15090 is bound twice on host "10.0.0.1": by the metrics listener of "api" (0.0.0.0) and by the metrics listener of "web" (0.0.0.0).');
  assert.match(d.hint, /mesh\.telemetry\(web, \{ metrics: \{ port: 15091 \} \}\)/);
});

test("MESH0204 for other sockets keeps its general hint", () => {
  const ir = mesh(
    local("web", 1, { outboundPort: 15001, adminPort: 15000 }, [port("http", "http", 8080, 3000)]),
    local("catalog", 7, { outboundPort: 15011, adminPort: 15000 }, [port("http", "http", 8081, 3001)]),
  );
  assert.equal(messageOf(ir, "MESH0204").hint, "Give one of them another port (every sidecar port is settable per service), or run the services on different hosts.");
});

table(test, "MESH0207", [
  { name: "app port behind a different inbound port", ir: mesh(service("web", { ports: [port("http", "http", 8080, 3000)] })), expect: [] },
  {
    name: "same number, but the inbound listener binds the instance address only",
    ir: mesh(service("web", { ports: [port("http", "http", 8080, 8080)], sidecar: { inboundAddress: "10.0.0.5" } })),
    expect: [],
  },
  {
    name: "app port equal to its inbound port on 0.0.0.0 (the front end's default when no app port is given)",
    ir: mesh(service("ledger", { source: at(3), ports: [{ ...port("db", "tcp", 5432, 5432), source: at(4, 20) }] })),
    expect: [{ severity: "error", path: ["services", "ledger", "ports", 0, "appPort"], line: 4, column: 20 }],
  },
  {
    name: "inbound bound to 127.0.0.1",
    ir: mesh(service("web", { source: at(3), ports: [port("http", "http", 8080, 8080)], sidecar: { inboundAddress: "127.0.0.1" } })),
    expect: [{ severity: "error", path: ["services", "web", "ports", 0, "appPort"], line: 3, column: 1 }],
  },
]);

test("MESH0207 explains the loop and how to declare an app port", () => {
  const { message, hint } = messageOf(mesh(service("ledger", { ports: [port("db", "tcp", 5432, 5432)] })), "MESH0207");
  assert.equal(
    message,
    'Port "db" of service "ledger" forwards to app port 5432 on 127.0.0.1, but the sidecar\'s inbound listener binds 0.0.0.0:5432 itself: requests would loop back into the sidecar.',
  );
  assert.match(hint, /tcp\(5432, \{ app: <port> \}\)/);
});

table(test, "MESH0205", [
  { name: "distinct subsets", ir: mesh(service("c", { instances: { kind: "static", endpoints: [endpoint("10.3.0.1", 8080, { v: "1" })] }, subsets: [{ name: "v1", labels: { v: "1" } }] })), expect: [] },
  {
    name: "subset name twice",
    ir: mesh(service("c", { source: at(4), instances: { kind: "static", endpoints: [endpoint("10.3.0.1", 8080, { v: "1" })] }, subsets: [{ name: "v1", labels: { v: "1" } }, { name: "v1", labels: {} }] })),
    expect: [{ severity: "error", path: ["services", "c", "subsets", 1], line: 4, column: 1 }],
  },
]);

table(test, "MESH0206", [
  { name: "distinct instances", ir: mesh(service("c", { instances: { kind: "static", endpoints: [endpoint("10.3.0.1"), endpoint("10.3.0.1", 8081)] } })), expect: [] },
  {
    name: "same address:port twice",
    ir: mesh(service("c", { source: at(2, 2), instances: { kind: "static", endpoints: [endpoint("10.3.0.1"), endpoint("10.3.0.2"), endpoint("10.3.0.1")] } })),
    expect: [{ severity: "error", path: ["services", "c", "instances", "endpoints", 2], line: 2, column: 2 }],
  },
]);

// A gateway's listeners are its ports, named `<protocol>-<port>`: two listeners of one protocol on one number made one
// port name, so MESH0203 never fired and the backend refused the second "gateway|8000" listener (MESH0901).
const gatewayWith = (listeners: { port: number; protocol: "http" | "https" }[]) => {
  const ports = [...new Map(listeners.map((l) => [`${l.protocol}-${l.port}`, port(`${l.protocol}-${l.port}`, "http", l.port, l.port)])).values()];
  return mesh(
    service("edge", {
      source: at(4, 21),
      ports,
      gateway: { listeners: listeners.map((l, i) => ({ port: `${l.protocol}-${l.port}`, protocol: l.protocol, hosts: [`h${i}.example`], ...(l.protocol === "https" && { tls: { certFile: "/c.pem", keyFile: "/k.pem" } }) })) },
    }),
  );
};
table(test, "MESH0203", [
  { name: "a gateway's listeners on distinct numbers", ir: gatewayWith([{ port: 8000, protocol: "http" }, { port: 8443, protocol: "https" }]), expect: [] },
  {
    name: "two http listeners on one number",
    ir: gatewayWith([{ port: 8000, protocol: "http" }, { port: 8443, protocol: "https" }, { port: 8000, protocol: "http" }]),
    expect: [{ severity: "error", path: ["services", "edge", "gateway", "listeners", 2, "port"], line: 4, column: 21 }],
  },
  {
    name: "http and https on one number: two ports, reported once",
    ir: gatewayWith([{ port: 8000, protocol: "http" }, { port: 8000, protocol: "https" }]),
    expect: [{ severity: "error", path: ["services", "edge", "ports", 1, "port"], line: 4, column: 21 }],
  },
]);

test("MESH0203 of two listeners names both and says to merge them", () => {
  assert.equal(
    messageOf(gatewayWith([{ port: 8000, protocol: "http" }, { port: 8000, protocol: "http" }]), "MESH0203").message,
    'Service "edge" uses port 8000 for both listener 1 and listener 2 (both http: list the hosts of both in one listener).',
  );
});
