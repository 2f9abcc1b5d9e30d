// The snapshot messages of `meshc serve --workers` (src/serve/cluster/protocol.ts): a worker rebuilds exactly the
// primary's snapshot, variants included (instance and locality variants: before, the messages carried none, so a
// worker served every proxy its service's default); later messages carry only the services that changed and the
// resources the worker does not hold; a worker keeps the objects of services that did not change.
import assert from "node:assert/strict";
import { test } from "node:test";
import { serialize, deserialize } from "node:v8";
import { emptyHoldings, SnapshotDecoder, SnapshotEncoder, type SnapshotMessage } from "../../src/serve/cluster/protocol.js";
import type { MeshSnapshot, ProxySnapshot } from "../../src/snapshot/types.js";
import { PUSH_ORDER } from "../../src/snapshot/types.js";
import { translateCase } from "../backend/cases.js";
import { mesh, webProxy, proxy, cluster, cla } from "../xds/fixtures.js";

/** A snapshot as plain data (bytes as hex), so two snapshots compare by content. */
function plain(m: MeshSnapshot): unknown {
  const one = (p: ProxySnapshot): unknown => ({
    service: p.service,
    variant: p.variant,
    versions: p.versions,
    resources: PUSH_ORDER.map((k) => (p.resources[k] ?? []).map((r) => [r.typeUrl, r.name, r.hash, Buffer.from(r.bytes).toString("hex")])),
    variants: p.variants ? [...p.variants].map(([k, v]) => [k, one(v)]) : undefined,
  });
  return [...m.proxies].map(([s, p]) => [s, one(p)]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
}

/** Through the IPC channel's serialization, as the cluster module sends it. */
const wire = (m: SnapshotMessage): SnapshotMessage => deserialize(serialize(m)) as SnapshotMessage;

test("worker snapshots: a worker rebuilds the primary's snapshot, instance and locality variants included", () => {
  const { result } = translateCase("zones");
  const snap = result.snapshot;
  assert.ok([...snap.proxies.values()].some((p) => p.variants?.size), "the zones case has variants");
  const enc = new SnapshotEncoder();
  enc.index(snap);
  const got = new SnapshotDecoder().decode(wire(enc.message(1, emptyHoldings())));
  assert.deepEqual(plain(got), plain(snap));
  const batch = got.proxies.get("batch")!;
  assert.equal(batch.variants?.get("locality:eu,eu-b")?.variant, "locality:eu,eu-b");
  // One object per distinct resource in the worker too: a locality variant shares the default's clusters.
  assert.equal(batch.variants!.get("locality:eu,eu-b")!.resources.cluster[0], batch.resources.cluster[0]);
});

test("worker snapshots: only changed services and resources new to the worker travel; unchanged services keep their objects", () => {
  const other = (body: string) => proxy("api", [cluster("db"), cla("db", [{ port: 19100 }]), ...webProxy({ body }).resources.route.map((r) => r)]);
  const m1 = mesh(webProxy({ body: "v1" }), other("a"));
  const enc = new SnapshotEncoder();
  const held = emptyHoldings();
  const dec = new SnapshotDecoder();
  enc.index(m1);
  const first = wire(enc.message(1, held));
  assert.equal(first.proxies.length, 2);
  const s1 = dec.decode(first);
  assert.deepEqual(plain(s1), plain(m1));

  // web's route changes (new objects for web; api's snapshot object is the same).
  const m2 = mesh(webProxy({ body: "v2" }), m1.proxies.get("api")!);
  enc.index(m2);
  const second = wire(enc.message(2, held));
  assert.deepEqual(second.proxies.map((p) => p[0]), ["web"], "only web travels");
  assert.deepEqual(second.resources.map((r) => r[1]), ["web-routes"], "only the new route configuration's bytes travel");
  assert.deepEqual(second.removed, []);
  const s2 = dec.decode(second);
  assert.deepEqual(plain(s2), plain(m2));
  assert.equal(s2.proxies.get("api"), s1.proxies.get("api"), "the unchanged service keeps its snapshot object");
  // The clusters web kept are the worker's objects from before (the Any wrappers cached on them stay valid).
  assert.equal(s2.proxies.get("web")!.resources.cluster[0], s1.proxies.get("web")!.resources.cluster[0]);

  // Same content in new objects (a recompile): nothing travels.
  const m3 = mesh(webProxy({ body: "v2" }), other("a"));
  enc.index(m3);
  const third = wire(enc.message(3, held));
  assert.deepEqual([third.proxies.length, third.resources.length, third.removed.length], [0, 0, 0]);
  assert.deepEqual(plain(dec.decode(third)), plain(m3));

  // api leaves: removed; its resources are dropped by the worker, and travel again when api comes back.
  const m4 = mesh(m3.proxies.get("web")!);
  enc.index(m4);
  const fourth = wire(enc.message(4, held));
  assert.deepEqual(fourth.removed, ["api"]);
  assert.deepEqual(plain(dec.decode(fourth)), plain(m4));
  const m5 = mesh(m3.proxies.get("web")!, other("a"));
  enc.index(m5);
  const fifth = wire(enc.message(5, held));
  assert.deepEqual(fifth.proxies.map((p) => p[0]), ["api"]);
  assert.ok(fifth.resources.some((r) => r[1] === "db"), "api's resources travel again");
  assert.deepEqual(plain(dec.decode(fifth)), plain(m5));

  // A restarted worker (nothing held) gets the whole snapshot.
  const fresh = wire(enc.message(6, emptyHoldings()));
  assert.equal(fresh.proxies.length, 2);
  assert.deepEqual(plain(new SnapshotDecoder().decode(fresh)), plain(m5));
});
