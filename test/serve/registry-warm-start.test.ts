// `meshc serve --state-dir` restarted while the registry does not answer (real etcd, frozen with SIGSTOP): the
// registry endpoints stay served, from the warm-start snapshot at once and from the stored entries after the first
// compile, until the registry lists again. (They used to be withdrawn from the running proxies for as long as the
// registry was down: the stored snapshot and the first publish after compiling carried only static instances.)
// Ports 28540-28541 (etcd), 28542-28543 (serve).
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Etcd3 } from "etcd3";
import { pino } from "pino";
import { startServe } from "../../src/serve/serve.js";
import { requireEtcd, startEtcd } from "../helpers/etcd.js";
import { eventually } from "../e2e/lib/procs.js";
import { inWorkspace } from "../e2e/lib/workspace.js";
import { catalogAddresses } from "./registry-fixtures.js";

const P = { client: 28540, peer: 28541, xds: 28542, admin: 28543 };
const PREFIX = "/meshc/warm";
const MESH = `import { defineMesh, etcd, http, registry } from "meshc";
export default defineMesh({ name: "warm", trustDomain: "warm.example", mtls: "off", discovery: etcd({ endpoints: ["http://127.0.0.1:${P.client}"], prefix: "${PREFIX}" }) }, (mesh) => {
  const catalog = mesh.service("catalog", { ports: { web: http(8080, { app: 18080 }) }, instances: registry({ key: "catalog" }) });
  mesh.service("web", { ports: { web: http(8081, { app: 18081 }) }, instances: ["10.0.9.1:8081"], calls: [catalog] });
});
`;

interface Readyz {
  serving: { origin: string } | null;
  registry?: { state: string; entries: number; listed: boolean; lastKnownFrom?: string; message: string };
}
const readyz = async () => (await (await fetch(`http://127.0.0.1:${P.admin}/readyz`)).json()) as Readyz;

test("a restart while the registry does not answer keeps serving the stored registry endpoints", { timeout: 180_000 }, async (t) => {
  const bin = requireEtcd(t);
  if (!bin) return;
  await inWorkspace(t, "meshc-registry-warm-", async ({ dir, procs }) => {
    const etcd = await startEtcd(procs, bin, { dir, clientPort: P.client, peerPort: P.peer });
    t.after(() => etcd.proc.signal("SIGCONT"));
    const writer = new Etcd3({ hosts: etcd.url });
    t.after(() => writer.close());
    await writer.put(`${PREFIX}/services/catalog/a`).value(JSON.stringify({ address: "10.0.0.1" }));
    await writer.put(`${PREFIX}/services/catalog/b`).value(JSON.stringify({ address: "10.0.0.2" }));
    const entry = join(dir, "mesh.ts");
    writeFileSync(entry, MESH);
    const stateDir = join(dir, "state");
    const options = {
      source: entry, xdsAddress: `127.0.0.1:${P.xds}`, adminAddress: `127.0.0.1:${P.admin}`, watch: false, insecure: true, stateDir,
      logger: pino({ level: "silent" }), registry: { coalesceMs: 20, callTimeoutMs: 1000, probeMs: 300, retryMs: 200, failuresBeforeDown: 2 },
    };

    const first = await startServe(options);
    await eventually(() => catalogAddresses(first.xds.snapshot()!).length === 2, "the registry endpoints to be served", 30_000, 20);
    await eventually(() => existsSync(join(stateDir, "registry.json")) && (JSON.parse(readFileSync(join(stateDir, "registry.json"), "utf8")) as { entries: unknown[] }).entries.length === 2, "the entries to be stored", 30_000, 50);
    await first.close();

    // The registry stops answering; the server restarts.
    etcd.proc.signal("SIGSTOP");
    const second = await startServe(options);
    t.after(() => second.close());
    assert.equal((await readyz()).serving?.origin, "warm-start");
    assert.deepEqual(catalogAddresses(second.xds.snapshot()!), ["10.0.0.1", "10.0.0.2"], "the warm-start snapshot carries the registry endpoints");
    assert.ok(await second.initialLoad);
    assert.deepEqual(catalogAddresses(second.xds.snapshot()!), ["10.0.0.1", "10.0.0.2"], "the first compile's snapshot serves the stored entries");
    await eventually(async () => (await readyz()).registry?.state === "unreachable", "the frozen registry to be reported unreachable", 30_000, 50);
    const r = (await readyz()).registry!;
    assert.equal(r.entries, 2);
    assert.equal(r.listed, false);
    assert.match(r.lastKnownFrom ?? "", /^the state directory \(stored /);
    assert.match(r.message, /serving the 2 last known entries from the state directory/);
    assert.deepEqual(catalogAddresses(second.xds.snapshot()!), ["10.0.0.1", "10.0.0.2"], "still served while the registry is down");

    // The registry answers again: its list replaces the stored entries.
    etcd.proc.signal("SIGCONT");
    await writer.delete().key(`${PREFIX}/services/catalog/b`);
    await eventually(async () => (await readyz()).registry?.listed === true, "the registry to list", 30_000, 50);
    await eventually(() => JSON.stringify(catalogAddresses(second.xds.snapshot()!)) === JSON.stringify(["10.0.0.1"]), "the listed entries to replace the stored ones", 30_000, 50);
  });
});
