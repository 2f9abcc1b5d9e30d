// The etcd reachability probe of `meshc serve` (issue 16) against a real etcd: a slow answer is not an outage, a
// real outage is still reported, and recovery too. The etcd process is frozen with SIGSTOP (its connections stay
// open, so only the probe can notice: the silent outage a probe exists for) and thawed with SIGCONT, or stopped
// and started again (a hard outage). Short timings keep the test quick; the defaults and the bound they give are in
// src/discovery/etcd.ts and README "Running in production". No timing is asserted: the test waits by polling.
// Ports 20260-20261.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Etcd3 } from "etcd3";
import { EtcdEndpointSource, etcdClient, outageReportBoundMs, type EtcdTimings } from "../../src/discovery/etcd.js";
import type { RawEntry } from "../../src/discovery/source.js";
import type { DiscoveryIR } from "../../src/ir/types.js";
import { requireEtcd, startEtcd, type EtcdServer } from "../helpers/etcd.js";
import { eventually, sleep } from "../e2e/lib/procs.js";
import { inWorkspace } from "../e2e/lib/workspace.js";

const P = { client: 20260, peer: 20261 };
const PREFIX = "/meshc/probe";
const T = { callTimeoutMs: 1000, probeMs: 300, retryMs: 300, failuresBeforeDown: 4 } satisfies EtcdTimings;

interface Seen {
  connected: { up: boolean; problem?: string; at: number }[];
  entries: Map<string, string>;
}

function watch(source: EtcdEndpointSource): Seen {
  const seen: Seen = { connected: [], entries: new Map() };
  const put = (e: RawEntry) => seen.entries.set(e.key, e.value.toString());
  source.start({
    reset: (entries) => {
      seen.entries.clear();
      entries.forEach(put);
    },
    put,
    delete: (key) => seen.entries.delete(key),
    connected: (up, problem) => seen.connected.push({ up, ...(problem !== undefined ? { problem } : {}), at: Date.now() }),
  });
  return seen;
}

test("registry probe: one slow answer is not an outage; a silent or hard outage is reported and recovered", { timeout: 180_000 }, async (t) => {
  const bin = requireEtcd(t);
  if (!bin) return;
  await inWorkspace(t, "meshc-registry-probe-", async ({ dir, procs }) => {
    let etcd: EtcdServer = await startEtcd(procs, bin, { dir, clientPort: P.client, peerPort: P.peer });
    t.after(() => etcd.proc.signal("SIGCONT")); // never leave it frozen for the cleanup
    const discovery: DiscoveryIR = { kind: "etcd", endpoints: [etcd.url], prefix: PREFIX };
    const source = new EtcdEndpointSource(etcdClient(discovery, dir, T), discovery, T);
    t.after(() => source.close());
    const writer = new Etcd3({ hosts: etcd.url });
    t.after(() => writer.close());
    const key = (id: string) => `${PREFIX}/services/catalog/${id}`;
    await writer.put(key("a")).value("1");

    const seen = watch(source);
    await eventually(() => seen.connected.at(-1)?.up === true && seen.entries.get(key("a")) === "1", "the source to list the registry", 30_000, 50);

    // Answers slower than the probe's deadline: etcd frozen for one probe interval plus one deadline, so a probe
    // times out (twice at most: each failed attempt takes a deadline plus retryMs), fewer than failuresBeforeDown:
    // still connected, no event. (Before, one timed-out probe reported the registry unreachable.)
    const events = seen.connected.length;
    etcd.proc.signal("SIGSTOP");
    await sleep(T.probeMs + T.callTimeoutMs + 100);
    etcd.proc.signal("SIGCONT");
    await sleep(3 * (T.callTimeoutMs + T.retryMs)); // room for the failed probes and the next good ones
    assert.deepEqual(seen.connected.slice(events), [], "a slow answer does not report the registry unreachable");
    await writer.put(key("b")).value("2");
    await eventually(() => seen.entries.get(key("b")) === "2", "the watch to keep delivering", 30_000, 50);

    // A silent outage (frozen etcd, connections open): reported after failuresBeforeDown failed probes.
    const frozenAt = Date.now();
    etcd.proc.signal("SIGSTOP");
    const down = await eventually(() => seen.connected.find((c, i) => i >= events && !c.up), "the frozen registry to be reported unreachable", 60_000, 50);
    assert.match(down.problem ?? "", new RegExp(`\\(${T.failuresBeforeDown} consecutive failed attempts\\)`));
    t.diagnostic(`silent outage reported after ${down.at - frozenAt} ms (documented bound ${outageReportBoundMs(T)} ms with these timings, under load from other jobs)`);
    assert.equal(seen.entries.get(key("a")), "1", "the last entries are kept");
    etcd.proc.signal("SIGCONT");
    await eventually(() => seen.connected.at(-1)?.up === true, "the registry to be reported back", 30_000, 50);

    // A hard outage (etcd stopped): reported; a change made before it comes back arrives.
    const n = seen.connected.length;
    await etcd.proc.stop();
    await eventually(() => seen.connected.slice(n).some((c) => !c.up), "the stopped registry to be reported unreachable", 60_000, 50);
    etcd = await startEtcd(procs, bin, { dir, clientPort: P.client, peerPort: P.peer });
    const writer2 = new Etcd3({ hosts: etcd.url });
    t.after(() => writer2.close());
    await writer2.put(key("c")).value("3");
    await writer2.delete().key(key("a"));
    await eventually(() => seen.connected.at(-1)?.up === true, "the restarted registry to be reported back", 60_000, 50);
    await eventually(() => seen.entries.get(key("c")) === "3" && !seen.entries.has(key("a")), "changes made during the outage to arrive", 30_000, 50);
  });
});

test("outageReportBoundMs: the documented bound of the defaults", () => {
  // probeMs + failuresBeforeDown * callTimeoutMs + (failuresBeforeDown - 1) * retryMs = 2 + 3 * 4 + 2 * 1 s.
  assert.equal(outageReportBoundMs(), 16_000);
});
