// Idle-time preparation of a published snapshot (src/xds/prewarm.ts): every distinct resource's wire field is built
// once, in slices off the event loop's critical path, and a stopped walk builds nothing more. What is sent is
// unchanged (the same functions build the same cached bytes: test/xds/wire-serialize.test.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { prewarm } from "../../src/xds/prewarm.js";
import { serializeSotwResponse, wireStats } from "../../src/xds/wire.js";
import { cla, cluster, httpListener, mesh, proxy, routeConfig } from "./fixtures.js";

const tick = () => new Promise((r) => setImmediate(r));

function twoServices() {
  const shared = cluster("db");
  return mesh(
    proxy("a", [shared, cluster("api"), cla("db", [{ port: 1 }]), httpListener("in", 8080, "r"), routeConfig("r", [])]),
    proxy("b", [shared, cla("db", [{ port: 2 }]), httpListener("in", 8081, "r")]),
  );
}

test("prewarm: each distinct resource of the snapshot is wrapped once, ahead of any stream", async () => {
  const m = twoServices();
  const distinct = new Set([...m.proxies.values()].flatMap((p) => Object.values(p.resources).flat()));
  const before = wireStats.anyEncodes;
  prewarm(m);
  for (let i = 0; i < 100 && wireStats.anyEncodes - before < distinct.size; i++) await tick();
  for (let i = 0; i < 5; i++) await tick();
  assert.equal(wireStats.anyEncodes - before, distinct.size);
  // A response built afterwards wraps nothing again.
  const a = m.proxies.get("a")!;
  serializeSotwResponse({ versionInfo: "1", typeUrl: a.resources.cluster[0]!.typeUrl, nonce: "1", resources: a.resources.cluster });
  assert.equal(wireStats.anyEncodes - before, distinct.size);
});

test("prewarm: stopped before its first slice, it builds nothing", async () => {
  const m = twoServices();
  const before = wireStats.anyEncodes;
  prewarm(m)();
  for (let i = 0; i < 10; i++) await tick();
  assert.equal(wireStats.anyEncodes - before, 0);
});
