// The overlap's old root reaching its end while `meshc ca rotate` is not finished yet (src/pki/ca-dir.ts,
// src/serve/xds-tls.ts), and "logged once per problem" for a CA that is not valid yet. Before:
//   - from 10 minutes before the old root's end loadCa refused the whole CA: `meshc bootstrap --ca` and `meshc
//     certs` failed, `serve --ca` did not start, and a running serve kept presenting its old-root xDS certificate
//     until it expired, so even proxies bootstrapped again lost the control plane;
//   - the problem's key held the current time ("it is now …"), so the error was logged every retry (10 s / 30 s).
// Now an old root that can no longer issue is left out: the xDS server certificate comes from the new root, with one
// warning naming the proxies still on an old-root credential; its expiry is a gauge series and warnings meanwhile.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { pino, type Logger } from "pino";
import { Registry } from "prom-client";
import { compileMesh } from "../../src/pipeline.js";
import { credentialFilesFor, writeBootstrapCredential } from "../../src/pki/bootstrap-credential.js";
import { CA_FILES, initCa, loadCa, rotateCa } from "../../src/pki/ca-dir.js";
import { certificatePlan } from "../../src/pki/plan.js";
import { createRoot, issueLeaf, loadAuthority, type Issued } from "../../src/pki/x509.js";
import { CertificateManager } from "../../src/serve/certificates.js";
import { XdsServerTls } from "../../src/serve/xds-tls.js";
import type { ProxyStatus } from "../../src/xds/stream.js";
import { replaceRoot, sha256Of } from "../helpers/ca-files.js";

const work = mkdtempSync(join(tmpdir(), "meshc-ca-old-root-"));
after(() => rmSync(work, { recursive: true, force: true }));
const MIN = 60_000;
const HOUR = 3_600_000;
const read = (dir: string, f: string) => readFileSync(join(dir, f), "utf8");

function capture(): { logger: Logger; lines: { level: number; msg: string; err?: string; proxies?: string[]; role?: string }[] } {
  const lines: { level: number; msg: string; err?: string }[] = [];
  const logger: Logger = pino({ level: "info" }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}

/** A CA rotated from a root that lives `lifetimeMs` from now: the overlap keeps it as the old root. */
async function overlapFrom(name: string, lifetimeMs: number): Promise<{ dir: string; oldRoot: Issued }> {
  const dir = join(work, name);
  await initCa(dir, { trustDomain: "ex.example" });
  const oldRoot = await createRoot({ commonName: `old ${name}`, keyAlgorithm: "ecdsa-p256", lifetimeMs });
  replaceRoot(dir, oldRoot);
  await rotateCa(dir);
  assert.equal(sha256Of(read(dir, CA_FILES.previousCert)), sha256Of(oldRoot.cert.pem), "kept as the old root");
  return { dir, oldRoot };
}

/** The overlap of `dir` with its old root replaced by one that has `leftMs` to live now (time has passed). */
async function ageOldRoot(dir: string, leftMs: number): Promise<Issued> {
  const aged = await createRoot({ commonName: "aged old root", keyAlgorithm: "ecdsa-p256", lifetimeMs: 25 * MIN, now: new Date(Date.now() - 25 * MIN + leftMs) });
  writeFileSync(join(dir, CA_FILES.previousCert), aged.cert.pem);
  writeFileSync(join(dir, CA_FILES.previousKey), aged.key.reveal(), { mode: 0o600 });
  writeFileSync(join(dir, CA_FILES.bundle), read(dir, CA_FILES.cert) + aged.cert.pem);
  const meta = JSON.parse(read(dir, CA_FILES.meta)) as Record<string, unknown>;
  writeFileSync(join(dir, CA_FILES.meta), JSON.stringify({ ...meta, previous: sha256Of(aged.cert.pem) }));
  return aged;
}

const serverCert = (tls: XdsServerTls) => new X509Certificate(String(tls.secureContext()!.cert));
const signedBy = (cert: X509Certificate, pem: string) => cert.verify(new X509Certificate(pem).publicKey);

async function clientFrom(root: Issued): Promise<ProxyStatus["clientCertificate"]> {
  const leaf = await issueLeaf(await loadAuthority(root.cert.pem, root.key), { spiffeId: "spiffe://ex.example/service/web", keyAlgorithm: "ecdsa-p256", lifetimeMs: HOUR });
  const c = new X509Certificate(leaf.cert.pem);
  return { issuer: c.issuer, serial: c.serialNumber, notAfter: c.validTo };
}

test("an old root within 10 minutes of its end: the CA still loads, bootstrap still works, serve starts with a new-root xDS certificate", async () => {
  const { dir } = await overlapFrom("aged", 2 * HOUR);
  await ageOldRoot(dir, 9 * MIN);
  const ca = await loadCa(dir);
  assert.equal(ca.previous, undefined, "the old root is left out");
  assert.match(ca.previousProblem!.text, /previous-ca-cert\.pem: the old root of this rotation expires at \S+, less than 600 s from now/);
  assert.doesNotMatch(ca.previousProblem!.text, /is the signing CA certificate/);

  const files = credentialFilesFor(join(work, "boot", "web.yaml"));
  const leaf = await writeBootstrapCredential(dir, "spiffe://ex.example/service/web", HOUR, files);
  assert.ok(signedBy(new X509Certificate(leaf.pem), read(dir, CA_FILES.cert)), "bootstrap: a new-root credential");

  const { logger, lines } = capture();
  const tls = new XdsServerTls({ caDir: dir, logger, tickMs: 3_600_000 });
  await tls.start();
  try {
    await tls.apply("ex.example");
    assert.ok(signedBy(serverCert(tls), read(dir, CA_FILES.cert)), "the xDS server certificate comes from the new root");
    const warned = lines.filter((l) => /old root can no longer sign the xDS server's certificate/.test(l.msg));
    assert.equal(warned.length, 1);
    assert.match(warned[0]!.err!, /less than 600 s from now/);
  } finally {
    tls.close();
  }
});

test("serving through the old root's end: the xDS certificate moves to the new root in time, one warning names the old-root proxies; gauge and expiry warning meanwhile", async () => {
  const { dir, oldRoot } = await overlapFrom("runs-out", 25 * MIN);
  const newRoot = read(dir, CA_FILES.cert);
  let now = Date.now();
  const { logger, lines } = capture();
  const registry = new Registry();
  const tls = new XdsServerTls({ caDir: dir, logger, registry, tickMs: 3_600_000, now: () => now });
  await tls.start();
  try {
    await tls.apply("ex.example");
    assert.ok(signedBy(serverCert(tls), oldRoot.cert.pem), "during the overlap: from the old root");
    const series = async () => (await registry.getSingleMetric("meshc_ca_expiry_timestamp_seconds")!.get()).values.filter((v) => v.labels.role === "old_root");
    assert.deepEqual((await series()).map((v) => v.value), [oldRoot.cert.notAfter.getTime() / 1000]);
    assert.equal(lines.filter((l) => /old root of the CA rotation in progress.*expires soon/.test(l.msg)).length, 1);

    const oldClient = await clientFrom(oldRoot); // a proxy bootstrapped before the rotation
    tls.clients = () => [{ service: "web", node: { id: "web-1" }, clientCertificate: oldClient } as ProxyStatus];
    await tls.tick();
    now += 16 * MIN; // 9 minutes of the old root left
    for (let i = 0; i < 90; i++) {
      await tls.tick();
      now += 1000;
    }
    assert.ok(signedBy(serverCert(tls), newRoot), "the xDS server certificate comes from the new root");
    const warned = lines.filter((l) => /old root can no longer sign the xDS server's certificate/.test(l.msg));
    assert.equal(warned.length, 1, JSON.stringify(warned));
    assert.deepEqual(warned[0]!.proxies, ["web/web-1"]);
    assert.equal(lines.filter((l) => l.level >= 50).length, 0, JSON.stringify(lines.filter((l) => l.level >= 50)));
    assert.deepEqual(await series(), [], "no old-root series once it signs nothing");

    // A restarted serve (and `meshc bootstrap`) at that time: the CA loads, the certificate is new-root.
    const restarted = new XdsServerTls({ caDir: dir, logger: pino({ level: "silent" }), tickMs: 3_600_000, now: () => now });
    await restarted.start();
    await restarted.apply("ex.example");
    assert.ok(signedBy(serverCert(restarted), newRoot));
    restarted.close();
    await loadCa(dir, { now: new Date(now) });
  } finally {
    tls.close();
  }
});

const MESH = `import { defineMesh, http } from "meshc";
export default defineMesh({ name: "ex", trustDomain: "ex.example", mtls: "strict" }, (mesh) => {
  const echo = mesh.service("echo", { ports: { http: http(9080, { app: 8080 }) }, instances: ["10.0.0.1:9080"] });
  mesh.service("web", { ports: { http: http(9080, { app: 8080 }) }, instances: ["10.0.0.2:9080"], calls: [echo] });
});
`;

test("a CA directory that changes into a not-yet-valid CA is logged once (the message shows the time, the key does not)", async () => {
  const caDir = join(work, "future");
  await initCa(caDir, { trustDomain: "ex.example" });
  writeFileSync(join(work, "mesh.ts"), MESH);
  const compiled = await compileMesh(join(work, "mesh.ts"));
  let now = Date.now();
  const { logger, lines } = capture();
  const m = new CertificateManager({ caDir, logger, tickMs: 3_600_000, now: () => now, onChange: () => {} });
  const tls = new XdsServerTls({ caDir, logger, tickMs: 3_600_000, now: () => now });
  await m.start();
  await tls.start();
  try {
    await m.attach(compiled.snapshot!, certificatePlan(compiled.ir!));
    await tls.apply("ex.example");
    replaceRoot(caDir, await createRoot({ commonName: "future", keyAlgorithm: "ecdsa-p256", lifetimeMs: 10 * 86_400_000, now: new Date(now + 86_400_000) }), { bumpGeneration: true });
    for (let i = 0; i < 95; i++) {
      await m.tick();
      await tls.tick();
      now += 1000;
    }
    const errors = lines.filter((l) => l.level >= 50);
    assert.equal(errors.length, 2, `one error from the certificates, one from the xDS server TLS: ${JSON.stringify(errors.map((e) => e.msg))}`);
    for (const e of errors) assert.match(e.err!, /is not valid until \S+ \(it is now /);
  } finally {
    m.close();
    tls.close();
  }
});

test("an old root that cannot issue any more at `meshc ca rotate` is not kept, and rotate says so", async () => {
  const dir = join(work, "rot-expired");
  await initCa(dir, { trustDomain: "ex.example" });
  replaceRoot(dir, await createRoot({ commonName: "nearly gone", keyAlgorithm: "ecdsa-p256", lifetimeMs: 5 * MIN }));
  const r = await rotateCa(dir);
  assert.match(r.oldRootProblem ?? "", /^the old root expires at .*less than 600 s/);
  const ca = await loadCa(dir);
  assert.equal(ca.previous, undefined);
  assert.equal(ca.previousProblem, undefined);
});
