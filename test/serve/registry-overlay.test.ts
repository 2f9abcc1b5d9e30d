// The EDS overlay of `meshc serve` with a registry (issue 16), without etcd: entries are validated (bad JSON, bad
// ports, unknown keys, names as addresses are rejected and reported once), only the assignments of registry
// clusters change (every other resource is the base's own object), the result does not depend on the order the
// entries arrived in (what lets replicas agree without coordination), and subsets select entries by label.
import assert from "node:assert/strict";
import { test } from "node:test";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import { canonicalOf } from "../../src/backends/envoy/encode.js";
import type { MeshIR } from "../../src/ir/types.js";
import type { ProxySnapshot } from "../../src/snapshot/types.js";
import { EndpointOverlay, MAX_KEPT_REJECTIONS, MAX_LOGGED_REJECTIONS, MAX_REGISTRY_ENTRIES, MAX_REGISTRY_LOCALITIES, type Rejection } from "../../src/serve/registry-overlay.js";
import { endpoint, mesh, port, service, withoutInstances } from "../analysis/ir-fixtures.js";

const PREFIX = "/meshc/t";
function fixture(): MeshIR {
  const catalog = withoutInstances(
    service("catalog", { ports: [port("web", "http", 8080)], registry: { key: "catalog" }, subsets: [{ name: "v2", labels: { version: "v2" } }] }),
  );
  const web = service("web", { ports: [port("web", "http", 8081)], calls: ["catalog"] });
  const other = service("other", { ports: [port("web", "http", 8082)] });
  return { ...mesh(catalog, web, other), discovery: { kind: "etcd", endpoints: ["http://127.0.0.1:2379"], prefix: PREFIX } };
}
const entry = (id: string, v: object) => ({ key: `${PREFIX}/services/catalog/${id}`, value: Buffer.from(JSON.stringify(v)) });

function setup() {
  const ir = fixture();
  const base = translateMesh(ir);
  assert.deepEqual(base.issues, []);
  const rejected: Rejection[] = [];
  const overlay = new EndpointOverlay(PREFIX, { rejected: (r) => rejected.push(r), issue: (m) => assert.fail(m) });
  overlay.setIr(ir);
  return { ir, base: base.snapshot, overlay, rejected };
}

function addresses(snapshotProxy: ReturnType<typeof setup>["base"], proxy: string, cluster: string): string[] {
  const r = snapshotProxy.proxies.get(proxy)!.resources.endpoint.find((x) => x.name === cluster)!;
  const cla = canonicalOf("endpoint", r) as { endpoints?: { lb_endpoints: { endpoint: { address: { socket_address: { address: string; port_value: number } } } }[] }[] };
  return (cla.endpoints ?? []).flatMap((l) => l.lb_endpoints.map((e) => `${e.endpoint.address.socket_address.address}:${e.endpoint.address.socket_address.port_value}`));
}

test("registry entries become the endpoints of the service's clusters; subsets select them by label", () => {
  const { base, overlay } = setup();
  assert.deepEqual(addresses(base, "web", "outbound|8080||catalog"), [], "the build has no registry endpoints");
  overlay.reset([entry("b", { address: "10.0.0.2", port: 9000, labels: { version: "v2" } }), entry("a", { address: "10.0.0.1" })]);
  const out = overlay.apply(base);
  assert.deepEqual(addresses(out, "web", "outbound|8080||catalog"), ["10.0.0.1:8080", "10.0.0.2:9000"], "sorted by instance id; no port = the service port");
  assert.deepEqual(addresses(out, "web", "outbound|8080|v2|catalog"), ["10.0.0.2:9000"]);
});

test("only EDS changes, only for callers of the changed service, and unchanged proxies keep their objects", () => {
  const { base, overlay } = setup();
  overlay.reset([entry("a", { address: "10.0.0.1" })]);
  const one = overlay.apply(base);
  for (const kind of ["cluster", "listener", "route", "secret"] as const) assert.equal(one.proxies.get("web")!.versions[kind], base.proxies.get("web")!.versions[kind], kind);
  assert.notEqual(one.proxies.get("web")!.versions.endpoint, base.proxies.get("web")!.versions.endpoint);
  assert.equal(one.proxies.get("other"), base.proxies.get("other"), "a proxy that does not call catalog is the same object");
  assert.equal(overlay.apply(base).proxies.get("web"), one.proxies.get("web"), "no change: the cached proxy snapshot");
  overlay.put(entry("b", { address: "10.0.0.2" }).key, entry("b", { address: "10.0.0.2" }).value);
  const two = overlay.apply(base);
  assert.notEqual(two.proxies.get("web")!.versions.endpoint, one.proxies.get("web")!.versions.endpoint);
  overlay.delete(entry("b", {}).key);
  assert.equal(overlay.apply(base).proxies.get("web")!.versions.endpoint, one.proxies.get("web")!.versions.endpoint, "back to the same content: the same version");
});

test("the same entries in any order give the same versions (replicas agree without coordination)", () => {
  const entries = Array.from({ length: 20 }, (_, i) => entry(`i${i}`, { address: `10.0.1.${i}`, labels: { version: i % 2 ? "v2" : "v1" }, weight: 1 + (i % 3) }));
  const a = setup();
  a.overlay.reset(entries);
  const b = setup();
  for (const e of [...entries].reverse()) b.overlay.put(e.key, e.value);
  assert.deepEqual(a.overlay.apply(a.base).proxies.get("web")!.versions, b.overlay.apply(b.base).proxies.get("web")!.versions);
});

test("malformed entries are rejected with a reason, reported once, and never blank the service", () => {
  const { base, overlay, rejected } = setup();
  overlay.reset([
    entry("good", { address: "10.0.0.1" }),
    { key: `${PREFIX}/services/catalog/json`, value: Buffer.from("{nope") },
    entry("port", { address: "10.0.0.3", port: 70000 }),
    entry("name", { address: "catalog.internal" }),
    entry("extra", { address: "10.0.0.4", unknown: 1 }),
    entry("portname", { address: "10.0.0.5", ports: { admin: 9 } }),
    { key: `${PREFIX}/services/nosuch/x`, value: Buffer.from(JSON.stringify({ address: "10.0.0.6" })) },
    { key: `${PREFIX}/services/catalog/a/b`, value: Buffer.from("{}") },
    { key: `${PREFIX}/services/catalog/big`, value: Buffer.from(JSON.stringify({ address: "10.0.0.7", labels: { x: "y".repeat(5000) } })) },
    // JSON's escape gives a lone surrogate: text with no UTF-8 form.
    { key: `${PREFIX}/services/catalog/surrogate`, value: Buffer.from('{"address":"10.0.0.8","labels":{"version":"v2\\ud800"}}') },
  ]);
  assert.deepEqual(
    rejected.map((r) => [r.key.slice(PREFIX.length), r.reason]).sort(),
    [
      ["/services/catalog/a/b", "bad_key"],
      ["/services/catalog/big", "too_large"],
      ["/services/catalog/extra", "bad_entry"],
      ["/services/catalog/json", "bad_json"],
      ["/services/catalog/name", "bad_entry"],
      ["/services/catalog/port", "bad_port"],
      ["/services/catalog/portname", "bad_port"],
      ["/services/catalog/surrogate", "bad_entry"],
      ["/services/nosuch/x", "unknown_service"],
    ],
  );
  assert.deepEqual(addresses(overlay.apply(base), "web", "outbound|8080||catalog"), ["10.0.0.1:8080"]);
  assert.deepEqual(overlay.counts(), { entries: 1, rejected: 9 });
  const n = rejected.length;
  overlay.reset([entry("good", { address: "10.0.0.1" }), { key: `${PREFIX}/services/catalog/json`, value: Buffer.from("{nope") }]);
  assert.equal(rejected.length, n, "a relist does not report the same rejection again");
  overlay.put(`${PREFIX}/services/catalog/json`, Buffer.from(JSON.stringify({ address: "10.0.0.9" })));
  assert.deepEqual(addresses(overlay.apply(base), "web", "outbound|8080||catalog"), ["10.0.0.1:8080", "10.0.0.9:8080"], "a fixed entry is used");
});

test("a service whose instances come from the registry gets a locality variant per locality of its entries (issue 13's variants)", () => {
  // catalog: static, one instance in each of zones a and b, failover a -> b. web: instances only from the registry.
  const catalog = service("catalog", {
    ports: [port("web", "http", 8080)],
    instances: { kind: "static", endpoints: [endpoint("10.0.0.1", 8080, {}, { locality: { region: "r", zone: "a" } }), endpoint("10.0.0.2", 8080, {}, { locality: { region: "r", zone: "b" } })] },
    policy: { localityFailover: ["a", "b"] },
  });
  const web = withoutInstances(service("web", { ports: [port("web", "http", 8081)], registry: { key: "web" }, calls: ["catalog"] }));
  const ir: MeshIR = { ...mesh(catalog, web), discovery: { kind: "etcd", endpoints: ["http://127.0.0.1:2379"], prefix: PREFIX } };
  const base = translateMesh(ir);
  assert.deepEqual(base.issues, []);
  assert.equal(base.snapshot.proxies.get("web")!.variants, undefined, "the compiler sees no web instance, so no variant");
  const overlay = new EndpointOverlay(PREFIX, { rejected: (r) => assert.fail(r.problem), issue: (m) => assert.fail(m) });
  overlay.setIr(ir);
  const webEntry = (id: string, zone: string) => ({ key: `${PREFIX}/services/web/${id}`, value: Buffer.from(JSON.stringify({ address: `10.1.0.${id}`, locality: { region: "r", zone } })) });

  // One locality, the failover list's first: the default already is its view, no variant.
  overlay.reset([webEntry("2", "a")]);
  assert.equal(overlay.apply(base.snapshot).proxies.get("web")!.variants, undefined);
  // One locality that is not: the compiler's default (made without any web instance) would send zone b to zone a.
  overlay.reset([webEntry("1", "b")]);
  assert.deepEqual([...(overlay.apply(base.snapshot).proxies.get("web")!.variants?.keys() ?? [])], ["locality:r,b"]);

  // Two: each locality's proxies prefer their own zone's catalog endpoints.
  overlay.reset([webEntry("1", "b"), webEntry("2", "a")]);
  const web2 = overlay.apply(base.snapshot).proxies.get("web")!;
  assert.deepEqual([...(web2.variants?.keys() ?? [])], ["locality:r,b"], "zone a's view is the default's");
  const priorities = (p: typeof web2) => {
    const cla = canonicalOf("endpoint", p.resources.endpoint.find((x) => x.name === "outbound|8080||catalog")!) as { endpoints: { priority?: number; locality?: { zone?: string } }[] };
    return Object.fromEntries(cla.endpoints.map((l) => [l.locality?.zone, l.priority ?? 0]));
  };
  assert.deepEqual(priorities(web2.variants!.get("locality:r,b")!), { a: 1, b: 0 });
  assert.deepEqual(priorities(web2), { a: 0, b: 1 }, "the default follows the failover list");
  // Everything but EDS is the default's own objects.
  const b = web2.variants!.get("locality:r,b")!.resources;
  assert.ok(b.cluster.length > 0 && b.cluster.every((r, i) => r === web2.resources.cluster[i]) && b.listener.every((r, i) => r === web2.resources.listener[i]));
  // Same entries, same snapshot objects (cached); the zone-b entry leaving drops the variants.
  assert.equal(overlay.apply(base.snapshot).proxies.get("web"), web2);
  overlay.delete(`${PREFIX}/services/web/1`);
  assert.equal(overlay.apply(base.snapshot).proxies.get("web")!.variants, undefined);
});

test("distinct localities per registry service are bounded: entries beyond them are rejected, not one more variant each", () => {
  // catalog calls store, which fails over by locality: every catalog locality is a catalog proxy variant with its own
  // copy of store's assignment. Unbounded, N entries in N zones made N variants of N endpoints each (quadratic).
  const N = 200;
  const store = withoutInstances(service("store", { ports: [port("web", "http", 8080)], registry: { key: "store" }, policy: { localityFailover: ["z0"] } }));
  const catalog = withoutInstances(service("catalog", { ports: [port("web", "http", 8081)], registry: { key: "catalog" }, calls: ["store"] }));
  const ir: MeshIR = { ...mesh(store, catalog), discovery: { kind: "etcd", endpoints: ["http://127.0.0.1:2379"], prefix: PREFIX } };
  const base = translateMesh(ir);
  assert.deepEqual(base.issues, []);
  const rejected: Rejection[] = [];
  const overlay = new EndpointOverlay(PREFIX, { rejected: (r) => rejected.push(r), issue: (m) => assert.fail(m) });
  overlay.setIr(ir);
  const zoned = (key: string, i: number) => ({ key: `${PREFIX}/services/${key}/i${String(i).padStart(4, "0")}`, value: Buffer.from(JSON.stringify({ address: `10.${key === "store" ? 1 : 2}.${i >> 8}.${i & 255}`, locality: { region: "eu", zone: `z${i}` } })) });
  overlay.reset([...Array.from({ length: N }, (_, i) => zoned("store", i)), ...Array.from({ length: N }, (_, i) => zoned("catalog", i))]);
  const out = overlay.apply(base.snapshot);
  const variants = out.proxies.get("catalog")!.variants;
  assert.ok((variants?.size ?? 0) <= MAX_REGISTRY_LOCALITIES, `${variants?.size} variants of catalog (at most ${MAX_REGISTRY_LOCALITIES})`);
  assert.equal(rejected.filter((r) => r.reason === "too_many_localities").length, 2 * (N - MAX_REGISTRY_LOCALITIES), "the entries beyond the bound are rejected");
  assert.match(rejected.find((r) => r.reason === "too_many_localities")!.problem, /already in 64 localities/);
  assert.equal(overlay.counts().entries, 2 * MAX_REGISTRY_LOCALITIES);
  const storeEndpoints = (p: ProxySnapshot) => {
    const cla = canonicalOf("endpoint", p.resources.endpoint.find((x) => x.name === "outbound|8080||store")!) as { endpoints?: { lb_endpoints: unknown[] }[] };
    return (cla.endpoints ?? []).reduce((n, l) => n + l.lb_endpoints.length, 0);
  };
  let copies = storeEndpoints(out.proxies.get("catalog")!);
  for (const v of variants?.values() ?? []) copies += storeEndpoints(v);
  assert.ok(copies <= (MAX_REGISTRY_LOCALITIES + 1) * MAX_REGISTRY_LOCALITIES, `${copies} store endpoints across catalog's variants`);

  // Admitted in key order (the first 64 zones); a locality that empties admits the next rejected entry.
  assert.ok(variants?.has("locality:eu,z1") && !variants.has("locality:eu,z64"));
  overlay.delete(zoned("catalog", 1).key);
  const after = overlay.apply(base.snapshot).proxies.get("catalog")!.variants!;
  assert.ok(!after.has("locality:eu,z1") && after.has("locality:eu,z64"), "z64 takes the freed place");
  assert.equal(overlay.counts().entries, 2 * MAX_REGISTRY_LOCALITIES);
});

// 64 catalog entries each in its own zone (z00..z63, all admitted) and one in a 65th zone (waiting).
function atLocalityBound() {
  const s = setup();
  const zoned = (id: string, zone: string, address: string) => entry(id, { address, locality: { region: "r", zone } });
  const entries = Array.from({ length: MAX_REGISTRY_LOCALITIES }, (_, i) => zoned(`i${String(i).padStart(2, "0")}`, `z${i}`, `10.0.1.${i + 1}`));
  s.overlay.reset([...entries, zoned("i99", "z99", "10.0.2.99")]);
  return { ...s, zoned, entries };
}
const rejectedKeys = (rejected: Rejection[], reason: string) => rejected.filter((r) => r.reason === reason).map((r) => r.key.slice(`${PREFIX}/services/catalog/`.length));

test("an admitted entry re-written in its locality keeps its place; a waiting one is admitted only when a locality really empties", () => {
  const { base, overlay, rejected, zoned, entries } = atLocalityBound();
  assert.deepEqual(rejectedKeys(rejected, "too_many_localities"), ["i99"]);
  const served = () => addresses(overlay.apply(base), "web", "outbound|8080||catalog");
  const before = served();
  assert.ok(before.includes("10.0.1.1:8080") && !before.includes("10.0.2.99:8080"));

  // The same value again (a lease granted again, `meshc register` re-run): nothing changes.
  overlay.put(entries[0]!.key, entries[0]!.value);
  assert.deepEqual(served(), before, "i00 keeps its place; i99 still waits");
  assert.deepEqual(rejectedKeys(rejected, "too_many_localities"), ["i99"], "no new rejection");
  // A weight change in the same locality: still admitted.
  const heavier = Buffer.from(JSON.stringify({ address: "10.0.1.1", locality: { region: "r", zone: "z0" }, weight: 3 }));
  overlay.put(entries[0]!.key, heavier);
  assert.ok(served().includes("10.0.1.1:8080"));
  // A fresh list of the same entries (another replica) serves the same.
  const replica = atLocalityBound();
  replica.overlay.put(entries[0]!.key, heavier);
  assert.equal(replica.overlay.apply(replica.base).proxies.get("web")!.versions.endpoint, overlay.apply(base).proxies.get("web")!.versions.endpoint);

  // i01 moves into z2 (admitted): it keeps its place, and z1 empties: a slot really is freed, i99 takes it.
  overlay.put(entries[1]!.key, zoned("i01", "z2", "10.0.1.2").value);
  const after = served();
  assert.ok(after.includes("10.0.1.2:8080") && after.includes("10.0.2.99:8080"), "i01 moved, i99 admitted");
  assert.deepEqual(overlay.counts(), { entries: MAX_REGISTRY_LOCALITIES + 1, rejected: 0 });
  // i02 (not alone in z2 any more) moves to a 65th zone: no place for it.
  overlay.put(entries[2]!.key, zoned("i02", "z100", "10.0.1.3").value);
  assert.ok(!served().includes("10.0.1.3:8080"));
  assert.deepEqual(rejectedKeys(rejected, "too_many_localities"), ["i99", "i02"]);
});

test("entries the mesh cannot use (bad port, unknown key) take no locality place; an IR change judges them again", () => {
  const { ir, base, overlay, rejected } = setup();
  const zoned = (id: string, zone: string, extra: object = {}) => entry(id, { address: `10.0.3.${id.length}`, locality: { region: "r", zone }, ...extra });
  const good = Array.from({ length: MAX_REGISTRY_LOCALITIES - 1 }, (_, i) => entry(`g${String(i).padStart(2, "0")}`, { address: `10.0.1.${i + 1}`, locality: { region: "r", zone: `z${i}` } }));
  overlay.reset([...good, zoned("bad", "zbad", { ports: { nope: 1 } })]);
  overlay.put(`${PREFIX}/services/nosuch/x`, Buffer.from(JSON.stringify({ address: "10.0.4.1", locality: { region: "r", zone: "zunknown" } })));
  overlay.put(zoned("ok", "zok").key, zoned("ok", "zok").value);
  assert.deepEqual(rejectedKeys(rejected, "too_many_localities"), [], "63 localities are served: ok takes the 64th");
  assert.ok(addresses(overlay.apply(base), "web", "outbound|8080||catalog").includes("10.0.3.2:8080"));
  assert.deepEqual(overlay.counts(), { entries: MAX_REGISTRY_LOCALITIES, rejected: 2 });

  // The service gets a port "nope": the bad entry is usable now, but the 64 places are taken.
  const withNope: MeshIR = { ...ir, services: ir.services.map((s) => (s.name === "catalog" ? { ...s, ports: [...s.ports, port("nope", "http", 9)] } : s)) };
  overlay.setIr(withNope);
  assert.deepEqual(rejectedKeys(rejected, "too_many_localities"), ["bad"]);
  // ok leaves: its place goes to the waiting entry.
  overlay.delete(zoned("ok", "zok").key);
  assert.deepEqual(overlay.counts(), { entries: MAX_REGISTRY_LOCALITIES, rejected: 1 }, "bad is admitted, nosuch stays unknown");
  // Back to the mesh without "nope": bad is rejected again and gives its place up; ok comes back and gets it.
  overlay.setIr(ir);
  overlay.put(zoned("ok", "zok").key, zoned("ok", "zok").value);
  assert.ok(addresses(overlay.apply(base), "web", "outbound|8080||catalog").includes("10.0.3.2:8080"));
  assert.deepEqual(overlay.counts(), { entries: MAX_REGISTRY_LOCALITIES, rejected: 2 });
});

test("junk under the prefix takes no valid entry's place after a list, is counted but kept only up to a bound, and is logged in summary", () => {
  const { base } = setup();
  const logged: Rejection[] = [];
  const events: Rejection[] = [];
  const suppressed: [string, number][] = [];
  let clock = 0;
  const o2 = new EndpointOverlay(PREFIX, { rejected: (r, log) => (events.push(r), log !== false && logged.push(r)), suppressed: (reason, n) => suppressed.push([reason, n]), issue: (m) => assert.fail(m) }, () => clock);
  o2.setIr(fixture());
  const JUNK = MAX_REGISTRY_ENTRIES + 1;
  const junk = Array.from({ length: JUNK }, (_, i) => ({ key: `${PREFIX}/services/catalog/j${String(i).padStart(7, "0")}`, value: Buffer.from("x") }));
  const valid = entry("zz-valid", { address: "10.0.0.1" });
  o2.reset([...junk, valid]); // etcd lists in key order: the junk first
  assert.deepEqual(addresses(o2.apply(base), "web", "outbound|8080||catalog"), ["10.0.0.1:8080"], "the valid entry is served");
  assert.equal(events.filter((r) => r.key === valid.key).length, 0, "the valid entry is not rejected");
  assert.deepEqual(o2.counts(), { entries: 1, rejected: JUNK });
  const { byReason, kept } = o2.rejections();
  assert.deepEqual(byReason, { bad_json: JUNK });
  assert.ok(kept.length <= MAX_KEPT_REJECTIONS, `${kept.length} rejections kept`);
  assert.ok(logged.length <= MAX_LOGGED_REJECTIONS, `${logged.length} MESH0803 lines`);
  assert.deepEqual(suppressed, [["bad_json", JUNK - MAX_LOGGED_REJECTIONS]], "the rest in one summary line");

  // Watching: junk re-written stays one rejection each; deleted, it is counted out (kept or not).
  o2.put(junk[JUNK - 1]!.key, Buffer.from("y"), undefined, false);
  o2.put(`${PREFIX}/services/catalog/new-junk`, Buffer.from("y"), undefined, true);
  assert.equal(o2.counts().rejected, JUNK + 1);
  o2.delete(junk[0]!.key);
  o2.delete(junk[JUNK - 1]!.key);
  assert.equal(o2.counts().rejected, JUNK - 1);
  // A minute later the lines suppressed meanwhile are summarised, and logging resumes.
  clock += 60_000;
  o2.put(`${PREFIX}/services/catalog/newer-junk`, Buffer.from("y"), undefined, true);
  assert.equal(suppressed.length, 2);
  assert.equal(logged.at(-1)?.key, `${PREFIX}/services/catalog/newer-junk`);
});

test("the entry cap counts valid entries alike on a list and on a put (too_many_entries)", () => {
  const { overlay, rejected } = setup();
  const many = Array.from({ length: MAX_REGISTRY_ENTRIES + 1 }, (_, i) => ({ key: `${PREFIX}/services/catalog/e${String(i).padStart(7, "0")}`, value: Buffer.from('{"address":"10.0.0.1"}') }));
  overlay.reset([{ key: `${PREFIX}/services/catalog/0junk`, value: Buffer.from("x") }, ...many]);
  assert.deepEqual(rejected.filter((r) => r.reason !== "bad_json").map((r) => [r.key, r.reason]), [[many.at(-1)!.key, "too_many_entries"]], "junk does not count toward the cap");
  assert.match(rejected.at(-1)!.problem, /more than 100000 valid entries/);
  overlay.put(`${PREFIX}/services/catalog/zz`, Buffer.from('{"address":"10.0.0.2"}'));
  assert.equal(rejected.at(-1)!.reason, "too_many_entries", "a put beyond the cap: the same reason");
  assert.deepEqual(overlay.counts(), { entries: MAX_REGISTRY_ENTRIES, rejected: 3 });
});
