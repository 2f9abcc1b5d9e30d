// RegistryFeed (what `meshc serve` overlays on each snapshot) against a real etcd, when the mesh's `discovery`
// setting changes: the entries known so far keep serving until the new source lists (an edit, even adding a second
// good endpoint, used to withdraw every registry endpoint until the new source listed, and for good when the new
// endpoint did not answer, while /readyz said "serving the last known endpoints" with 0 entries); a new prefix drops
// them. Ports 28520-28521 (etcd), 28529 (nothing listens there).
import assert from "node:assert/strict";
import { test } from "node:test";
import { Etcd3 } from "etcd3";
import { pino } from "pino";
import { Registry } from "prom-client";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import { RegistryFeed } from "../../src/serve/registry.js";
import { catalogAddresses, registryMesh } from "./registry-fixtures.js";
import { requireEtcd, startEtcd } from "../helpers/etcd.js";
import { eventually, sleep } from "../e2e/lib/procs.js";
import { inWorkspace } from "../e2e/lib/workspace.js";

const P = { client: 28520, peer: 28521, nothing: 28529 };
const PREFIX = "/meshc/feed";
const TIMINGS = { callTimeoutMs: 1000, probeMs: 300, retryMs: 200, failuresBeforeDown: 2 };

test("a changed discovery setting keeps the known entries until the new source lists; a new prefix drops them", { timeout: 120_000 }, async (t) => {
  const bin = requireEtcd(t);
  if (!bin) return;
  await inWorkspace(t, "meshc-registry-feed-", async ({ dir, procs }) => {
    const etcd = await startEtcd(procs, bin, { dir, clientPort: P.client, peerPort: P.peer });
    const writer = new Etcd3({ hosts: etcd.url });
    t.after(() => writer.close());
    await writer.put(`${PREFIX}/services/catalog/a`).value(JSON.stringify({ address: "10.0.0.1" }));
    const down = `http://127.0.0.1:${P.nothing}`;
    const irAt = (endpoints: string[], prefix = PREFIX) => registryMesh({ kind: "etcd", endpoints, prefix });
    const base = translateMesh(irAt([etcd.url])).snapshot;
    let published = 0;
    const feed = new RegistryFeed({ logger: pino({ level: "silent" }), registry: new Registry(), coalesceMs: 10, timings: TIMINGS, republish: () => published++ });
    t.after(() => feed.close());

    await feed.compiled(irAt([etcd.url]), dir);
    await eventually(() => feed.status()?.state === "connected" && published > 0, "the first source to list", 30_000, 20);
    assert.deepEqual(catalogAddresses(feed.apply(base)), ["10.0.0.1"]);
    assert.equal(feed.status()?.listed, true);

    // A harmless edit (a second endpoint): nothing is withdrawn while the new source connects and lists.
    await feed.compiled(irAt([etcd.url, down]), dir);
    assert.deepEqual(catalogAddresses(feed.apply(base)), ["10.0.0.1"], "served at once after the edit, before the new source listed");
    assert.equal(feed.status()?.state, "connecting");
    assert.equal(feed.status()?.listed, false);
    assert.match(feed.status()!.message, /serving the 1 last known entries from the previous discovery setting/);
    await eventually(() => feed.status()?.state === "connected", "the new source to list", 30_000, 20);
    assert.equal(feed.status()?.listed, true);
    assert.deepEqual(catalogAddresses(feed.apply(base)), ["10.0.0.1"]);

    // An endpoint that does not answer: the last known entries keep serving for as long as it does not.
    await feed.compiled(irAt([down]), dir);
    await eventually(() => feed.status()?.state === "unreachable", "the new registry to be reported unreachable", 30_000, 20);
    await sleep(500);
    assert.deepEqual(catalogAddresses(feed.apply(base)), ["10.0.0.1"], "still served while the new source never listed");
    const st = feed.status()!;
    assert.equal(st.entries, 1);
    assert.equal(st.listed, false);
    assert.match(st.message, /registry unreachable since .*; serving the 1 last known entries from the previous discovery setting \(etcd http:\/\/127\.0\.0\.1:28520,http:\/\/127\.0\.0\.1:28529 \/meshc\/feed\) until this registry lists/);

    // Back to the good endpoint; then a new prefix (another namespace of entries): the old entries are dropped.
    await feed.compiled(irAt([etcd.url]), dir);
    await eventually(() => feed.status()?.state === "connected", "the good source to list again", 30_000, 20);
    await feed.compiled(irAt([etcd.url], "/meshc/other"), dir);
    assert.deepEqual(catalogAddresses(feed.apply(base)), [], "entries of another prefix are not served");
    await eventually(() => feed.status()?.state === "connected", "the source of the new prefix to list", 30_000, 20);
    assert.match(feed.status()!.message, /registry connected/);
  });
});
