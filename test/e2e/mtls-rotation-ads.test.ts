// A root rotation with authenticated ADS (`meshc serve --ca` without --insecure) and an Envoy started from
// `meshc bootstrap --ca` files, ports 28300-28339 on 127.0.0.1. The documented procedure must never cut the proxy
// off the control plane:
//   1. `meshc ca rotate`: the proxy's bootstrap trust file (web.xds-ca.pem) holds only the old root, so the xDS
//      server must keep presenting a certificate from the old root. The server ends connections after 4 s
//      (--max-connection-age), so the proxy re-handshakes several times during the overlap: every handshake must
//      verify, the proxy stays connected and a mesh.ts change still reaches it.
//   2. the step between: `meshc bootstrap --ca` again (new-root client certificate, both roots in the trust file)
//      and a restart of the Envoy (it reads those files at start only).
//   3. `meshc ca rotate --finish`: the server now presents a new-root certificate and trusts only the new root;
//      the re-bootstrapped proxy keeps reconnecting fine and a further change reaches it.
// Before the fix, serve re-issued its server certificate from the new root within a second of step 1, and the
// proxy's next handshake failed (cluster.xds_cluster.ssl.fail_verify_error) for good.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { test } from "node:test";
import { credentialFilesFor } from "../../src/pki/bootstrap-credential.js";
import { initCa, loadCa } from "../../src/pki/ca-dir.js";
import { requireEnvoy } from "../helpers/envoy.js";
import { envoyStats, waitEnvoyReady } from "./lib/envoy-admin.js";
import { getText } from "./lib/http.js";
import { startServe, waitServeReady } from "./lib/meshc.js";
import { eventually, runMeshc, type Proc, type Procs } from "./lib/procs.js";
import { inWorkspace } from "./lib/workspace.js";

const B = 28300;
const P = { xds: B, admin: B + 1, web: { inbound: B + 10, app: B + 11, admin: B + 12, outbound: B + 13 }, echo: { inbound: B + 20, app: B + 21 }, extra: { inbound: B + 30, app: B + 31 } };
const TD = "rotads.example";

/** web calls echo and `extra<n>`: each n is a configuration change web's CDS shows. */
function mesh(n: number): string {
  return `import { defineMesh, http } from "meshc";
export default defineMesh({ name: "rotads", trustDomain: "${TD}", mtls: "strict" }, (mesh) => {
  const echo = mesh.service("echo", { ports: { http: http(${P.echo.inbound}, { app: ${P.echo.app} }) }, instances: ["127.0.0.1:${P.echo.inbound}"], sidecar: { adminPort: ${B + 22}, outboundPort: ${B + 23}, inboundAddress: "127.0.0.1" } });
  const extra = mesh.service("extra${n}", { ports: { http: http(${P.extra.inbound}, { app: ${P.extra.app} }) }, instances: ["127.0.0.1:${P.extra.inbound}"], sidecar: { adminPort: ${B + 32}, outboundPort: ${B + 33}, inboundAddress: "127.0.0.1" } });
  mesh.service("web", {
    ports: { http: http(${P.web.inbound}, { app: ${P.web.app} }) },
    instances: ["127.0.0.1:${P.web.inbound}"],
    calls: [echo, extra],
    sidecar: { adminPort: ${P.web.admin}, outboundPort: ${P.web.outbound}, inboundAddress: "127.0.0.1" },
  });
});
`;
}

/** The certificate the xDS server presents now (its chain is not checked here: only who signed it). */
function serverCertificate(): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: "127.0.0.1", port: P.xds, rejectUnauthorized: false, ALPNProtocols: ["h2"] }, () => {
      const c = s.getPeerX509Certificate();
      s.destroy();
      if (c) resolve(c);
      else reject(new Error("no server certificate"));
    });
    s.on("error", reject);
  });
}

test("e2e root rotation with authenticated ADS: the bootstrapped proxy never loses the control plane", { timeout: 300_000 }, async (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  await inWorkspace(t, "meshc-rotads-", async ({ dir, procs }) => {
    const caDir = join(dir, "ca");
    await initCa(caDir, { trustDomain: TD });
    const meshPath = join(dir, "mesh.ts");
    writeFileSync(meshPath, mesh(1));
    const serve = startServe(procs, { mesh: meshPath, xdsPort: P.xds, adminPort: P.admin, extraArgs: ["--ca", caDir, "--max-connection-age", "4s", "--max-connection-age-grace", "1s"] });
    await waitServeReady(P.admin, serve);

    const yaml = join(dir, "boot", "web.yaml");
    const bootstrap = async () => {
      const r = await runMeshc(["bootstrap", meshPath, "--service", "web", "--instance", "web-1", "--ca", caDir, "--out", yaml, "--xds", `127.0.0.1:${P.xds}`]);
      assert.equal(r.status, 0, r.stderr);
    };
    const startEnvoy = (n: number): Proc => (procs as Procs).start({ name: `envoy-web-${n}`, cmd: envoy, args: ["-c", yaml, "--concurrency", "1", "--use-dynamic-base-id", "--log-level", "info"] });
    await bootstrap();
    let web = startEnvoy(1);
    await waitEnvoyReady(P.web.admin, "envoy web", 60_000, web);

    const xdsStats = async () => {
      const s = await envoyStats(P.web.admin, "^(cluster\\.xds_cluster\\.ssl\\.|control_plane\\.connected_state)");
      return { handshakes: s["cluster.xds_cluster.ssl.handshake"] ?? 0, verifyErrors: s["cluster.xds_cluster.ssl.fail_verify_error"] ?? 0, connected: s["control_plane.connected_state"] ?? 0 };
    };
    const hasCluster = async (name: string) => (await getText(P.web.admin, "/clusters")).includes(`||${name}::`);
    /** Several handshakes after `since` (the server ends connections every 4 s), none failing, then a change arrives. */
    const staysConnected = async (step: string, n: number) => {
      const before = await xdsStats();
      await eventually(async () => (await xdsStats()).handshakes >= before.handshakes + 2, `${step}: web to re-handshake with the xDS server twice`, 40_000, 250);
      const after = await xdsStats();
      assert.equal(after.verifyErrors, before.verifyErrors, `${step}: no xDS handshake may fail verification\n${procs.tails()}`);
      writeFileSync(meshPath, mesh(n));
      await eventually(async () => (await hasCluster(`extra${n}`)) && (await xdsStats()).connected === 1, `${step}: the change (cluster extra${n}) to reach web, connected`, 30_000, 250);
      t.diagnostic(`${step}: ${after.handshakes - before.handshakes} handshakes, all verified; extra${n} arrived`);
    };
    assert.ok(await hasCluster("extra1"));
    const root1 = new X509Certificate((await loadCa(caDir)).bundle[0]!);

    // 1. Overlap: the proxy still trusts only the old root; the server keeps an old-root certificate.
    const rotate = await runMeshc(["ca", "rotate", "--ca", caDir]);
    assert.equal(rotate.status, 0, rotate.stderr);
    assert.deepEqual(readFileSync(credentialFilesFor(yaml).ca, "utf8").match(/BEGIN CERTIFICATE/g)?.length, 1, "the proxy's trust file holds the old root only");
    await staysConnected("after `meshc ca rotate`", 2);
    assert.ok((await serverCertificate()).verify(root1.publicKey), "during the overlap the xDS server presents an old-root certificate");
    assert.match(rotate.stderr, /meshc bootstrap/, "rotate says what to do with bootstrap files before --finish");

    // 2. Re-bootstrap (new-root client certificate, both roots trusted) and restart the proxy.
    await bootstrap();
    await web.stop();
    web = startEnvoy(2);
    await waitEnvoyReady(P.web.admin, "envoy web (re-bootstrapped)", 60_000, web);

    // 3. Finish: new-root server certificate, new root only trusted; the re-bootstrapped proxy keeps working.
    const finish = await runMeshc(["ca", "rotate", "--ca", caDir, "--finish"]);
    assert.equal(finish.status, 0, finish.stderr);
    const root2 = new X509Certificate((await loadCa(caDir)).bundle[0]!);
    await eventually(async () => (await serverCertificate()).verify(root2.publicKey), "the xDS server to present a new-root certificate after --finish", 20_000, 250);
    await staysConnected("after `meshc ca rotate --finish`", 3);
    assert.doesNotMatch(serve.tail(200), /PRIVATE KEY/);
  });
});
