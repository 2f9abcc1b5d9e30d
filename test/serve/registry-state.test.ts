// How `meshc serve --state-dir` stores registry entries (real etcd), three defects of the first version:
// - a registry change re-stored the whole snapshot with every registry endpoint and re-serialized registry.json about
//   once a second (100,000 entries of 4 KiB blocked serve for seconds): now the snapshot is stored by compiles only and
//   registry.json on its own, spaced out (storeIntervalMs), streamed and bounded;
// - a warm start whose mesh.ts no longer compiles served the stored endpoints frozen, without watching the registry
//   and without a word in /readyz: the discovery setting is now stored with the snapshot and followed at once;
// - an entry of exactly 4 KiB written as "port":1e4 was stored re-serialized ("port":10000, 4098 bytes) and rejected
//   at the next start.
// Ports 28800-28819.
import assert from "node:assert/strict";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { Etcd3 } from "etcd3";
import { pino } from "pino";
import { startServe } from "../../src/serve/serve.js";
import { loadRegistryState, registryStoreIntervalMs, saveRegistryState } from "../../src/serve/state.js";
import type { RegistryEntry } from "../../src/discovery/layout.js";
import { requireEtcd, startEtcd, type EtcdServer } from "../helpers/etcd.js";
import { eventually } from "../e2e/lib/procs.js";
import { inWorkspace } from "../e2e/lib/workspace.js";
import { catalogAddresses } from "./registry-fixtures.js";

const PREFIX = "/meshc/state";
const mesh = (client: number) => `import { defineMesh, etcd, http, registry } from "meshc";
export default defineMesh({ name: "state", trustDomain: "state.example", mtls: "off", discovery: etcd({ endpoints: ["http://127.0.0.1:${client}"], prefix: "${PREFIX}" }) }, (mesh) => {
  const catalog = mesh.service("catalog", { ports: { web: http(8080, { app: 18080 }) }, instances: registry({ key: "catalog" }), calls: [] });
  mesh.service("web", { ports: { web: http(8081, { app: 18081 }) }, instances: ["10.0.9.1:8081"], calls: [catalog] });
});
`;

interface Readyz {
  ready: boolean;
  serving: { origin: string } | null;
  registry?: { state: string; entries: number; listed: boolean; lastKnownFrom?: string; settingFrom?: string; message: string };
}

const options = (dir: string, stateDir: string, p: { xds: number; admin: number }, storeIntervalMs?: number) => ({
  source: join(dir, "mesh.ts"), xdsAddress: `127.0.0.1:${p.xds}`, adminAddress: `127.0.0.1:${p.admin}`, watch: false, insecure: true, stateDir,
  logger: pino({ level: "silent" }),
  registry: { coalesceMs: 20, callTimeoutMs: 1000, probeMs: 300, retryMs: 200, failuresBeforeDown: 2, ...(storeIntervalMs !== undefined && { storeIntervalMs }) },
});
const storedEntries = (stateDir: string) =>
  existsSync(join(stateDir, "registry.json")) ? (JSON.parse(readFileSync(join(stateDir, "registry.json"), "utf8")) as { entries: [string, unknown][] }).entries : [];
const metric = async (admin: number, name: string) => {
  const text = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  return m ? Number(m[1]) : undefined;
};

type Ports = { client: number; peer: number; xds: number; admin: number };
/** etcd with catalog/a registered, the mesh written and a state folder named: what every test here starts from. */
async function registryWorkspace(t: TestContext, bin: string, name: string, P: Ports, body: (w: { dir: string; stateDir: string; etcd: EtcdServer; writer: Etcd3 }) => Promise<void>): Promise<void> {
  await inWorkspace(t, name, async ({ dir, procs }) => {
    const etcd = await startEtcd(procs, bin, { dir, clientPort: P.client, peerPort: P.peer });
    const writer = new Etcd3({ hosts: etcd.url });
    t.after(() => writer.close());
    await writer.put(`${PREFIX}/services/catalog/a`).value(JSON.stringify({ address: "10.0.0.1" }));
    writeFileSync(join(dir, "mesh.ts"), mesh(P.client));
    await body({ dir, stateDir: join(dir, "state"), etcd, writer });
  });
}

test("registry changes never store the snapshot again; registry.json is stored spaced out, and at close", { timeout: 120_000 }, async (t) => {
  const bin = requireEtcd(t);
  if (!bin) return;
  const P = { client: 28800, peer: 28801, xds: 28802, admin: 28803 };
  await registryWorkspace(t, bin, "meshc-registry-state-", P, async ({ dir, stateDir, etcd, writer }) => {
    // Stores of registry.json at least a minute apart: the first one (a second after the list), then none until close.
    const s = await startServe(options(dir, stateDir, P, 60_000));
    let closed = false;
    t.after(() => (closed ? undefined : s.close()));
    await eventually(() => storedEntries(stateDir).length === 1, "the listed entry to be stored", 30_000, 50);
    const snapshotStored = statSync(join(stateDir, "state.json")).mtimeMs;
    const manifestStored = statSync(join(stateDir, "snapshot", "manifest.json")).mtimeMs;

    // Registry changes: served at once, but neither the snapshot nor registry.json is written again before close.
    for (let i = 0; i < 20; i++) {
      await writer.put(`${PREFIX}/services/catalog/c${String(i).padStart(2, "0")}`).value(JSON.stringify({ address: `10.0.1.${i + 1}` }));
      await new Promise((r) => setTimeout(r, 50));
    }
    await eventually(() => catalogAddresses(s.xds.snapshot()!).length === 21, "the changes to be served", 30_000, 20);
    await new Promise((r) => setTimeout(r, 2500)); // the first version stored both again within a second of a change
    assert.equal(statSync(join(stateDir, "state.json")).mtimeMs, snapshotStored, "state.json is not stored again on a registry change");
    assert.equal(statSync(join(stateDir, "snapshot", "manifest.json")).mtimeMs, manifestStored, "the snapshot is not stored again on a registry change");
    assert.equal(storedEntries(stateDir).length, 1, "registry.json is not stored again before its interval");
    assert.equal(await metric(P.admin, "meshc_state_registry_stores_total"), 1);
    const stored = JSON.parse(readFileSync(join(stateDir, "registry.json"), "utf8")) as { format: number; entries: [string, unknown][] };
    assert.equal(stored.format, 2);
    assert.deepEqual(stored.entries, [[`${PREFIX}/services/catalog/a`, { address: "10.0.0.1" }]], "entries stored as JSON objects");
    assert.ok(!readFileSync(join(stateDir, "snapshot", "manifest.json"), "utf8").includes("10.0.1."), "the stored snapshot carries no registry endpoints");

    // Close stores what changed since.
    closed = true;
    await s.close();
    assert.equal(storedEntries(stateDir).length, 21, "close stores the entries in use");
    assert.equal(statSync(join(stateDir, "state.json")).mtimeMs, snapshotStored, "close does not store the snapshot either");
  });
});

test("registry.json is streamed within its bound; the interval between stores grows with its size", async () => {
  const dir = mkdtempSync(join(tmpdir(), "meshc-registry-json-"));
  const labels = Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`l${i}`, "v".repeat(200)]));
  const entries: [string, RegistryEntry][] = Array.from({ length: 50 }, (_, i) => [`/p/services/catalog/i${String(i).padStart(3, "0")}`, { address: `10.0.0.${i + 1}`, port: 10000, labels }]);
  const whole = await saveRegistryState(dir, "/m.ts", { prefix: "/p", savedAt: "t", entries }, { chunk: 7 });
  assert.deepEqual([whole.entries, whole.truncated], [50, false]);
  const all = await loadRegistryState(dir, "/m.ts");
  assert.ok(all && "entries" in all);
  assert.equal(all.entries.length, 50);
  assert.deepEqual(JSON.parse(all.entries[3]![1]), entries[3]![1]);
  assert.equal(all.truncatedFrom, undefined);

  const max = Math.floor(whole.bytes / 3);
  const part = await saveRegistryState(dir, "/m.ts", { prefix: "/p", savedAt: "t", entries }, { chunk: 7, maxBytes: max });
  assert.equal(part.truncated, true);
  assert.ok(part.bytes <= max && statSync(join(dir, "registry.json")).size === part.bytes, `${part.bytes} bytes written, at most ${max}`);
  const some = await loadRegistryState(dir, "/m.ts");
  assert.ok(some && "entries" in some);
  assert.equal(some.entries.length, part.entries);
  assert.ok(part.entries > 0 && part.entries < 50);
  assert.equal(some.truncatedFrom, 50);

  assert.equal(registryStoreIntervalMs(0, 0), 5_000);
  assert.ok(registryStoreIntervalMs(400e6, 0) >= 50_000, "a registry at the limits is stored about once a minute at most");
  assert.ok(registryStoreIntervalMs(1e6, 3_000) >= 30_000, "at least 10 times the time a store took");
  assert.equal(registryStoreIntervalMs(1e12, 1e9), 300_000, "at most 5 minutes");
});

test("a warm start whose mesh.ts no longer compiles follows the registry with the stored discovery setting", { timeout: 120_000 }, async (t) => {
  const bin = requireEtcd(t);
  if (!bin) return;
  const P = { client: 28804, peer: 28805, xds: 28806, admin: 28807 };
  await registryWorkspace(t, bin, "meshc-registry-broken-", P, async ({ dir, stateDir, etcd, writer }) => {
    const first = await startServe(options(dir, stateDir, P));
    await eventually(() => storedEntries(stateDir).length === 1, "the listed entry to be stored", 30_000, 50);
    await first.close();

    appendFileSync(join(dir, "mesh.ts"), "export const broken = ;\n"); // a typo saved while serve was down
    const second = await startServe(options(dir, stateDir, P));
    t.after(() => second.close());
    const readyz = async () => (await (await fetch(`http://127.0.0.1:${P.admin}/readyz`)).json()) as Readyz;
    assert.equal((await readyz()).serving?.origin, "warm-start");
    assert.deepEqual(catalogAddresses(second.xds.snapshot()!), ["10.0.0.1"], "the stored entries are overlaid on the stored snapshot");
    assert.equal(await second.initialLoad, false, "mesh.ts does not compile");

    // The registry changes while mesh.ts stays broken: applied all the same.
    await writer.delete().key(`${PREFIX}/services/catalog/a`);
    await writer.put(`${PREFIX}/services/catalog/c`).value(JSON.stringify({ address: "10.0.0.3" }));
    await eventually(() => JSON.stringify(catalogAddresses(second.xds.snapshot()!)) === JSON.stringify(["10.0.0.3"]), "the registry's changes to be served", 30_000, 50);
    const r = await readyz();
    assert.equal(r.serving?.origin, "warm-start");
    assert.ok(r.registry, "/readyz reports the registry");
    assert.equal(r.registry.state, "connected");
    assert.equal(r.registry.listed, true);
    assert.match(r.registry.settingFrom ?? "", /^the warm-start state \(mesh compiled .*\); mesh\.ts has not compiled since the start$/);
    assert.match(r.registry.message, /discovery setting from the warm-start state/);

    // mesh.ts fixed: its compile takes over the setting.
    writeFileSync(join(dir, "mesh.ts"), mesh(P.client));
    assert.equal(await second.reload(), true);
    const after = await readyz();
    assert.equal(after.serving?.origin, "compiled");
    assert.equal(after.registry?.settingFrom, undefined);
    assert.deepEqual(catalogAddresses(second.xds.snapshot()!), ["10.0.0.3"]);
  });
});

/** A valid entry of exactly `bytes` bytes: `{"address":…,"port":1e4,"labels":{…}}` (the port written as 1e4). */
function entryOf(bytes: number, address: string): string {
  const labels: Record<string, string> = {};
  const text = () => `{"address":"${address}","port":1e4,"labels":${JSON.stringify(labels)}}`;
  for (let i = 0; Buffer.byteLength(text()) < bytes; i++) {
    labels[`l${i}`] = "";
    const room = bytes - Buffer.byteLength(text());
    labels[`l${i}`] = "v".repeat(Math.max(0, Math.min(253, room)));
  }
  assert.equal(Buffer.byteLength(text()), bytes);
  return text();
}

test("an entry of exactly 4096 bytes written as port 1e4 survives a restart while the registry does not answer", { timeout: 120_000 }, async (t) => {
  const bin = requireEtcd(t);
  if (!bin) return;
  const P = { client: 28808, peer: 28809, xds: 28810, admin: 28811 };
  await registryWorkspace(t, bin, "meshc-registry-4096-", P, async ({ dir, stateDir, etcd, writer }) => {
    t.after(() => etcd.proc.signal("SIGCONT"));
    await writer.put(`${PREFIX}/services/catalog/exact`).value(entryOf(4096, "10.0.0.6"));
    const first = await startServe(options(dir, stateDir, P));
    await eventually(() => catalogAddresses(first.xds.snapshot()!).length === 2, "both entries to be served", 30_000, 20);
    await eventually(() => storedEntries(stateDir).length === 2, "both entries to be stored", 30_000, 50);
    await first.close();

    etcd.proc.signal("SIGSTOP");
    const second = await startServe(options(dir, stateDir, P));
    t.after(() => second.close());
    assert.deepEqual(catalogAddresses(second.xds.snapshot()!), ["10.0.0.1", "10.0.0.6"], "the warm start serves both stored entries");
    assert.ok(await second.initialLoad);
    assert.deepEqual(catalogAddresses(second.xds.snapshot()!), ["10.0.0.1", "10.0.0.6"], "and so does the first compile");
  });
});
