// Authenticated control plane (issue 9 test 4; R9, R10) against `meshc serve --ca` (ADS over TLS by default), ports
// 22700-22739 on 127.0.0.1:
//   - legitimate proxies: real Envoy sidecars started by `meshc run --ca` (web on SotW, echo on Delta) present their
//     bootstrap credential, are served, and route web -> echo through mTLS;
//   - `meshc bootstrap --ca --out` writes the credential beside the bootstrap, key 0600, and pins the server's ID;
//   - a wire-level client (grpc-js, TLS with web's bootstrap credential) asking for echo's config, or for echo's
//     secrets, is refused with PERMISSION_DENIED on SotW and Delta; the refusal is logged with the claimed and the
//     verified identity and counted in meshc_xds_auth_denied_total{reason="identity_mismatch"};
//   - a TLS client without a certificate, and one whose certificate comes from another CA, get UNAUTHENTICATED;
//     a plaintext client gets no configuration at all (R10);
//   - the same credential asking as its own service is served, and receives its own secrets only.
import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { credentials, status as GrpcStatus, type ChannelCredentials } from "@grpc/grpc-js";
import { credentialFilesFor, xdsServerIdentity } from "../../src/pki/bootstrap-credential.js";
import { initCa } from "../../src/pki/ca-dir.js";
import { createRoot, issueLeaf, loadAuthority } from "../../src/pki/x509.js";
import { TYPE_URLS } from "../../src/snapshot/types.js";
import { startHttpApp } from "../apps/http-app.js";
import { requireEnvoy } from "../helpers/envoy.js";
import { AdsTestClient, dreq, node, sreq } from "../xds/ads-client.js";
import { waitEnvoyReady } from "./lib/envoy-admin.js";
import { send } from "./lib/http.js";
import { startServe, startSidecar, waitConverged, waitServeReady } from "./lib/meshc.js";
import { eventually, meshcCommand } from "./lib/procs.js";
import { spawnSync } from "node:child_process";
import { inWorkspace } from "./lib/workspace.js";
import { webEchoMesh } from "./lib/web-echo-mesh.js";

const B = 22700;
const P = {
  xds: B, admin: B + 1,
  web: { inbound: B + 10, app: B + 11, admin: B + 12, outbound: B + 13 },
  echo: { inbound: B + 20, app: B + 21, admin: B + 22, outbound: B + 23 },
};
const TD = "auth.example";
const id = (s: string) => `spiffe://${TD}/service/${s}`;

function meshSource(): string {
  return webEchoMesh(P, `{ name: "authn", trustDomain: "${TD}", mtls: "strict" }`);
}

/** grpc-js TLS credentials that pin the xDS server's SPIFFE ID (its certificate has no DNS name). */
function tlsCreds(ca: string, client?: { cert: string; key: string }): ChannelCredentials {
  const want = xdsServerIdentity(TD);
  return credentials.createSsl(Buffer.from(ca), client ? Buffer.from(client.key) : null, client ? Buffer.from(client.cert) : null, {
    checkServerIdentity: (_host, cert) => (cert.subjectaltname === `URI:${want}` ? undefined : new Error(`xDS server presented ${cert.subjectaltname}, want URI:${want}`)),
  });
}

test("e2e authenticated ADS: bootstrap credentials, identity binding, refusals (R9, R10)", { timeout: 240_000 }, async (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  await inWorkspace(t, "meshc-xds-auth-", async ({ dir, procs, closeLater }) => {
    const caDir = join(dir, "ca");
    await initCa(caDir, { trustDomain: TD });
    const meshPath = join(dir, "mesh.ts");
    writeFileSync(meshPath, meshSource());
    closeLater(await startHttpApp({ service: "echo", version: "v1", port: P.echo.app }));

    const serve = startServe(procs, { mesh: meshPath, xdsPort: P.xds, adminPort: P.admin, extraArgs: ["--ca", caDir] });
    await waitServeReady(P.admin, serve);

    // --- Legitimate Envoy sidecars with their bootstrap credentials: served, and traffic flows (SotW and Delta).
    const sidecars = {
      web: startSidecar(procs, { mesh: meshPath, service: "web", instance: "web-1", xdsPort: P.xds, envoy, runArgs: ["--ca", caDir] }),
      echo: startSidecar(procs, { mesh: meshPath, service: "echo", instance: "echo-1", xdsPort: P.xds, envoy, delta: true, runArgs: ["--ca", caDir] }),
    };
    await waitEnvoyReady(P.web.admin, "sidecar web", 60_000, sidecars.web);
    await waitEnvoyReady(P.echo.admin, "sidecar echo", 60_000, sidecars.echo);
    await waitConverged(P.admin, { "web-1": "web", "echo-1": "echo" });
    const ok = await eventually(async () => {
      const r = await send({ port: P.web.outbound, path: "/hello", host: "echo", timeoutMs: 10_000 });
      return r.status === 200 ? r : undefined;
    }, "web -> echo through the sidecars", 30_000, 300);
    assert.equal(ok.status, 200);

    // --- `meshc bootstrap --ca --out`: credential files beside the bootstrap, key 0600, server ID pinned.
    const out = join(dir, "web-bootstrap.yaml");
    const c = meshcCommand(["bootstrap", meshPath, "--service", "web", "--xds", `127.0.0.1:${P.xds}`, "--ca", caDir, "--out", out]);
    const r = spawnSync(c.cmd, c.args, { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const files = credentialFilesFor(out);
    assert.equal(statSync(files.key).mode & 0o777, 0o600, "the credential's key is 0600");
    const bootstrap = readFileSync(out, "utf8");
    assert.match(bootstrap, /UpstreamTlsContext/);
    assert.ok(bootstrap.includes(xdsServerIdentity(TD)), "the bootstrap pins the xDS server's SPIFFE ID");
    assert.doesNotMatch(bootstrap, /PRIVATE KEY/, "the key is in its own file, not in the bootstrap");
    const webCred = { cert: readFileSync(files.cert, "utf8"), key: readFileSync(files.key, "utf8") };
    const bundle = readFileSync(files.ca, "utf8");
    const addr = `127.0.0.1:${P.xds}`;

    // --- web's credential, claiming echo: PERMISSION_DENIED, SotW and Delta, for config and for secrets.
    for (const [api, typeUrl] of [["sotw", TYPE_URLS.listener], ["sotw", TYPE_URLS.secret], ["delta", TYPE_URLS.cluster], ["delta", TYPE_URLS.secret]] as const) {
      const client = api === "sotw" ? AdsTestClient.sotw(addr, 30_000, tlsCreds(bundle, webCred)) : AdsTestClient.delta(addr, 30_000, tlsCreds(bundle, webCred));
      if (api === "sotw") (client as ReturnType<typeof AdsTestClient.sotw>).send(sreq(typeUrl, { node: node("echo", `spoof-${api}`), resourceNames: typeUrl === TYPE_URLS.secret ? ["default"] : [] }));
      else (client as ReturnType<typeof AdsTestClient.delta>).send(dreq(typeUrl, { node: node("echo", `spoof-${api}`), subscribe: typeUrl === TYPE_URLS.secret ? ["default"] : [] }));
      const st = await client.status(15_000);
      assert.equal(st.code, GrpcStatus.PERMISSION_DENIED, `${api} ${typeUrl}: ${st.code} ${st.details}`);
      assert.match(st.details, new RegExp(`${id("web").replace(/[./]/g, "\\$&")} may not receive the configuration of service "echo"`));
      client.close();
    }
    // The refusal is logged with claimed and verified identities (never a key) and counted.
    const logLine = await eventually(() => serve.tail(400).split("\n").find((l) => l.includes("client identity does not match") && l.includes("spoof-delta")), "the refusal log line", 10_000);
    assert.match(logLine, new RegExp(`"claimedIdentity":"${id("echo")}"`));
    assert.match(logLine, new RegExp(`"verifiedIdentity":"${id("web")}"`));
    assert.doesNotMatch(serve.tail(2000), /PRIVATE KEY/);
    const metric = (text: string, reason: string, api: string) => Number(new RegExp(`^meshc_xds_auth_denied_total\\{reason="${reason}",api="${api}"\\} (\\d+)`, "m").exec(text)?.[1] ?? 0);
    let metrics = (await send({ port: P.admin, path: "/metrics" })).body;
    assert.equal(metric(metrics, "identity_mismatch", "sotw"), 2, metrics.split("\n").filter((l) => l.includes("auth_denied")).join("\n"));
    assert.equal(metric(metrics, "identity_mismatch", "delta"), 2);

    // --- No client certificate: UNAUTHENTICATED (SotW and Delta).
    const anonS = AdsTestClient.sotw(addr, 30_000, tlsCreds(bundle));
    anonS.send(sreq(TYPE_URLS.cluster, { node: node("web", "anon") }));
    assert.equal((await anonS.status(15_000)).code, GrpcStatus.UNAUTHENTICATED);
    anonS.close();
    const anonD = AdsTestClient.delta(addr, 30_000, tlsCreds(bundle));
    anonD.send(dreq(TYPE_URLS.cluster, { node: node("web", "anon") }));
    assert.equal((await anonD.status(15_000)).code, GrpcStatus.UNAUTHENTICATED);
    anonD.close();

    // --- A certificate for web's identity from another CA: not verified, UNAUTHENTICATED.
    const rogueRoot = await createRoot({ commonName: "rogue", keyAlgorithm: "ecdsa-p256", lifetimeMs: 3_600_000 });
    const rogueCa = await loadAuthority(rogueRoot.cert.pem, rogueRoot.key);
    const rogueLeaf = await issueLeaf(rogueCa, { spiffeId: id("web"), keyAlgorithm: "ecdsa-p256", lifetimeMs: 3_600_000 });
    const rogue = AdsTestClient.sotw(addr, 30_000, tlsCreds(bundle, { cert: rogueLeaf.cert.pem, key: rogueLeaf.key.reveal() }));
    rogue.send(sreq(TYPE_URLS.cluster, { node: node("web", "rogue") }));
    const rogueStatus = await rogue.status(15_000);
    assert.ok([GrpcStatus.UNAUTHENTICATED, GrpcStatus.UNAVAILABLE].includes(rogueStatus.code), `rogue: ${rogueStatus.code} ${rogueStatus.details}`);
    assert.ok(await rogue.next(500).then(() => false, () => true), "no configuration for a foreign certificate");
    rogue.close();

    // --- R10: plaintext ADS gets nothing.
    const plain = AdsTestClient.sotw(addr, 10_000);
    plain.send(sreq(TYPE_URLS.listener, { node: node("web", "plain") }));
    await assert.rejects(plain.next(5000), "plaintext ADS gets no configuration");
    plain.close();
    // ...nor on the admin port (R10: every port, debug/admin included).
    const onAdmin = AdsTestClient.sotw(`127.0.0.1:${P.admin}`, 10_000);
    onAdmin.send(sreq(TYPE_URLS.listener, { node: node("web", "plain-admin") }));
    await assert.rejects(onAdmin.next(5000), "ADS on the admin port gets no configuration");
    onAdmin.close();
    metrics = (await send({ port: P.admin, path: "/metrics" })).body;
    assert.ok(metric(metrics, "no_client_certificate", "sotw") >= 1 && metric(metrics, "no_client_certificate", "delta") >= 1, "unauthenticated attempts are counted");

    // --- The same credential as its own service: served, and its secrets are its own.
    const own = AdsTestClient.sotw(addr, 30_000, tlsCreds(bundle, webCred));
    own.send(sreq(TYPE_URLS.secret, { node: node("web", "own"), resourceNames: ["default", "ROOTCA"] }));
    const secrets = await own.next(15_000);
    assert.deepEqual(secrets.resources.map((x) => x.name).sort(), ["ROOTCA", "default"]);
    const leafText = Buffer.from(secrets.resources.find((x) => x.name === "default")!.bytes).toString("latin1");
    assert.ok(leafText.includes("BEGIN CERTIFICATE"));
    own.close();
  });
});

