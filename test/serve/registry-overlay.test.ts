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
import { EndpointOverlay, MAX_REGISTRY_LOCALITIES, type Rejection } from "../../src/serve/registry-overlay.js";
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
