// A watched put says whether its key is new (etcd: version 1) or re-written: what lets the registry overlay keep an
// exact count of rejected junk it does not remember key by key (src/serve/registry-overlay.ts MAX_KEPT_REJECTIONS).
// Ports 28900-28901 (etcd).
import assert from "node:assert/strict";
import { test } from "node:test";
import { Etcd3 } from "etcd3";
import { EtcdEndpointSource, etcdClient, type EtcdTimings } from "../../src/discovery/etcd.js";
import type { RawEntry } from "../../src/discovery/source.js";
import type { DiscoveryIR } from "../../src/ir/types.js";
import { requireEtcd, startEtcd } from "../helpers/etcd.js";
import { eventually } from "../e2e/lib/procs.js";
import { inWorkspace } from "../e2e/lib/workspace.js";

const PREFIX = "/meshc/created";

test("a watched put reports whether its key is new or re-written", { timeout: 60_000 }, async (t) => {
  const bin = requireEtcd(t);
  if (!bin) return;
  await inWorkspace(t, "meshc-etcd-created-", async ({ dir, procs }) => {
    const etcd = await startEtcd(procs, bin, { dir, clientPort: 28900, peerPort: 28901 });
    const writer = new Etcd3({ hosts: etcd.url });
    t.after(() => writer.close());
    const discovery: DiscoveryIR = { kind: "etcd", endpoints: [etcd.url], prefix: PREFIX };
    const timings: EtcdTimings = { callTimeoutMs: 5000, retryMs: 300 };
    const source = new EtcdEndpointSource(etcdClient(discovery, dir, timings), discovery, timings);
    t.after(() => source.close());
    const puts: RawEntry[] = [];
    let listed = false;
    source.start({ reset: () => (listed = true), put: (e) => puts.push(e), delete: () => undefined, connected: () => undefined });
    await eventually(() => listed, "the registry to be listed", 30_000, 50);
    const key = `${PREFIX}/services/catalog/a`;
    await writer.put(key).value("x");
    await writer.put(key).value("y");
    await writer.delete().key(key);
    await writer.put(key).value("z");
    await eventually(() => puts.length === 3, "three puts", 30_000, 50);
    assert.deepEqual(puts.map((p) => [p.value.toString(), p.created]), [["x", true], ["y", false], ["z", true]]);
  });
});
