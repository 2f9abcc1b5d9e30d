// The DSL on its own: what evaluating it records (the model), brands, builders.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FIELD_SITES, MESH, SITE } from "../../src/dsl/brand.js";
import { defineMesh, defineService, dns, grpc, http, isMeshDefinition, tcp } from "../../src/dsl/index.js";

test("defineMesh returns plain, branded data; call sites ride on symbol keys only", () => {
  const model = defineMesh({ name: "m", trustDomain: "m.example" }, (mesh) => {
    mesh.service("a", { ports: { web: http(80, { app: 81 }) }, instances: dns("a.internal", 80) });
  });
  assert.ok(isMeshDefinition(model));
  assert.equal(model[MESH], true);
  const json = JSON.parse(JSON.stringify(model));
  assert.deepEqual(Object.keys(json).sort(), ["name", "orphans", "services", "trustDomain"]);
  assert.deepEqual(json.services[0].ports, { web: { protocol: "http", port: 80, app: 81 } });
  assert.deepEqual(json.services[0].instances, { dns: "a.internal", port: 80 });
  const site = model.services[0]![SITE]!;
  assert.ok(site.line > 0 && site.column > 0 && site.file.includes("dsl.test.ts"), JSON.stringify(site));
});

test("brands are registry symbols, so a model from another copy of the DSL is recognised", () => {
  assert.ok(isMeshDefinition({ [Symbol.for("meshc.Mesh")]: true }));
  assert.ok(!isMeshDefinition({ name: "x" }));
  assert.ok(!isMeshDefinition(null));
});

test("references become names; calls from the option and mesh.calls() accumulate; duplicates stay", () => {
  const model = defineMesh({ name: "m", trustDomain: "m.example" }, (mesh) => {
    const a = mesh.service("a", { ports: { web: http(80) }, instances: [], subsets: { v1: { v: "1" } } });
    const b = mesh.service("b", { ports: { web: http(80) }, instances: [], calls: [a] });
    mesh.service("a", { ports: { web: http(81) }, instances: [] });
    mesh.calls(b, [b]);
    mesh.calls(a, [b]);
    mesh.routes(a, (r) => [r.match().split([[a.subset("v1"), 60], [b, 40]])]);
  });
  assert.deepEqual(
    model.services.map((s) => [s.name, s.calls]),
    [
      ["a", [{ service: "b" }]],
      ["b", [{ service: "a" }, { service: "b" }]],
      ["a", []],
    ],
  );
  assert.deepEqual(JSON.parse(JSON.stringify(model.services[0]!.routes[0]!.actions)), [
    {
      kind: "forward",
      backends: [
        { target: { service: "a", subset: "v1" }, weight: 60 },
        { target: { service: "b" }, weight: 40 },
      ],
    },
  ]);
  assert.equal(model.services[2]!.routes.length, 0, "routes attach to the declaration the reference names");
});

test("route builders are immutable: a partial route can be reused", () => {
  const model = defineMesh({ name: "m", trustDomain: "m.example" }, (mesh) => {
    const a = mesh.service("a", { ports: { web: http(80) }, instances: [] });
    const b = mesh.service("b", { ports: { web: http(80) }, instances: [] });
    mesh.routes(a, (r) => {
      const base = r.match({ path: { prefix: "/x" } }).requestHeaders({ add: { k: "v" } });
      return [base.to(a).timeout("1s"), base.to(b), base.requestHeaders({ remove: ["z"] }).respond(204)];
    });
  });
  const routes = model.services[0]!.routes;
  assert.equal(routes.length, 3);
  assert.deepEqual(routes.map((r) => r.actions.length), [1, 1, 1]);
  assert.deepEqual(routes.map((r) => r.timeout), ["1s", undefined, undefined]);
  assert.deepEqual(routes.map((r) => r.requestHeaders.length), [1, 1, 2]);
  assert.ok(routes[0]![FIELD_SITES]!.timeout, "modifier calls record their own sites");
  assert.equal(routes[1]![FIELD_SITES]!.timeout, undefined);
});

test("routes, policies and TCP routes for one service accumulate in call order", () => {
  const model = defineMesh({ name: "m", trustDomain: "m.example" }, (mesh) => {
    const db = mesh.service("db", { ports: { sql: tcp(5432) }, instances: [] });
    mesh.policy(db, { connectTimeout: "1s" });
    mesh.policy(db, { idleTimeout: "1m" });
    mesh.tcpRoute(db, { idleTimeout: "1m" });
    mesh.tcpRoute(db, { split: [[db, 100]] });
  });
  const db = model.services[0]!;
  assert.deepEqual(JSON.parse(JSON.stringify(db.policies)), [{ connectTimeout: "1s" }, { idleTimeout: "1m" }]);
  assert.deepEqual(JSON.parse(JSON.stringify(db.tcpRoutes)), [{ idleTimeout: "1m" }, { split: [{ target: { service: "db" }, weight: 100 }] }]);
});

test("defineService refs join with mesh.add; settings for services outside the mesh become orphans", () => {
  const inside = defineService("inside", { ports: { rpc: grpc(9090) }, instances: [] });
  const outside = defineService("outside", { ports: { rpc: grpc(9090) }, instances: [] });
  const model = defineMesh({ name: "m", trustDomain: "m.example" }, (mesh) => {
    mesh.add(inside);
    mesh.routes(inside, (r) => [r.match().to(outside)]);
    mesh.policy(outside, { timeout: "1s" });
    mesh.routes(outside, (r) => [r.match().to(outside)]);
  });
  assert.deepEqual(model.services.map((s) => s.name), ["inside"]);
  assert.deepEqual(model.orphans.map((o) => [o.kind, o.service]), [
    ["policy", "outside"],
    ["routes", "outside"],
  ]);
});

test("values the types forbid are kept as given, for validation to report", () => {
  const model = defineMesh({ name: "m", trustDomain: "m.example" }, (mesh) => {
    const a = mesh.service("a", { ports: { web: http(80) }, instances: [], calls: ["b" as never], typo: true } as never);
    mesh.routes(a, () => [42 as never, { actions: [] } as never]);
  });
  const a = model.services[0]! as unknown as Record<string, unknown>;
  assert.deepEqual(a.calls, ["b"]);
  assert.equal(a.typo, true);
  assert.deepEqual(model.services[0]!.routes, [42, { actions: [] }]);
});

test("an async build returns a promise of the model; the builder refuses use after defineMesh returned", async () => {
  let leaked: Parameters<Parameters<typeof defineMesh>[1]>[0] | undefined;
  const model = await defineMesh({ name: "m", trustDomain: "m.example" }, async (mesh) => {
    await Promise.resolve();
    mesh.service("late", { ports: { web: http(80) }, instances: [] });
    leaked = mesh;
  });
  assert.deepEqual(model.services.map((s) => s.name), ["late"]);
  assert.throws(() => leaked!.service("x", { ports: {}, instances: [] }), /after defineMesh\(\) returned/);
});

test("mesh.routes() rejects a value that is not a service reference", () => {
  assert.throws(
    () => defineMesh({ name: "m", trustDomain: "m.example" }, (mesh) => mesh.routes("a" as never, () => [])),
    /expects a service reference/,
  );
});
