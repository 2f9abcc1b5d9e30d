// End-to-end SDS over Delta xDS (issue 8): two real Envoy 1.40 sidecars bootstrapped for delta ADS (`meshc run
// --delta`) against `meshc serve --ca`. Asserted:
//   - both streams are Delta (/debug/proxies), every type including secrets is ACKed, and web -> echo succeeds over
//     strict mTLS (echo's app sees web's SPIFFE ID in x-forwarded-client-cert);
//   - the certificate echo's inbound presents carries echo's SPIFFE ID and chains to the mesh root;
//   - leaf rotation (lifetime 20 s, rotation at 50 %) arrives over Delta: the presented serial changes at least
//     twice, Envoy counts SDS context updates, and traffic running across the rotations loses no request;
//   - a root rotation (`meshc ca rotate`) arrives too: echo presents a leaf from the new root, traffic still flows.
// Ports 19660-19689.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { test } from "node:test";
import { initCa, loadCa } from "../../src/pki/ca-dir.js";
import { issueLeaf } from "../../src/pki/x509.js";
import { startHttpApp } from "../apps/http-app.js";
import { requireEnvoy } from "../helpers/envoy.js";
import { envoyStats, waitEnvoyReady } from "./lib/envoy-admin.js";
import { send, tally, trafficLoop } from "./lib/http.js";
import { proxies, startServe, startSidecar, waitConverged, waitServeReady } from "./lib/meshc.js";
import { eventually, runMeshc, sleep } from "./lib/procs.js";
import { inWorkspace } from "./lib/workspace.js";
import { webEchoMesh } from "./lib/web-echo-mesh.js";

const B = 19660;
const P = {
  xds: B, admin: B + 1,
  web: { inbound: B + 10, app: B + 11, admin: B + 12, outbound: B + 13 },
  echo: { inbound: B + 20, app: B + 21, admin: B + 22, outbound: B + 23 },
};
const TD = "delta.example";

const MESH = webEchoMesh(P, `{ name: "dl", trustDomain: "${TD}", mtls: "strict", certificates: { leafLifetime: "20s", rotateAt: 50 } }`);

/** The certificate echo's inbound presents to an mTLS client (undefined when the handshake fails). */
function presented(o: { cert: string; key: string; ca: string }): Promise<X509Certificate | undefined> {
  return new Promise((resolve) => {
    const s = tlsConnect({ host: "127.0.0.1", port: P.echo.inbound, cert: o.cert, key: o.key, ca: o.ca, checkServerIdentity: () => undefined }, () => {
      const peer = s.getPeerX509Certificate();
      s.end();
      resolve(peer);
    });
    s.setTimeout(5000, () => s.destroy(new Error("timeout")));
    s.on("error", () => resolve(undefined));
  });
}

test("e2e mTLS over Delta xDS: sidecars get, use and rotate their certificates over delta SDS (R17)", { timeout: 300_000 }, async (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  await inWorkspace(t, "meshc-e2e-dmtls-", async ({ dir, procs, closeLater }) => {
    const caDir = join(dir, "ca");
    await initCa(caDir, { trustDomain: TD });
    const meshPath = join(dir, "mesh.ts");
    writeFileSync(meshPath, MESH);
    closeLater(await startHttpApp({ service: "echo", version: "v1", port: P.echo.app }));
    const serve = startServe(procs, { mesh: meshPath, xdsPort: P.xds, adminPort: P.admin, extraArgs: ["--ca", caDir, "--insecure"] }); // plaintext ADS: the authenticated control plane is test/e2e/xds-auth.test.ts
    await waitServeReady(P.admin, serve);
    const web = startSidecar(procs, { mesh: meshPath, service: "web", instance: "web-1", xdsPort: P.xds, envoy, delta: true });
    const echo = startSidecar(procs, { mesh: meshPath, service: "echo", instance: "echo-1", xdsPort: P.xds, envoy, delta: true });
    await waitEnvoyReady(P.web.admin, "sidecar web", 60_000, web);
    await waitEnvoyReady(P.echo.admin, "sidecar echo", 60_000, echo);
    const acked = await waitConverged(P.admin, { "web-1": "web", "echo-1": "echo" });
    const streams = await proxies(P.admin);
    assert.deepEqual(streams.map((s) => [s.node.id, s.api]).sort(), [["echo-1", "delta"], ["web-1", "delta"]]);
    assert.ok(acked["echo-1"]?.secret && acked["web-1"]?.secret, `secrets ACKed over delta: ${JSON.stringify(acked)}`);

    const ca = await loadCa(caDir);
    const root = new X509Certificate(ca.bundle[0]!);
    const l = await issueLeaf(ca.authority, { spiffeId: `spiffe://${TD}/service/web`, keyAlgorithm: "ecdsa-p256", lifetimeMs: 3_600_000 });
    const client = { cert: l.cert.pem, key: l.key.reveal(), ca: ca.bundle.join("") };
    const first = await presented(client);
    assert.ok(first, "echo's inbound completes an mTLS handshake");
    assert.equal(first.subjectAltName, `URI:spiffe://${TD}/service/echo`);
    assert.ok(first.verify(root.publicKey), "echo's leaf chains to the mesh root");

    const r = await send({ port: P.web.outbound, path: "/", host: "echo", timeoutMs: 10_000 });
    assert.equal(r.status, 200, JSON.stringify(r));
    assert.match(String(r.json?.headers?.["x-forwarded-client-cert"] ?? JSON.stringify(r.json)), new RegExp(`URI=spiffe://${TD.replace(".", "\\.")}/service/web`));

    // Leaf rotation over Delta under traffic.
    const sdsUpdates = async () =>
      Object.entries(await envoyStats(P.echo.admin, "ssl_context_update_by_sds")).filter(([k]) => k.startsWith("listener.")).reduce((a, [, v]) => a + v, 0);
    const updates0 = await sdsUpdates();
    const serials = new Set([first.serialNumber]);
    const loop = trafficLoop(() => ({ port: P.web.outbound, path: "/", host: "echo", timeoutMs: 10_000 }), 2, 20);
    await eventually(async () => {
      const p = await presented(client);
      if (p) serials.add(p.serialNumber);
      return serials.size >= 3;
    }, "echo to present two rotated leaves (delta SDS pushes)", 90_000, 1000);
    const updates = (await sdsUpdates()) - updates0;
    assert.ok(updates >= 2, `Envoy applied the rotated leaves (${updates} SDS context updates)`);

    // A root rotation arrives over Delta too.
    // Asynchronously: this process serves echo's app and runs the traffic loop (see runMeshc).
    const rr = await runMeshc(["ca", "rotate", "--ca", caDir]);
    assert.equal(rr.status, 0, rr.stderr);
    const newCa = await loadCa(caDir);
    const newRoot = new X509Certificate(newCa.authority.cert.toString("pem"));
    await eventually(async () => (await presented({ ...client, ca: newCa.bundle.join("") }))?.verify(newRoot.publicKey), "echo to present a leaf from the new root", 60_000, 500);
    await sleep(1000);
    const during = tally(await loop.stop());
    t.diagnostic(`delta: ${serials.size} serials presented, ${updates} SDS updates; ${during.total} requests across leaf and root rotations, ${during.failed} failed`);
    assert.equal(during.failed, 0, `no request lost across rotations over Delta: ${JSON.stringify(during.byStatus)}`);
    assert.ok(during.total > 50, "traffic flowed");
    const after = await proxies(P.admin);
    assert.ok(after.every((s) => s.api === "delta" && s.nacks === 0), `no NACKs: ${JSON.stringify(after.map((s) => [s.node.id, s.nacks, s.lastNack]))}`);
    assert.doesNotMatch(procs.tails(), /PRIVATE KEY/);
  });
});
