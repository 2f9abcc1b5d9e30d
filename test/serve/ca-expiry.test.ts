// `meshc serve --ca` with a CA that stops being able to issue while it serves, and the xDS server's TLS through a
// root rotation (src/serve/certificates.ts, src/serve/xds-tls.ts), on a test clock:
//   - a CA near its end: the last good leaves keep serving, the problem is logged once (not every tick), no snapshot
//     is pushed, no leaf is issued, the expiry is a gauge and a warning;
//   - a CA directory that changes into a bad one: logged once, the loaded CA keeps serving;
//   - the xDS server's certificate stays from the old root through `meshc ca rotate` (client trust grows to both
//     roots) and moves to the new root at `--finish`; proxies still on an old-root credential are named.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { pino, type Logger } from "pino";
import { Registry } from "prom-client";
import { compileMesh } from "../../src/pipeline.js";
import { replaceRoot } from "../helpers/ca-files.js";
import { CA_FILES, initCa, rotateCa } from "../../src/pki/ca-dir.js";
import { certificatePlan } from "../../src/pki/plan.js";
import { SecretPem } from "../../src/pki/secret.js";
import { createRoot, issueLeaf, loadAuthority } from "../../src/pki/x509.js";
import { CertificateManager } from "../../src/serve/certificates.js";
import { XdsServerTls } from "../../src/serve/xds-tls.js";
import type { ProxyStatus } from "../../src/xds/stream.js";

const work = mkdtempSync(join(tmpdir(), "meshc-ca-expiry-"));
after(() => rmSync(work, { recursive: true, force: true }));
const HOUR = 3_600_000;
const MIN = 60_000;

const MESH = `import { defineMesh, http } from "meshc";
export default defineMesh({ name: "ex", trustDomain: "ex.example", mtls: "strict" }, (mesh) => {
  const echo = mesh.service("echo", { ports: { http: http(9080, { app: 8080 }) }, instances: ["10.0.0.1:9080"] });
  mesh.service("web", { ports: { http: http(9080, { app: 8080 }) }, instances: ["10.0.0.2:9080"], calls: [echo] });
});
`;

function capture(): { logger: Logger; lines: { level: number; msg: string; err?: string }[] } {
  const lines: { level: number; msg: string; err?: string }[] = [];
  const logger: Logger = pino({ level: "info" }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}

/** A CA directory whose root lives `lifetimeMs` from now. */
async function shortCa(name: string, lifetimeMs: number): Promise<string> {
  const dir = join(work, name);
  await initCa(dir, { trustDomain: "ex.example" });
  replaceRoot(dir, await createRoot({ commonName: `short ${name}`, keyAlgorithm: "ecdsa-p256", lifetimeMs }));
  return dir;
}

test("a CA running out while serving: last good leaves kept, logged once, no re-issue storm; expiry gauge and warning", async () => {
  const caDir = await shortCa("running-out", 21 * MIN);
  writeFileSync(join(work, "mesh.ts"), MESH);
  const compiled = await compileMesh(join(work, "mesh.ts"));
  assert.ok(compiled.snapshot && compiled.ir, JSON.stringify(compiled.diagnostics));
  let now = Date.now();
  const { logger, lines } = capture();
  const registry = new Registry();
  const pushed: unknown[] = [];
  const m = new CertificateManager({ caDir, logger, registry, tickMs: 3_600_000, now: () => now, onChange: (s) => pushed.push(s) });
  await m.start();
  try {
    await m.attach(compiled.snapshot, certificatePlan(compiled.ir));
    const issued = async () => (await registry.getSingleMetric("meshc_certificates_issued_total")!.get()).values.reduce((a, v) => a + v.value, 0);
    assert.equal(await issued(), 2);
    const expiry = (await registry.getSingleMetric("meshc_ca_expiry_timestamp_seconds")!.get()).values[0]!.value;
    const notAfter = Date.parse(JSON.parse(JSON.stringify(lines.find((l) => l.msg === "mesh CA loaded"))).notAfter);
    assert.equal(expiry, notAfter / 1000);
    assert.equal(lines.filter((l) => /expires soon/.test(l.msg)).length, 1, "a warning: the CA ends within the hour");

    // Leaves capped at the CA's end (21 min) are due at ~10.5 min; then the CA has less than the 10 min floor left.
    now += 11.5 * MIN;
    for (let i = 0; i < 60; i++) {
      await m.tick();
      now += 1000;
    }
    const errors = lines.filter((l) => l.level >= 50);
    assert.equal(errors.length, 1, `one error for the whole minute: ${JSON.stringify(errors)}`);
    assert.match(errors[0]!.err!, /less than 600 s from now/);
    assert.equal(await issued(), 2, "no leaf was issued");
    assert.equal(pushed.length, 0, "nothing was pushed: the last good leaves keep serving");
    assert.equal(lines.filter((l) => /expires soon/.test(l.msg)).length, 1, "the expiry warning is not repeated every tick");
  } finally {
    m.close();
  }
});

test("a CA directory that changes into a bad one is logged once; the loaded CA keeps serving", async () => {
  const caDir = join(work, "goes-bad");
  await initCa(caDir, { trustDomain: "ex.example" });
  const compiled = await compileMesh(join(work, "mesh.ts"));
  let now = Date.now();
  const { logger, lines } = capture();
  const pushed: unknown[] = [];
  const m = new CertificateManager({ caDir, logger, tickMs: 3_600_000, now: () => now, onChange: (s) => pushed.push(s) });
  await m.start();
  try {
    await m.attach(compiled.snapshot!, certificatePlan(compiled.ir!));
    const expired = await createRoot({ commonName: "old", keyAlgorithm: "ecdsa-p256", lifetimeMs: HOUR, now: new Date(now - 3 * HOUR) });
    replaceRoot(caDir, expired, { bumpGeneration: true });
    for (let i = 0; i < 40; i++) {
      await m.tick();
      now += 1000;
    }
    const errors = lines.filter((l) => l.level >= 50);
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.match(errors[0]!.err!, /ca-cert\.pem: expired at/);
    assert.equal(pushed.length, 0);
  } finally {
    m.close();
  }
});

test("xDS server TLS through a root rotation: old-root certificate until --finish, client trust old ∪ new", async () => {
  const caDir = join(work, "xds-rot");
  await initCa(caDir, { trustDomain: "ex.example" });
  let now = Date.now();
  const { logger, lines } = capture();
  const tls = new XdsServerTls({ caDir, logger, tickMs: 3_600_000, now: () => now });
  await tls.start();
  try {
    await tls.apply("ex.example");
    const oldRoot = new X509Certificate(readFileSync(join(caDir, CA_FILES.bundle)));
    const first = tls.secureContext()!;
    const roots = (ctx: typeof first) => String(ctx.ca).match(/BEGIN CERTIFICATE/g)!.length;
    const serverCert = (ctx: typeof first) => new X509Certificate(String(ctx.cert));
    assert.ok(serverCert(first).verify(oldRoot.publicKey));

    // A proxy bootstrapped before the rotation (old-root client certificate) and one after (new root).
    const clientFrom = async (certPem: string, keyPem: string): Promise<ProxyStatus["clientCertificate"]> => {
      const leaf = await issueLeaf(await loadAuthority(certPem, new SecretPem(keyPem)), { spiffeId: "spiffe://ex.example/service/web", keyAlgorithm: "ecdsa-p256", lifetimeMs: HOUR });
      const c = new X509Certificate(leaf.cert.pem);
      return { issuer: c.issuer, serial: c.serialNumber, notAfter: c.validTo };
    };
    const oldClient = await clientFrom(readFileSync(join(caDir, CA_FILES.cert), "utf8"), readFileSync(join(caDir, CA_FILES.key), "utf8"));
    const clients: ProxyStatus[] = [{ service: "web", node: { id: "web-1" }, clientCertificate: oldClient } as ProxyStatus];
    tls.clients = () => clients;

    await rotateCa(caDir);
    await tls.tick();
    const overlap = tls.secureContext()!;
    assert.equal(serverCert(overlap).serialNumber, serverCert(first).serialNumber, "the server certificate is not re-issued at `meshc ca rotate`");
    assert.equal(roots(overlap), 2, "client certificates of both roots are accepted");
    assert.deepEqual(tls.oldRootClients(), ["web/web-1"]);
    assert.equal(lines.filter((l) => /would cut them off/.test(l.msg)).length, 1);

    // Its renewal during the overlap still comes from the old root.
    now += 13 * HOUR;
    await tls.tick();
    const renewed = tls.secureContext()!;
    assert.notEqual(serverCert(renewed).serialNumber, serverCert(first).serialNumber);
    assert.ok(serverCert(renewed).verify(oldRoot.publicKey), "renewed during the overlap: still from the old root");

    // The proxy is bootstrapped again (new-root credential); then --finish.
    clients[0] = { ...clients[0]!, clientCertificate: await clientFrom(readFileSync(join(caDir, CA_FILES.cert), "utf8"), readFileSync(join(caDir, CA_FILES.key), "utf8")) };
    await tls.tick();
    assert.deepEqual(tls.oldRootClients(), []);
    await rotateCa(caDir, { finish: true });
    const newRoot = new X509Certificate(readFileSync(join(caDir, CA_FILES.bundle)));
    await tls.tick();
    const finished = tls.secureContext()!;
    assert.ok(serverCert(finished).verify(newRoot.publicKey), "from --finish on: a new-root server certificate");
    assert.equal(roots(finished), 1);
    assert.equal(lines.filter((l) => l.level >= 50).length, 0, "nobody was cut off");
  } finally {
    tls.close();
  }
});

test("xDS server TLS: --finish with a proxy still on an old-root credential is logged as an error naming it", async () => {
  const caDir = join(work, "xds-cut");
  await initCa(caDir, { trustDomain: "ex.example" });
  const { logger, lines } = capture();
  const tls = new XdsServerTls({ caDir, logger, tickMs: 3_600_000 });
  await tls.start();
  try {
    await tls.apply("ex.example");
    const leaf = await issueLeaf(await loadAuthority(readFileSync(join(caDir, CA_FILES.cert), "utf8"), new SecretPem(readFileSync(join(caDir, CA_FILES.key), "utf8"))), { spiffeId: "spiffe://ex.example/service/web", keyAlgorithm: "ecdsa-p256", lifetimeMs: HOUR });
    const c = new X509Certificate(leaf.cert.pem);
    tls.clients = () => [{ service: "web", node: { id: "web-1" }, clientCertificate: { issuer: c.issuer, serial: c.serialNumber, notAfter: c.validTo } } as ProxyStatus];
    await rotateCa(caDir);
    await tls.tick();
    await rotateCa(caDir, { finish: true });
    await tls.tick();
    const errors = lines.filter((l) => l.level >= 50);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.msg, /lose the control plane at their next reconnect/);
    assert.deepEqual((errors[0] as unknown as { proxies: string[] }).proxies, ["web/web-1"]);
  } finally {
    tls.close();
  }
});

test("xDS server TLS: a CA that can no longer issue keeps the current certificate and logs once", async () => {
  const caDir = await shortCa("xds-short", 21 * MIN);
  let now = Date.now();
  const { logger, lines } = capture();
  const tls = new XdsServerTls({ caDir, logger, tickMs: 3_600_000, now: () => now });
  await tls.start();
  try {
    await tls.apply("ex.example");
    const cert = String(tls.secureContext()!.cert);
    now += 11.5 * MIN; // past the renewal point (half of a life capped at the CA's end); < 10 min of CA left
    for (let i = 0; i < 90; i++) {
      await tls.tick();
      now += 1000;
    }
    assert.equal(String(tls.secureContext()!.cert), cert);
    const errors = lines.filter((l) => l.level >= 50);
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.match(errors[0]!.err!, /less than 600 s from now/);
  } finally {
    tls.close();
  }
});
