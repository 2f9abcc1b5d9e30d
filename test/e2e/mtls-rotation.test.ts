// End-to-end certificate rotation (issue 8, R17 in reliability-cases.md) with real Envoy 1.40 sidecars and
// `meshc serve --ca`, ports 19750-19799:
//   4. leaf rotation under load: leaf lifetime 30 s (rotation at 50 %), traffic web -> echo for 2 minutes: the
//      certificate echo presents changes serial at least 3 times, Envoy counts the SDS updates, 0 requests fail.
//   5. root rotation: `meshc ca rotate` (overlap: old and new roots trusted, leaves re-issued from the new root,
//      traffic keeps flowing), then `meshc ca rotate --finish`: a client holding an old-root leaf is refused,
//      including when it offers a TLS session it established during the overlap (resumption must not bypass the
//      new trust bundle: Envoy CVE-2022-21654). Mesh traffic runs across the whole overlap and removal: 0 requests
//      may fail (meshc serve rolls the change out trust -> new leaves -> pruned bundle, each step ACKed by every
//      proxy first; test/serve/ca-rollout.test.ts checks that order).
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { test } from "node:test";
import { CA_FILES, initCa, loadCa } from "../../src/pki/ca-dir.js";
import { issueLeaf } from "../../src/pki/x509.js";
import { startHttpApp } from "../apps/http-app.js";
import { requireEnvoy } from "../helpers/envoy.js";
import { envoyStats, waitEnvoyReady } from "./lib/envoy-admin.js";
import { send, tally, trafficLoop } from "./lib/http.js";
import { startServe, startSidecar, waitConverged, waitServeReady } from "./lib/meshc.js";
import { eventually, runMeshc, sleep } from "./lib/procs.js";
import { inWorkspace } from "./lib/workspace.js";
import { webEchoMesh } from "./lib/web-echo-mesh.js";

const B = 19750;
const P = {
  xds: B, admin: B + 1,
  web: { inbound: B + 10, app: B + 11, admin: B + 12, outbound: B + 13 },
  echo: { inbound: B + 20, app: B + 21, admin: B + 22, outbound: B + 23 },
};
const TD = "rot.example";
const TRAFFIC_MS = 120_000;

const MESH = webEchoMesh(P, `{ name: "rot", trustDomain: "${TD}", mtls: "strict", certificates: { leafLifetime: "30s", rotateAt: 50 } }`);

interface Probe {
  ok: boolean;
  serial?: string;
  peerPem?: string;
  resumed?: boolean;
  session?: Buffer;
  error?: string;
}

/** One mTLS exchange with echo's inbound port: a GET over a raw TLS socket; reports the peer cert and the session. */
function probe(o: { cert: string; key: string; ca: string; session?: Buffer }): Promise<Probe> {
  return new Promise((resolve) => {
    let session: Buffer | undefined;
    let body = "";
    let peer: X509Certificate | undefined;
    let resumed = false;
    const s = tlsConnect({ host: "127.0.0.1", port: P.echo.inbound, cert: o.cert, key: o.key, ca: o.ca, checkServerIdentity: () => undefined, session: o.session, maxVersion: "TLSv1.2" }, () => {
      peer = s.getPeerX509Certificate();
      resumed = s.isSessionReused();
      s.write("GET / HTTP/1.1\r\nhost: echo\r\nconnection: close\r\n\r\n");
    });
    s.on("session", (b: Buffer) => (session = b));
    s.on("data", (d: Buffer) => (body += d.toString()));
    s.setTimeout(5000, () => s.destroy(new Error("timeout")));
    s.on("error", (e) => resolve({ ok: false, error: e.message }));
    s.on("close", () => {
      resolve({ ok: body.startsWith("HTTP/1.1 200"), serial: peer?.serialNumber, peerPem: peer?.toString(), resumed, session, ...(body ? {} : { error: "no response" }) });
    });
  });
}

test("e2e mTLS rotation: leaves every 15 s under load, then a root rotation (R17)", { timeout: 420_000 }, async (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  await inWorkspace(t, "meshc-rot-", async ({ dir, procs, closeLater }) => {
    const caDir = join(dir, "ca");
    await initCa(caDir, { trustDomain: TD });
    const meshPath = join(dir, "mesh.ts");
    writeFileSync(meshPath, MESH);
    closeLater(await startHttpApp({ service: "echo", version: "v1", port: P.echo.app }));
    const serve = startServe(procs, { mesh: meshPath, xdsPort: P.xds, adminPort: P.admin, extraArgs: ["--ca", caDir, "--insecure"] });
    await waitServeReady(P.admin, serve);
    const web = startSidecar(procs, { mesh: meshPath, service: "web", instance: "web-1", xdsPort: P.xds, envoy });
    const echo = startSidecar(procs, { mesh: meshPath, service: "echo", instance: "echo-1", xdsPort: P.xds, envoy });
    await waitEnvoyReady(P.web.admin, "sidecar web", 60_000, web);
    await waitEnvoyReady(P.echo.admin, "sidecar echo", 60_000, echo);
    await waitConverged(P.admin, { "web-1": "web", "echo-1": "echo" });

    const oldCa = await loadCa(caDir);
    const oldRoot = readFileSync(join(caDir, CA_FILES.bundle), "utf8");
    const client = async (spiffe: string) => {
      const ca = await loadCa(caDir);
      const l = await issueLeaf(ca.authority, { spiffeId: spiffe, keyAlgorithm: "ecdsa-p256", lifetimeMs: 3_600_000 });
      return { cert: l.cert.pem, key: l.key.reveal() };
    };
    const webLeafOld = await client(`spiffe://${TD}/service/web`);

    // --- 4. Leaf rotation under load.
    const sdsUpdates = async () => {
      const s = await envoyStats(P.echo.admin, "ssl_context_update_by_sds");
      return Object.entries(s).filter(([k]) => k.startsWith("listener.")).reduce((a, [, v]) => a + v, 0);
    };
    const updates0 = await sdsUpdates();
    const serials = new Set<string>();
    const loop = trafficLoop(() => ({ port: P.web.outbound, path: "/", host: "echo", timeoutMs: 10_000 }), 2, 20);
    const t0 = Date.now();
    while (Date.now() - t0 < TRAFFIC_MS) {
      const p = await probe({ ...webLeafOld, ca: oldRoot });
      assert.ok(p.ok, `probe: ${p.error}`);
      serials.add(p.serial!);
      await sleep(2000);
    }
    const during = tally(await loop.stop());
    const updates = (await sdsUpdates()) - updates0;
    t.diagnostic(`leaf rotation: ${during.total} requests in ${TRAFFIC_MS / 1000} s, ${during.failed} failed; ${serials.size} serials presented; ${updates} SDS context updates on echo's listeners`);
    assert.equal(during.failed, 0, `no request may fail during rotations: ${JSON.stringify(during.byStatus)}`);
    assert.ok(during.total > 100, "traffic flowed");
    assert.ok(serials.size >= 4, `at least 3 rotations: serials seen ${[...serials].join(", ")}`);
    assert.ok(updates >= 3, `Envoy applied at least 3 certificate updates over SDS (${updates})`);

    // --- 5. Root rotation: overlap window.
    const loop2 = trafficLoop(() => ({ port: P.web.outbound, path: "/", host: "echo", timeoutMs: 10_000 }), 2, 20);
    // Asynchronously: this process serves echo's app and runs the traffic loop (see runMeshc).
    const rotate = async (...extra: string[]) => {
      const r = await runMeshc(["ca", "rotate", "--ca", caDir, ...extra]);
      assert.equal(r.status, 0, r.stderr);
    };
    await rotate();
    const newCa = await loadCa(caDir);
    const newRoot = newCa.bundle[0]!;
    assert.notEqual(newCa.authority.cert.serialNumber, oldCa.authority.cert.serialNumber);
    // Leaves are re-issued from the new root; during the overlap an old-root client is still accepted.
    await eventually(async () => {
      const p = await probe({ ...webLeafOld, ca: newCa.bundle.join("") });
      return p.ok && new X509Certificate(p.peerPem!).verify(new X509Certificate(newRoot).publicKey);
    }, "echo to present a leaf from the new root", 30_000, 500);
    const overlap = await probe({ ...webLeafOld, ca: newCa.bundle.join("") });
    assert.ok(overlap.ok, `an old-root client is accepted during the overlap: ${overlap.error}`);
    assert.ok(overlap.session, "the TLS session to resume later");
    const webLeafNew = await client(`spiffe://${TD}/service/web`);

    // --- Removal: the old root leaves the bundle; old-root leaves are refused, resumption included.
    await rotate("--finish");
    await eventually(async () => !(await probe({ ...webLeafOld, ca: newRoot })).ok, "the old root to be removed from echo's trust bundle", 30_000, 500);
    const fresh = await probe({ ...webLeafOld, ca: newRoot });
    assert.equal(fresh.ok, false, "a new connection with an old-root leaf is refused");
    const resumed = await probe({ ...webLeafOld, ca: newRoot, session: overlap.session });
    assert.equal(resumed.ok, false, `resuming a session established under the old root is refused too (resumed: ${resumed.resumed})`);
    const good = await probe({ ...webLeafNew, ca: newRoot });
    assert.ok(good.ok, `a new-root client is accepted: ${good.error}`);
    const rotationReplies = await loop2.stop();
    const rotation = tally(rotationReplies);
    // R17: the rollout (trust, then new leaves, then the pruned bundle, each after every proxy ACKed) drops nothing.
    t.diagnostic(`root rotation (overlap and removal): ${rotation.total} requests, ${rotation.failed} failed ${JSON.stringify(rotation.byStatus)}`);
    const failures = rotationReplies.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.error ?? r.body.slice(0, 200)}`);
    assert.equal(rotation.failed, 0, `no request may fail across the root rotation: ${JSON.stringify(failures.slice(0, 5))}`);
    assert.ok(rotation.total > 20, "traffic flowed across the root rotation");
    const afterRoot = tally(await Promise.all(Array.from({ length: 20 }, () => send({ port: P.web.outbound, path: "/", host: "echo", timeoutMs: 10_000 }))));
    assert.equal(afterRoot.ok, 20, `mesh traffic works after the root rotation: ${JSON.stringify(afterRoot.byStatus)}`);
    assert.doesNotMatch(procs.tails(), /PRIVATE KEY/);
  });
});
