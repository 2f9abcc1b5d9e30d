// The mesh CA (issue 8, step 1): `meshc ca init` roots and intermediates, leaf SVIDs, key file modes, rotation
// files, and keys that never print. Certificates are checked with Node's own X509Certificate (OpenSSL), not with
// the library that made them.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { after, test } from "node:test";
import { CA_FILES, initCa, loadCa, rotateCa } from "../../src/pki/ca-dir.js";
import { SecretPem } from "../../src/pki/secret.js";
import { issueLeaf, parseCertificate } from "../../src/pki/x509.js";

const work = mkdtempSync(join(tmpdir(), "meshc-ca-"));
after(() => rmSync(work, { recursive: true, force: true }));
const CLI = join(process.cwd(), "dist", "cli.js");

test("ca init writes a self-signed root with a 0600 key in a 0700 directory", async () => {
  const dir = join(work, "root");
  await initCa(dir, { trustDomain: "shop.example" });
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(join(dir, CA_FILES.key)).mode & 0o777, 0o600);
  const root = new X509Certificate(readFileSync(join(dir, CA_FILES.cert)));
  assert.equal(root.ca, true);
  assert.ok(root.verify(root.publicKey), "self-signed");
  assert.equal(new X509Certificate(readFileSync(join(dir, CA_FILES.bundle))).fingerprint256, root.fingerprint256);
  await assert.rejects(initCa(dir), /already holds a CA/);
});

test("leaves are SPIFFE SVIDs: one URI SAN, not a CA, signed by the CA, short-lived; keys print redacted", async () => {
  for (const keyAlgorithm of ["ecdsa-p256", "rsa-2048"] as const) {
    const dir = join(work, `leaf-${keyAlgorithm}`);
    await initCa(dir, { keyAlgorithm });
    const ca = await loadCa(dir);
    const now = new Date();
    const leaf = await issueLeaf(ca.authority, { spiffeId: "spiffe://shop.example/ns/a.b/sa/web", keyAlgorithm, lifetimeMs: 30_000, now });
    const cert = new X509Certificate(leaf.cert.pem);
    assert.equal(cert.subjectAltName, "URI:spiffe://shop.example/ns/a.b/sa/web");
    assert.equal(cert.ca, false);
    assert.ok(cert.verify(new X509Certificate(ca.bundle[0]!).publicKey));
    assert.ok(cert.checkPrivateKey((await import("node:crypto")).createPrivateKey(leaf.key.reveal())));
    assert.ok(Date.parse(cert.validTo) - now.getTime() <= 30_000);
    assert.equal(cert.keyUsage?.includes("1.3.6.1.5.5.7.3.2"), true, "clientAuth");
    // The key never shows in JSON, string conversion or console output.
    const pem = leaf.key.reveal();
    assert.match(pem, /BEGIN PRIVATE KEY/);
    const body = pem.split("\n")[1]!;
    for (const shown of [JSON.stringify(leaf), String(leaf.key), `${leaf.key}`, inspect(leaf, { depth: 5 })]) {
      assert.ok(!shown.includes("PRIVATE KEY") && !shown.includes(body), shown);
    }
  }
});

test("ca init --root-cert/--root-key makes an intermediate that chains to the company root", async () => {
  const company = join(work, "company");
  await initCa(company);
  const dir = join(work, "inter");
  const r = spawnSync(process.execPath, [CLI, "ca", "init", "--out", dir, "--root-cert", join(company, CA_FILES.cert), "--root-key", join(company, CA_FILES.key)], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout + r.stderr, /PRIVATE KEY/);
  const ca = await loadCa(dir);
  assert.equal(ca.meta.kind, "intermediate");
  const root = new X509Certificate(readFileSync(join(company, CA_FILES.cert)));
  const inter = new X509Certificate(ca.chain[0]!);
  assert.ok(inter.ca && inter.verify(root.publicKey) && inter.checkIssued(root));
  assert.equal(new X509Certificate(ca.bundle[0]!).fingerprint256, root.fingerprint256);
  const leaf = new X509Certificate((await issueLeaf(ca.authority, { spiffeId: "spiffe://x.example/a", keyAlgorithm: "ecdsa-p256", lifetimeMs: 60_000 })).cert.pem);
  assert.ok(leaf.verify(inter.publicKey) && leaf.checkIssued(inter));
  // A root key that is not the root certificate's is refused.
  const other = join(work, "other");
  await initCa(other);
  await assert.rejects(initCa(join(work, "bad"), { rootCertPem: root.toString(), rootKeyPem: new SecretPem(readFileSync(join(other, CA_FILES.key), "utf8")) }), /does not belong/);
});

test("rotation: overlap trusts old and new roots, --finish keeps only the new one", async () => {
  const dir = join(work, "rot");
  await initCa(dir);
  const old = parseCertificate(readFileSync(join(dir, CA_FILES.cert), "utf8"));
  const m1 = await rotateCa(dir);
  assert.equal(m1.phase, "overlap");
  let ca = await loadCa(dir);
  assert.notEqual(ca.authority.cert.serialNumber, old.serial);
  assert.deepEqual(ca.bundle.map((p) => parseCertificate(p).serial), [ca.authority.cert.serialNumber, old.serial]);
  await assert.rejects(rotateCa(dir), /overlap window/);
  const m2 = await rotateCa(dir, { finish: true });
  assert.equal(m2.phase, "single");
  assert.equal(m2.generation, 3);
  ca = await loadCa(dir);
  assert.deepEqual(ca.bundle.map((p) => parseCertificate(p).serial), [ca.authority.cert.serialNumber]);
  assert.equal(statSync(join(dir, CA_FILES.key)).mode & 0o777, 0o600);
});

test("a CA key readable by others is refused", async () => {
  const dir = join(work, "loose");
  await initCa(dir);
  (await import("node:fs")).chmodSync(join(dir, CA_FILES.key), 0o644);
  await assert.rejects(loadCa(dir), /readable by group or others/);
});

test("ca init refuses a folder that is someone else's or a symlink: its owner could read the key", async () => {
  // Before, an existing folder was taken as it was (chmod 0700 does not change its owner, who can chmod it back).
  const real = join(work, "real-target");
  mkdirSync(real);
  const link = join(work, "ca-link");
  symlinkSync(real, link);
  await assert.rejects(initCa(link), /not a directory \(a symlink\?\)/);
  if (process.getuid?.() !== 0) return; // only root can make a folder another user owns
  const theirs = join(work, "ca-theirs");
  mkdirSync(theirs);
  chownSync(theirs, 65534, 65534);
  await assert.rejects(initCa(theirs), /belongs to uid 65534, not to this user/);
  assert.deepEqual(readdirSync(theirs), [], "nothing written into it");
});
