// End-to-end mutual TLS (issue 8) with real Envoy 1.40 sidecars (`meshc run`) against `meshc serve --ca`, all on
// 127.0.0.1, ports 19700-19749:
//   1. strict: web -> echo through two sidecars succeeds; a plaintext connection straight to echo's inbound port
//      fails the handshake; the certificate echo's inbound port presents (read with Node's tls) carries echo's
//      SPIFFE URI SAN and chains to the mesh root; echo's app sees web's SPIFFE ID in x-forwarded-client-cert.
//   2. permissive: plaintext and mTLS callers both succeed on echo's permissive port and Envoy's stats count each.
//   3. SAN mismatch (R16): an upstream presenting a mesh certificate with another identity is refused by web's
//      sidecar; the same upstream with the expected identity is accepted.
//   6. secrets scoping on the wire (R17, "SDS only to the owning proxy"): a test ADS client speaking as web
//      receives web's leaf and the bundle only, never echo's key, whatever names it asks for.
import assert from "node:assert/strict";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { type TLSSocket } from "node:tls";
import { createServer as createHttpsServer } from "node:https";
import { test } from "node:test";
import { decodeMessage } from "../../src/backends/envoy/api/codec.js";
import { CA_FILES, initCa, loadCa } from "../../src/pki/ca-dir.js";
import { issueLeaf } from "../../src/pki/x509.js";
import { TYPE_URLS } from "../../src/snapshot/types.js";
import { startHttpApp } from "../apps/http-app.js";
import { requireEnvoy } from "../helpers/envoy.js";
import { AdsTestClient, node, sreq } from "../xds/ads-client.js";
import { envoyStats, waitEnvoyReady } from "./lib/envoy-admin.js";
import { send } from "./lib/http.js";
import { startServe, startSidecar, waitConverged, waitServeReady } from "./lib/meshc.js";
import { inWorkspace } from "./lib/workspace.js";

const B = 19700;
const P = {
  xds: B, admin: B + 1,
  web: { inbound: B + 10, app: B + 11, admin: B + 12, outbound: B + 13 },
  echo: { strict: B + 20, app: B + 21, admin: B + 22, outbound: B + 23, permissive: B + 30, app2: B + 31 },
  fake: { port: B + 40 },
};
const TD = "e2e.example";
const id = (s: string) => `spiffe://${TD}/service/${s}`;

function meshSource(): string {
  return `import { defineMesh, http } from "meshc";
export default defineMesh({ name: "sec", trustDomain: "${TD}", mtls: "strict" }, (mesh) => {
  const echo = mesh.service("echo", {
    ports: { http: http(${P.echo.strict}, { app: ${P.echo.app} }), open: http(${P.echo.permissive}, { app: ${P.echo.app2}, mtls: "permissive" }) },
    instances: [{ address: "127.0.0.1" }],
    sidecar: { adminPort: ${P.echo.admin}, outboundPort: ${P.echo.outbound}, inboundAddress: "127.0.0.1" },
  });
  // No sidecar runs for "fake": the test serves its port with Node TLS and chooses the identity it presents.
  const fake = mesh.service("fake", { ports: { http: http(${P.fake.port}, { app: ${P.fake.port + 1} }) }, instances: ["127.0.0.1:${P.fake.port}"],
    sidecar: { adminPort: ${P.fake.port + 2}, outboundPort: ${P.fake.port + 3}, inboundAddress: "127.0.0.1" } });
  mesh.service("web", {
    ports: { http: http(${P.web.inbound}, { app: ${P.web.app} }) },
    instances: ["127.0.0.1:${P.web.inbound}"],
    calls: [echo, fake],
    sidecar: { adminPort: ${P.web.admin}, outboundPort: ${P.web.outbound}, inboundAddress: "127.0.0.1" },
  });
});
`;
}

/** One HTTPS request with a client certificate; resolves with the status and the peer certificate. */
function mtlsGet(port: number, o: { cert: string; key: string; ca: string }): Promise<{ status: number; body: string; peer: X509Certificate; authorized: boolean }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: "127.0.0.1", port, path: "/", cert: o.cert, key: o.key, ca: o.ca, checkServerIdentity: () => undefined, agent: false }, (res) => {
      const sock = res.socket as TLSSocket;
      const peer = sock.getPeerX509Certificate()!;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), peer, authorized: sock.authorized }));
    });
    req.on("error", reject);
    req.setTimeout(10_000, () => req.destroy(new Error("timeout")));
    req.end();
  });
}

test("e2e mTLS: strict, permissive, SAN mismatch (R16), SDS scoping (R17)", { timeout: 240_000 }, async (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  let fakeServer: ReturnType<typeof createHttpsServer> | undefined;
  await inWorkspace(t, "meshc-mtls-", async ({ dir, procs, closeLater }) => {
    closeLater({
      async close() {
        fakeServer?.close();
      },
    });
    const caDir = join(dir, "ca");
    await initCa(caDir, { trustDomain: TD });
    const ca = await loadCa(caDir);
    const rootPem = readFileSync(join(caDir, CA_FILES.bundle), "utf8");
    const meshPath = join(dir, "mesh.ts");
    writeFileSync(meshPath, meshSource());
    closeLater(await startHttpApp({ service: "echo", version: "v1", port: P.echo.app }));
    closeLater(await startHttpApp({ service: "echo", version: "open", port: P.echo.app2 }));

    // The "fake" upstream: HTTPS with client certs required, presenting whichever identity the test picks.
    const leafFor = async (spiffeId: string) => {
      const l = await issueLeaf(ca.authority, { spiffeId, keyAlgorithm: "ecdsa-p256", lifetimeMs: 3_600_000 });
      return { cert: l.cert.pem, key: l.key.reveal() };
    };
    const impostor = await leafFor(id("impostor"));
    fakeServer = createHttpsServer({ ...impostor, ca: rootPem, requestCert: true, rejectUnauthorized: true }, (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("fake");
    });
    await new Promise<void>((r) => fakeServer!.listen(P.fake.port, "127.0.0.1", r));

    const serve = startServe(procs, { mesh: meshPath, xdsPort: P.xds, adminPort: P.admin, extraArgs: ["--ca", caDir, "--insecure"] });
    await waitServeReady(P.admin, serve);
    const sidecars = { web: startSidecar(procs, { mesh: meshPath, service: "web", instance: "web-1", xdsPort: P.xds, envoy }), echo: startSidecar(procs, { mesh: meshPath, service: "echo", instance: "echo-1", xdsPort: P.xds, envoy }) };
    await waitEnvoyReady(P.web.admin, "sidecar web", 60_000, sidecars.web);
    await waitEnvoyReady(P.echo.admin, "sidecar echo", 60_000, sidecars.echo);
    await waitConverged(P.admin, { "web-1": "web", "echo-1": "echo" });

    // --- 1. Strict: through two sidecars, the app sees the caller's SPIFFE ID.
    const ok = await send({ port: P.web.outbound, path: "/hello", host: "echo", timeoutMs: 10_000 });
    assert.equal(ok.status, 200, ok.body);
    const xfcc = String(ok.json.headers["x-forwarded-client-cert"] ?? "");
    assert.match(xfcc, new RegExp(`URI=${id("web").replace(/[./]/g, "\\$&")}(;|$)`), `x-forwarded-client-cert: ${xfcc}`);
    // An outside caller's forged header does not survive: the plaintext port sanitizes, the mTLS one overwrites.
    const forged = await send({ port: P.web.outbound, path: "/", host: "echo", headers: { "x-forwarded-client-cert": "URI=spiffe://evil/x" }, timeoutMs: 10_000 });
    assert.doesNotMatch(String(forged.json.headers["x-forwarded-client-cert"]), /evil/);

    // Plaintext straight to the strict inbound port: no HTTP answer, the TLS handshake is all Envoy accepts.
    const plain = await send({ port: P.echo.strict, path: "/", timeoutMs: 5000 });
    assert.equal(plain.status, 0, `plaintext to a strict port must fail, got ${plain.status}`);
    // TLS without a client certificate is refused too.
    await assert.rejects(mtlsGet(P.echo.strict, { cert: "", key: "", ca: rootPem } as never));

    // The certificate the strict port presents: echo's SPIFFE ID, chaining to the mesh root.
    const webLeaf = await leafFor(id("web"));
    const direct = await mtlsGet(P.echo.strict, { ...webLeaf, ca: rootPem });
    assert.equal(direct.status, 200);
    assert.equal(direct.authorized, true, "the presented chain verifies against the mesh root");
    assert.equal(direct.peer.subjectAltName, `URI:${id("echo")}`);
    assert.ok(direct.peer.verify(new X509Certificate(rootPem).publicKey), "signed by the mesh root");

    // --- 2. Permissive: plaintext and mTLS both succeed, and the two chains' stats count each.
    const before = await envoyStats(P.echo.admin, `^http\\.inbound_${P.echo.permissive}`);
    const p1 = await send({ port: P.echo.permissive, path: "/", timeoutMs: 5000 });
    assert.equal(p1.status, 200, p1.body);
    const p2 = await mtlsGet(P.echo.permissive, { ...webLeaf, ca: rootPem });
    assert.equal(p2.status, 200);
    const after = await envoyStats(P.echo.admin, `^http\\.inbound_${P.echo.permissive}`);
    const delta = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
    assert.equal(delta(`http.inbound_${P.echo.permissive}.downstream_rq_total`), 1, "one plaintext request counted");
    assert.equal(delta(`http.inbound_${P.echo.permissive}_mtls.downstream_rq_total`), 1, "one mTLS request counted");

    // --- 3. SAN mismatch (R16): "fake" presents a mesh certificate for another identity: refused.
    const mismatch = await send({ port: P.web.outbound, path: "/", host: "fake", timeoutMs: 10_000 });
    assert.equal(mismatch.status, 503, `an upstream with the wrong identity is refused: ${mismatch.status} ${mismatch.body}`);
    const sslStats = await envoyStats(P.web.admin, `^cluster\\.outbound\\|${P.fake.port}\\|\\|fake\\.ssl`);
    assert.ok((sslStats[`cluster.outbound|${P.fake.port}||fake.ssl.fail_verify_san`] ?? 0) > 0, JSON.stringify(sslStats));
    fakeServer.setSecureContext({ ...(await leafFor(id("fake"))), ca: rootPem });
    const matched = await send({ port: P.web.outbound, path: "/", host: "fake", timeoutMs: 10_000 });
    assert.equal(matched.status, 200, `the expected identity is accepted: ${matched.body}`);

    // --- 6. SDS scoping on the wire (R17): a client speaking as web gets web's leaf and the bundle, nothing of echo's.
    const asEcho = AdsTestClient.sotw(`127.0.0.1:${P.xds}`);
    asEcho.send(sreq(TYPE_URLS.secret, { node: node("echo", "probe-echo"), resourceNames: ["default", "ROOTCA"] }));
    const echoSecrets = (await asEcho.next()).resources;
    asEcho.close();
    const keyOf = (bytes: Uint8Array) => (decodeMessage("envoy.extensions.transport_sockets.tls.v3.Secret", bytes) as any).tls_certificate?.private_key?.inline_string as string | undefined;
    const echoKey = echoSecrets.map((r) => keyOf(r.bytes)).find(Boolean)!;
    assert.match(echoKey, /PRIVATE KEY/);
    const asWeb = AdsTestClient.sotw(`127.0.0.1:${P.xds}`);
    asWeb.send(sreq(TYPE_URLS.secret, { node: node("web", "probe-web"), resourceNames: ["default", "ROOTCA", "echo", id("echo"), "*"] }));
    const got = (await asWeb.next()).resources;
    assert.deepEqual(got.map((r) => r.name).sort(), ["ROOTCA", "default"]);
    const webSecret = decodeMessage("envoy.extensions.transport_sockets.tls.v3.Secret", got.find((r) => r.name === "default")!.bytes) as any;
    const webCert = new X509Certificate(webSecret.tls_certificate.certificate_chain.inline_string);
    assert.equal(webCert.subjectAltName, `URI:${id("web")}`);
    assert.ok(webCert.checkPrivateKey(createPrivateKey(webSecret.tls_certificate.private_key.inline_string)));
    for (const r of got) assert.ok(!Buffer.from(r.bytes).includes(Buffer.from(echoKey.split("\n")[1]!)), "web never receives echo's key");
    assert.equal(await asWeb.next(1500).then(() => "more", () => "none"), "none", "nothing else arrives");
    asWeb.close();

    // /debug/snapshot shows secret names and versions, never keys.
    const debug = await send({ port: P.admin, path: "/debug/snapshot/web" });
    assert.doesNotMatch(debug.body, /PRIVATE KEY|BEGIN CERT/);
    assert.match(debug.body, /"default"/);
    const logs = procs.tails();
    assert.doesNotMatch(logs, /PRIVATE KEY/);
  });
});
