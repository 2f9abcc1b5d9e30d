// 01xx: references between services, subsets, instances and localities.
import assert from "node:assert/strict";
import { test } from "node:test";
import { at, backend, endpoint, mesh, messageOf, route, service, table, withoutInstances } from "./ir-fixtures.js";

const catalogWithSubsets = () =>
  service("catalog", {
    source: at(3, 3),
    subsets: [
      { name: "v1", labels: { version: "v1" } },
      { name: "v2", labels: { version: "v2" } },
    ],
    instances: {
      kind: "static",
      endpoints: [endpoint("10.1.0.1", 8080, { version: "v1" }), endpoint("10.1.0.2", 8080, { version: "v2" })],
    },
  });

table(test, "MESH0101", [
  {
    name: "backends and mirror name declared services",
    ir: mesh(
      service("catalog", { routes: [route("catalog-0", { to: [backend("catalog", 90), backend("search", 10)], forward: { mirror: { service: "search", percent: 5 } } })] }),
      service("search"),
    ),
    expect: [],
  },
  {
    name: "route backend with a typo",
    ir: mesh(service("catalog", { source: at(2), routes: [route("catalog-0", { to: [backend("ctalog")], source: at(7, 5) })] })),
    expect: [{ severity: "error", path: ["services", "catalog", "routes", 0, "action", "backends", 0, "service"], line: 7, column: 5 }],
  },
  {
    name: "mirror target missing",
    ir: mesh(service("catalog", { routes: [route("catalog-0", { forward: { mirror: { service: "shadow", percent: 10 } }, source: at(9, 7) })] })),
    expect: [{ severity: "error", path: ["services", "catalog", "routes", 0, "action", "mirror", "service"], line: 9, column: 7 }],
  },
  {
    name: "TCP route backend missing (falls back to the service's location)",
    ir: mesh(service("ledger", { source: at(4, 2), ports: [{ name: "db", protocol: "tcp", port: 5432, appPort: 15432, mtls: "off" }], tcpRoute: { backends: [backend("ledgr")] } })),
    expect: [{ severity: "error", path: ["services", "ledger", "tcpRoute", "backends", 0, "service"], line: 4, column: 2 }],
  },
]);

test("MESH0101 message quotes the name and suggests the closest service", () => {
  const ir = mesh(service("catalog", { routes: [route("catalog-0", { to: [backend("ctalog")] })] }), service("cart"));
  const { message, hint } = messageOf(ir, "MESH0101");
  assert.equal(message, 'Unknown service "ctalog" in route "catalog-0". Did you mean "catalog"?');
  assert.match(hint, /Declare service "ctalog"/);
});

test("MESH0101 gives no suggestion when nothing is close", () => {
  const ir = mesh(service("catalog", { routes: [route("catalog-0", { to: [backend("zzzzzz")] })] }));
  assert.equal(messageOf(ir, "MESH0101").message, 'Unknown service "zzzzzz" in route "catalog-0".');
});

table(test, "MESH0102", [
  {
    name: "declared subsets",
    ir: mesh(
      {
        ...catalogWithSubsets(),
        routes: [route("catalog-0", { to: [backend("catalog", 90, "v1"), backend("catalog", 10, "v2")], forward: { mirror: { service: "catalog", subset: "v2", percent: 1 } } })],
      },
    ),
    expect: [],
  },
  {
    name: "backend subset not declared",
    ir: mesh({ ...catalogWithSubsets(), routes: [route("catalog-0", { to: [backend("catalog", 100, "v3")], source: at(12, 9) })] }),
    expect: [{ severity: "error", path: ["services", "catalog", "routes", 0, "action", "backends", 0, "subset"], line: 12, column: 9 }],
  },
  {
    name: "mirror subset not declared on another service",
    ir: mesh(
      service("web", { routes: [route("web-0", { forward: { mirror: { service: "catalog", subset: "canary", percent: 5 } }, source: at(20, 1) })] }),
      catalogWithSubsets(),
    ),
    expect: [{ severity: "error", path: ["services", "web", "routes", 0, "action", "mirror", "subset"], line: 20, column: 1 }],
  },
]);

test("MESH0102 message lists the declared subsets and suggests one", () => {
  const ir = mesh({ ...catalogWithSubsets(), routes: [route("catalog-0", { to: [backend("catalog", 100, "v3")] })] });
  const { message, hint } = messageOf(ir, "MESH0102");
  assert.equal(message, 'Unknown subset "v3" of service "catalog" in route "catalog-0". Did you mean "v1"?');
  assert.match(hint, /declared: "v1" and "v2"/);
});

table(test, "MESH0103", [
  {
    name: "calls name declared services",
    ir: mesh(service("web", { calls: ["catalog"] }), service("catalog")),
    expect: [],
  },
  {
    name: "call to a missing service",
    ir: mesh(service("web", { source: at(30, 3), calls: ["catalog", "payment"] }), service("catalog"), service("payments")),
    expect: [{ severity: "error", path: ["services", "web", "calls", 1], line: 30, column: 3 }],
  },
  {
    name: "a dangling route target copied into callers' calls is reported at the route only",
    ir: mesh(
      service("web", { source: at(1), calls: ["catalog", "ctalog"] }),
      service("catalog", { source: at(2), routes: [route("catalog-0", { to: [backend("ctalog")] })] }),
    ),
    expect: [],
  },
]);

test("MESH0103 suggests the closest name", () => {
  const ir = mesh(service("web", { calls: ["payment"] }), service("payments"));
  assert.equal(messageOf(ir, "MESH0103").message, 'Service "web" calls unknown service "payment". Did you mean "payments"?');
});

table(test, "MESH0104", [
  { name: "every subset selects an instance", ir: mesh(catalogWithSubsets()), expect: [] },
  {
    name: "an empty subset selects everything",
    ir: mesh({ ...catalogWithSubsets(), subsets: [{ name: "all", labels: {} }] }),
    expect: [],
  },
  {
    name: "labels no instance has",
    ir: mesh({ ...catalogWithSubsets(), subsets: [{ name: "v1", labels: { version: "v1" } }, { name: "v3", labels: { version: "v3" } }] }),
    expect: [{ severity: "error", path: ["services", "catalog", "subsets", 1], line: 3, column: 3 }],
  },
  {
    name: "a subset needs all its labels on one instance",
    ir: mesh({ ...catalogWithSubsets(), subsets: [{ name: "v1eu", labels: { version: "v1", region: "eu" } }] }),
    expect: [{ severity: "error", path: ["services", "catalog", "subsets", 0], line: 3, column: 3 }],
  },
  {
    name: "a subset of a service with no instances",
    ir: mesh(withoutInstances(service("batch", { source: at(8), subsets: [{ name: "v1", labels: { version: "v1" } }] }))),
    expect: [{ severity: "error", path: ["services", "batch", "subsets", 0], line: 8, column: 1 }],
  },
]);

test("MESH0104 message quotes the labels", () => {
  const ir = mesh({ ...catalogWithSubsets(), subsets: [{ name: "v3", labels: { version: "v3" } }] });
  assert.equal(messageOf(ir, "MESH0104").message, 'Subset "v3" of service "catalog" selects no instance: none has the labels {version: "v3"}.');
});

const dnsCatalog = (subsets: { name: string; labels: Record<string, string> }[]) =>
  service("catalog", { source: at(5, 3), instances: { kind: "dns", hostname: "catalog.internal", ports: { http: 8080 } }, subsets });

table(test, "MESH0105", [
  { name: "DNS service without subsets", ir: mesh(dnsCatalog([])), expect: [] },
  { name: "label-less subset of a DNS service is the whole service", ir: mesh(dnsCatalog([{ name: "all", labels: {} }])), expect: [] },
  {
    name: "labelled subsets of a DNS service",
    ir: mesh(dnsCatalog([{ name: "v1", labels: { version: "v1" } }, { name: "v2", labels: { version: "v2" } }])),
    expect: [
      { severity: "error", path: ["services", "catalog", "subsets", 0], line: 5, column: 3 },
      { severity: "error", path: ["services", "catalog", "subsets", 1], line: 5, column: 3 },
    ],
  },
]);

table(test, "MESH0106", [
  { name: "no self call", ir: mesh(service("web", { calls: ["catalog"] }), service("catalog")), expect: [] },
  {
    name: "service calls itself",
    ir: mesh(service("worker", { source: at(6, 4), calls: ["queue", "worker"] }), service("queue")),
    expect: [{ severity: "warning", path: ["services", "worker", "calls", 1], line: 6, column: 4 }],
  },
  {
    name: "itself as the route target of a called service is not a declared self call",
    ir: mesh(
      service("web", { calls: ["api", "web"] }),
      service("api", { routes: [route("api-0", { to: [backend("api", 50), backend("web", 50)] })] }),
    ),
    expect: [],
  },
]);

const zoned = (failover: string[]) =>
  service("payments", {
    source: at(11, 3),
    instances: {
      kind: "static",
      endpoints: [
        endpoint("10.2.0.1", 8080, {}, { locality: { region: "eu", zone: "eu-1a" } }),
        endpoint("10.2.0.2", 8080, {}, { locality: { region: "eu", zone: "eu-1b", subZone: "rack-3" } }),
      ],
    },
    policy: { localityFailover: failover },
  });

table(test, "MESH0107", [
  { name: "zones, regions and sub-zones the instances declare", ir: mesh(zoned(["eu-1a", "eu-1b", "eu", "rack-3"])), expect: [] },
  {
    name: "a zone no instance is in",
    ir: mesh(zoned(["eu-1a", "us-1a"])),
    expect: [{ severity: "warning", path: ["services", "payments", "policy", "localityFailover", 1], line: 11, column: 3 }],
  },
  { name: "region/zone and region/zone/subZone paths the instances declare", ir: mesh(zoned(["eu/eu-1b/rack-3", "eu/eu-1a"])), expect: [] },
  {
    name: "a path whose zone is in another region, or whose sub-zone is in another zone",
    ir: mesh(zoned(["us/eu-1a", "eu/eu-1a/rack-3", "eu/eu-1b"])),
    expect: [
      { severity: "warning", path: ["services", "payments", "policy", "localityFailover", 0], line: 11, column: 3 },
      { severity: "warning", path: ["services", "payments", "policy", "localityFailover", 1], line: 11, column: 3 },
    ],
  },
  {
    name: "failover on a DNS service (no localities)",
    ir: mesh(service("ext", { source: at(2), instances: { kind: "dns", hostname: "ext.example", ports: { http: 443 } }, policy: { localityFailover: ["eu"] } })),
    expect: [{ severity: "warning", path: ["services", "ext", "policy", "localityFailover", 0], line: 2, column: 1 }],
  },
]);

const spread = (failover: string[]) =>
  service("api", {
    source: at(13, 3),
    instances: {
      kind: "static",
      endpoints: [
        endpoint("10.3.0.1", 8080, {}, { locality: { region: "eu", zone: "eu-a", subZone: "rack1" } }),
        endpoint("10.3.0.2", 8080, {}, { locality: { region: "us", zone: "a" } }),
        endpoint("10.3.0.3", 8080, {}, { locality: { region: "ap", zone: "a" } }),
        endpoint("10.3.0.4", 8080, {}, { locality: { region: "a", zone: "rack1" } }),
      ],
    },
    policy: { localityFailover: failover },
  });

table(test, "MESH0807", [
  { name: "names that denote one locality, and paths", ir: mesh(spread(["eu-a", "ap", "us/a", "ap/a", "eu/eu-a/rack1"])), expect: [] },
  {
    name: "a zone name of two regions, a name used as a region and a zone, a sub-zone name also a zone",
    ir: mesh(spread(["eu", "a", "rack1"])),
    expect: [
      { severity: "warning", path: ["services", "api", "policy", "localityFailover", 1], line: 13, column: 3 },
      { severity: "warning", path: ["services", "api", "policy", "localityFailover", 2], line: 13, column: 3 },
    ],
  },
]);

test("MESH0807 lists the localities a name denotes and suggests a path", () => {
  const { message, hint } = messageOf(mesh(spread(["a"])), "MESH0807");
  assert.match(message, /"a" of service "api" names 3 localities \("a", "ap\/a" and "us\/a"\)/);
  assert.match(hint, /"region\/zone"/);
});
