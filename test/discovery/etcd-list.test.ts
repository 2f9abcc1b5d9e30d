// Listing a large registry (EtcdEndpointSource against a real etcd): a registry within the documented limits is read
// in pages (it used to be one range response, which past grpc-js's default 4 MiB receive limit failed with
// RESOURCE_EXHAUSTED and left serve with no registry endpoints at all after a restart); keys and values larger than
// a valid entry's are reported as oversized (not kept) instead of failing the whole list; a page too large for the
// receive limit is read again in smaller ones, one entry alone too large is skipped; and an unreachable registry is
// reported with the real error, not the etcd client's "circuit breaker is open".
// Ports 28500-28501 (etcd), 28509 (nothing listens there).
import assert from "node:assert/strict";
import { test } from "node:test";
import { Etcd3 } from "etcd3";
import { EtcdEndpointSource, etcdClient, type EtcdTimings } from "../../src/discovery/etcd.js";
import { MAX_ENTRY_BYTES, parseEntry } from "../../src/discovery/layout.js";
import type { RawEntry } from "../../src/discovery/source.js";
import type { DiscoveryIR } from "../../src/ir/types.js";
import { requireEtcd, startEtcd } from "../helpers/etcd.js";
import { eventually } from "../e2e/lib/procs.js";
import { inWorkspace } from "../e2e/lib/workspace.js";

const P = { client: 28500, peer: 28501, nothing: 28509 };
const PREFIX = "/meshc/list";

interface Seen {
  resets: number;
  entries: Map<string, RawEntry>;
  connected: { up: boolean; problem?: string }[];
}

function follow(source: EtcdEndpointSource): Seen {
  const seen: Seen = { resets: 0, entries: new Map(), connected: [] };
  source.start({
    reset: (entries) => {
      seen.resets++;
      seen.entries = new Map(entries.map((e) => [e.key, e]));
    },
    put: (e) => seen.entries.set(e.key, e),
    delete: (key) => seen.entries.delete(key),
    connected: (up, problem) => seen.connected.push({ up, ...(problem !== undefined && { problem }) }),
  });
  return seen;
}

/** A valid catalog entry of about 3.8 KiB (60 labels): within the 4 KiB limit. */
function bulkValue(i: number): string {
  const labels: Record<string, string> = { version: "v1" };
  for (let l = 0; l < 59; l++) labels[`l${String(l).padStart(2, "0")}`] = "v".repeat(55);
  return JSON.stringify({ address: "127.0.0.1", port: 20000 + (i % 100), labels });
}

async function putAll(writer: Etcd3, kvs: [string, string][]): Promise<void> {
  for (let i = 0; i < kvs.length; i += 50) await Promise.all(kvs.slice(i, i + 50).map(([k, v]) => writer.put(k).value(v)));
}

test("a registry within the limits is listed in pages; oversized keys and values are skipped, not a failed list", { timeout: 180_000 }, async (t) => {
  const bin = requireEtcd(t);
  if (!bin) return;
  await inWorkspace(t, "meshc-etcd-list-", async ({ dir, procs }) => {
    const etcd = await startEtcd(procs, bin, { dir, clientPort: P.client, peerPort: P.peer });
    const writer = new Etcd3({ hosts: etcd.url });
    t.after(() => writer.close());
    // 1,100 entries of 3.8 KiB: 4.2 MB in one range response, past grpc-js's default 4 MiB receive limit.
    const bulk: [string, string][] = Array.from({ length: 1100 }, (_, i) => [`${PREFIX}/services/catalog/bulk-${String(i).padStart(5, "0")}`, bulkValue(i)]);
    assert.ok(Buffer.byteLength(bulk[0]![1]) > 3800 && Buffer.byteLength(bulk[0]![1]) <= MAX_ENTRY_BYTES);
    await putAll(writer, bulk);
    // Junk: four 1.2 MB values under a key no service uses, and a 1 MB key.
    for (let i = 0; i < 4; i++) await writer.put(`${PREFIX}/services/junk/j${i}`).value("x".repeat(1_200_000));
    const hugeKey = `${PREFIX}/services/catalog/${"k".repeat(1_000_000)}`;
    await writer.put(hugeKey).value("{}");

    const discovery: DiscoveryIR = { kind: "etcd", endpoints: [etcd.url], prefix: PREFIX };
    const timings: EtcdTimings = { callTimeoutMs: 5000, retryMs: 300 };
    const source = new EtcdEndpointSource(etcdClient(discovery, dir, timings), discovery, timings);
    t.after(() => source.close());
    const seen = follow(source);
    await eventually(() => seen.resets > 0, `the registry to be listed (problems: ${JSON.stringify(seen.connected.map((c) => c.problem))})`, 30_000, 50);
    assert.deepEqual(seen.connected, [{ up: true }], "listed without a failed attempt");
    const valid = [...seen.entries.values()].filter((e) => parseEntry(PREFIX, e.key, e.value, e.oversized).ok);
    assert.equal(valid.length, 1100, "every valid entry is listed");
    const junk = [...seen.entries.values()].filter((e) => e.oversized);
    assert.equal(junk.length, 5, "the oversized values and key are reported as such");
    for (const e of junk) {
      assert.equal(e.value.length, 0, "an oversized value is not kept");
      assert.ok(e.key.length < 400, "an oversized key is held clipped");
      const p = parseEntry(PREFIX, e.key, e.value, e.oversized);
      assert.ok(!p.ok && p.reason === "too_large", `${e.key.slice(0, 60)}: too large`);
    }

    // The watch continues from the listed revision: a change and a delete of the huge key arrive.
    await writer.put(`${PREFIX}/services/catalog/after`).value(JSON.stringify({ address: "10.0.0.9" }));
    await writer.delete().key(hugeKey);
    await eventually(() => seen.entries.has(`${PREFIX}/services/catalog/after`) && junk.filter((e) => seen.entries.has(e.key)).length === 4, "the watch to deliver the put and the oversized key's delete", 30_000, 50);
  });
});

test("a page larger than the receive limit is read in smaller pages; one entry alone beyond it is skipped", { timeout: 180_000 }, async (t) => {
  const bin = requireEtcd(t);
  if (!bin) return;
  await inWorkspace(t, "meshc-etcd-pages-", async ({ dir, procs }) => {
    const etcd = await startEtcd(procs, bin, { dir, clientPort: P.client, peerPort: P.peer });
    const writer = new Etcd3({ hosts: etcd.url });
    t.after(() => writer.close());
    const valid: [string, string][] = Array.from({ length: 40 }, (_, i) => [`${PREFIX}/services/catalog/v${String(i).padStart(2, "0")}`, JSON.stringify({ address: `10.0.0.${i + 1}` })]);
    await putAll(writer, valid);
    // 300 KB values between the valid ones: a page of 8 keys is 2.4 MB, past a 1 MiB receive limit.
    for (let i = 0; i < 6; i++) await writer.put(`${PREFIX}/services/catalog/v${String(i * 6).padStart(2, "0")}x`).value("y".repeat(300_000));
    // One entry alone past the limit: skipped, its key read without its value.
    const alone = `${PREFIX}/services/catalog/v20z`;
    await writer.put(alone).value("z".repeat(1_200_000));

    const discovery: DiscoveryIR = { kind: "etcd", endpoints: [etcd.url], prefix: PREFIX };
    const timings: EtcdTimings = { callTimeoutMs: 5000, retryMs: 300, pageEntries: 8, maxReceiveBytes: 1 << 20 };
    const source = new EtcdEndpointSource(etcdClient(discovery, dir, timings), discovery, timings);
    t.after(() => source.close());
    const seen = follow(source);
    await eventually(() => seen.resets > 0, `the registry to be listed (problems: ${JSON.stringify(seen.connected.map((c) => c.problem))})`, 30_000, 50);
    assert.deepEqual(seen.connected, [{ up: true }], "listed without a failed attempt (a page too large is not an etcd failure)");
    assert.equal(seen.entries.size, 47);
    for (const [k] of valid) assert.ok(parseEntry(PREFIX, k, seen.entries.get(k)!.value).ok, k);
    assert.deepEqual(seen.entries.get(alone)?.oversized, { keyBytes: Buffer.byteLength(alone), valueBytes: 0 });
    const p = parseEntry(PREFIX, alone, Buffer.alloc(0), seen.entries.get(alone)!.oversized);
    assert.ok(!p.ok && p.reason === "too_large" && /receive limit/.test(p.problem));
    await writer.put(`${PREFIX}/services/catalog/after`).value(JSON.stringify({ address: "10.0.0.99" }));
    await eventually(() => seen.entries.has(`${PREFIX}/services/catalog/after`), "the watch to deliver a change after the paged list", 30_000, 50);
  });
});

test("an unreachable registry is reported with the real error, not the client's circuit breaker", { timeout: 60_000 }, async (t) => {
  const discovery: DiscoveryIR = { kind: "etcd", endpoints: [`http://127.0.0.1:${P.nothing}`], prefix: PREFIX };
  const timings: EtcdTimings = { callTimeoutMs: 1000, retryMs: 100, failuresBeforeDown: 4 };
  const source = new EtcdEndpointSource(etcdClient(discovery, "/", timings), discovery, timings);
  t.after(() => source.close());
  const seen = follow(source);
  const down = await eventually(() => seen.connected.find((c) => !c.up), "the registry to be reported unreachable", 30_000, 50);
  assert.doesNotMatch(down.problem ?? "", /^Execution prevented because the circuit breaker is open/);
  assert.match(down.problem ?? "", /ECONNREFUSED|No connection established|UNAVAILABLE|connect/i);
});
