// A CA that cannot issue is refused where it is read, naming the file and the problem (expired, not yet valid, too
// close to its end, a signing certificate not chained to the trust bundle, a malformed ca.json), and no leaf is ever
// issued expired or shorter than the floor. CA files are made with the project's own PKI code.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { credentialFilesFor, writeBootstrapCredential } from "../../src/pki/bootstrap-credential.js";
import { replaceRoot } from "../helpers/ca-files.js";
import { CA_FILES, initCa, loadCa, rotateCa } from "../../src/pki/ca-dir.js";
import { CaValidityError, createRoot, issueLeaf, loadAuthority, MIN_LEAF_LIFETIME_MS } from "../../src/pki/x509.js";

const work = mkdtempSync(join(tmpdir(), "meshc-ca-validity-"));
after(() => rmSync(work, { recursive: true, force: true }));
const DAY = 86_400_000;

let n = 0;
/** A fresh CA directory; `root` (when given) replaces its signing root and bundle. */
async function caDir(root?: { lifetimeMs: number; from: number }): Promise<string> {
  const dir = join(work, `ca-${++n}`);
  await initCa(dir, { trustDomain: "v.example" });
  if (root) {
    replaceRoot(dir, await createRoot({ commonName: `test root ${n}`, keyAlgorithm: "ecdsa-p256", lifetimeMs: root.lifetimeMs, now: new Date(root.from) }));
  }
  return dir;
}

test("an expired CA is refused at load, naming ca-cert.pem", async () => {
  const dir = await caDir({ lifetimeMs: DAY, from: Date.now() - 2 * DAY });
  await assert.rejects(loadCa(dir), (e: Error) => e.message.includes(join(dir, CA_FILES.cert)) && /expired at \d{4}-/.test(e.message));
});

test("a CA not valid yet is refused at load", async () => {
  const dir = await caDir({ lifetimeMs: 10 * DAY, from: Date.now() + DAY });
  await assert.rejects(loadCa(dir), (e: Error) => e.message.includes(join(dir, CA_FILES.cert)) && /not valid until/.test(e.message));
});

test("a CA with less than a leaf's minimum life left is refused at load", async () => {
  const dir = await caDir({ lifetimeMs: 5 * 60_000, from: Date.now() });
  await assert.rejects(loadCa(dir), /ca-cert\.pem: .*expires at .*less than 600 s from now/);
  const ok = await caDir({ lifetimeMs: 3 * 3_600_000, from: Date.now() });
  await loadCa(ok);
});

test("a trust bundle without the signing root is refused", async () => {
  const dir = await caDir();
  const other = await caDir();
  writeFileSync(join(dir, CA_FILES.bundle), readFileSync(join(other, CA_FILES.bundle)));
  await assert.rejects(loadCa(dir), (e: Error) => /ca-cert\.pem: the signing certificate does not chain to a root in .*trust-bundle\.pem/.test(e.message));
});

test("a malformed ca.json is refused, naming the field", async () => {
  const dir = await caDir();
  const meta = JSON.parse(readFileSync(join(dir, CA_FILES.meta), "utf8")) as Record<string, unknown>;
  const write = (m: unknown) => writeFileSync(join(dir, CA_FILES.meta), typeof m === "string" ? m : JSON.stringify(m));
  write({ ...meta, generation: undefined });
  await assert.rejects(loadCa(dir), /ca\.json: malformed: "generation" must be a positive integer/);
  write({ ...meta, generation: "2" });
  await assert.rejects(loadCa(dir), /ca\.json: malformed: "generation"/);
  write({ ...meta, keyAlgorithm: "dsa" });
  await assert.rejects(loadCa(dir), /ca\.json: malformed: "keyAlgorithm"/);
  write({ ...meta, phase: "later" });
  await assert.rejects(loadCa(dir), /ca\.json: malformed: "phase"/);
  write("{not json");
  await assert.rejects(loadCa(dir), /ca\.json: malformed/);
  write(meta);
  await loadCa(dir);
});

test("issueLeaf never issues an expired or too short-lived leaf", async () => {
  const expired = await createRoot({ commonName: "x", keyAlgorithm: "ecdsa-p256", lifetimeMs: DAY, now: new Date(Date.now() - 2 * DAY) });
  const ca = await loadAuthority(expired.cert.pem, expired.key);
  await assert.rejects(issueLeaf(ca, { spiffeId: "spiffe://v.example/a", keyAlgorithm: "ecdsa-p256", lifetimeMs: 3_600_000 }), (e: Error) => e instanceof CaValidityError && /expired at/.test(e.message));
  const future = await createRoot({ commonName: "x", keyAlgorithm: "ecdsa-p256", lifetimeMs: DAY, now: new Date(Date.now() + DAY) });
  await assert.rejects(issueLeaf(await loadAuthority(future.cert.pem, future.key), { spiffeId: "spiffe://v.example/a", keyAlgorithm: "ecdsa-p256", lifetimeMs: 3_600_000 }), /not valid until/);
  // 8 minutes left: a 24 h leaf would live 8 minutes (< the 10 min floor): refused; a 10 s leaf fits.
  const soon = await createRoot({ commonName: "x", keyAlgorithm: "ecdsa-p256", lifetimeMs: 8 * 60_000 });
  const soonCa = await loadAuthority(soon.cert.pem, soon.key);
  await assert.rejects(issueLeaf(soonCa, { spiffeId: "spiffe://v.example/a", keyAlgorithm: "ecdsa-p256", lifetimeMs: DAY }), /less than 600 s/);
  const short = await issueLeaf(soonCa, { spiffeId: "spiffe://v.example/a", keyAlgorithm: "ecdsa-p256", lifetimeMs: 10_000 });
  assert.ok(short.cert.notAfter.getTime() > Date.now());
  assert.equal(MIN_LEAF_LIFETIME_MS, 600_000);
});

test("meshc bootstrap's credential: an expired CA writes nothing", async () => {
  const dir = await caDir({ lifetimeMs: DAY, from: Date.now() - 2 * DAY });
  const files = credentialFilesFor(join(work, "boot", "web.yaml"));
  await assert.rejects(writeBootstrapCredential(dir, "spiffe://v.example/service/web", DAY, files), /expired at/);
  assert.ok(!existsSync(files.cert) && !existsSync(files.key) && !existsSync(files.ca));
});

test("a rotation keeps the old root (for the xDS server) until --finish; an expired CA can still be rotated", async () => {
  const dir = await caDir();
  const before = readFileSync(join(dir, CA_FILES.cert), "utf8");
  await rotateCa(dir);
  const overlap = await loadCa(dir);
  assert.equal(overlap.previous?.cert.toString("pem").replace(/\s/g, ""), before.replace(/\s/g, ""));
  assert.equal(overlap.bundle.length, 2);
  await rotateCa(dir, { finish: true });
  const single = await loadCa(dir);
  assert.equal(single.previous, undefined);
  assert.ok(!existsSync(join(dir, CA_FILES.previousKey)) && !existsSync(join(dir, CA_FILES.previousCert)));

  const expired = await caDir({ lifetimeMs: DAY, from: Date.now() - 2 * DAY });
  await assert.rejects(loadCa(expired), /expired/);
  await rotateCa(expired);
  const rotated = await loadCa(expired);
  assert.equal(rotated.previous, undefined, "an expired old root is not kept to sign anything");
});
