// `meshc ca rotate` interrupted anywhere (a failed write, a kill, a full disk) and run again must never lose the old
// root's key: before, rotate replaced ca-key.pem / ca-cert.pem (and the bundle) before ca.json, so when ca.json's
// write failed the directory still loaded (a new root under an unchanged generation) and the retry copied the
// *new* key into previous-ca-key.pem: the root every pre-rotation proxy trusts was gone, and the xDS server
// presented a certificate from a root no such proxy trusts. Also `--finish` interrupted (before or after its
// commit), and a CA directory or key file that is a symlink or someone else's (loadCa and rotate now refuse it as
// `ca init` does). Failures are injected by making the k-th rename (the atomic write's last step) fail.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import fs, { chownSync, copyFileSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, mock, test } from "node:test";
import { pino } from "pino";
import { CA_FILES, initCa, loadCa, rotateCa } from "../../src/pki/ca-dir.js";
import { createRoot, splitPem } from "../../src/pki/x509.js";
import { XdsServerTls } from "../../src/serve/xds-tls.js";

const work = mkdtempSync(join(tmpdir(), "meshc-ca-crash-"));
after(() => rmSync(work, { recursive: true, force: true }));
const read = (dir: string, f: string) => readFileSync(join(dir, f), "utf8");
const fp = (pem: string) => new X509Certificate(pem).fingerprint256;
let n = 0;
const realRename = fs.renameSync; // before any mock (the named import follows the mock once synced)

async function freshCa(): Promise<{ dir: string; root1: { cert: string; key: string } }> {
  const dir = join(work, `ca-${++n}`);
  await initCa(dir, { trustDomain: "crash.example" });
  return { dir, root1: { cert: read(dir, CA_FILES.cert), key: read(dir, CA_FILES.key) } };
}

/** Runs `fn` with the `k`-th rename inside `dir` failing (EIO), as a kill or a full disk would stop the command there. */
async function withFailingRename<T>(dir: string, k: number, fn: () => Promise<T>): Promise<{ failed: boolean; renames: number }> {
  let count = 0;
  let failed = false;
  const m = mock.method(fs, "renameSync", (from: fs.PathLike, to: fs.PathLike) => {
    if (String(to).startsWith(dir) && ++count === k) {
      failed = true;
      throw Object.assign(new Error(`EIO: injected failure, rename '${String(to)}'`), { code: "EIO" });
    }
    return realRename(from, to);
  });
  syncBuiltinESMExports();
  try {
    await fn().catch((err: Error) => {
      if (!failed) throw err;
    });
  } finally {
    m.mock.restore();
    syncBuiltinESMExports();
  }
  return { failed, renames: count };
}

/** Which root signs the certificate the xDS server presents for the CA directory, started now. */
async function xdsServerIssuer(dir: string): Promise<X509Certificate> {
  const tls = new XdsServerTls({ caDir: dir, logger: pino({ level: "silent" }), tickMs: 3_600_000 });
  await tls.start();
  try {
    await tls.apply("crash.example");
    return new X509Certificate(String(tls.secureContext()!.cert));
  } finally {
    tls.close();
  }
}

test("rotate fails at its commit (ca.json) and is retried: the old root's key is kept, the xDS server certificate still comes from it", async () => {
  const { dir, root1 } = await freshCa();
  const failed = await withFailingRename(join(dir, CA_FILES.meta), 1, () => rotateCa(dir).then(() => assert.fail("rotate should have failed")));
  assert.ok(failed.failed);
  // The half-written rotation is not loaded (the live files are not the ones ca.json commits to): nothing can issue
  // from a root that was never committed.
  await assert.rejects(loadCa(dir), /ca-cert\.pem is not the signing certificate ca\.json commits to: a `meshc ca rotate` was interrupted .*run `meshc ca rotate --ca .*` again/);
  await rotateCa(dir); // the retry the error invites
  assert.equal(read(dir, CA_FILES.previousKey), root1.key, "previous-ca-key.pem is root 1's key");
  assert.equal(fp(read(dir, CA_FILES.previousCert)), fp(root1.cert));
  const bundle = splitPem(read(dir, CA_FILES.bundle)).map(fp);
  assert.deepEqual(bundle, [fp(read(dir, CA_FILES.cert)), fp(root1.cert)], "trusted: the new root and root 1, not the abandoned one");
  const ca = await loadCa(dir);
  assert.equal(ca.meta.phase, "overlap");
  assert.equal(ca.meta.generation, 2);
  // Serving consequence: proxies bootstrapped before the rotation trust root 1 only.
  assert.ok((await xdsServerIssuer(dir)).verify(new X509Certificate(root1.cert).publicKey), "the xDS server certificate is signed by root 1");
});

test("rotate interrupted at every one of its writes, then run again: always ends in a correct overlap with root 1 kept", async () => {
  const probe = await freshCa();
  const total = (await withFailingRename(probe.dir, Number.MAX_SAFE_INTEGER, () => rotateCa(probe.dir))).renames;
  assert.ok(total >= 5, `a rotation writes several files (${total})`);
  for (let k = 1; k <= total; k++) {
    const { dir, root1 } = await freshCa();
    assert.ok((await withFailingRename(dir, k, () => rotateCa(dir))).failed, `write ${k} failed`);
    // Whatever a reader sees meanwhile signs with root 1, or is refused.
    const seen = await loadCa(dir).then(
      (ca) => ca.authority.cert.toString("pem"),
      () => undefined,
    );
    if (seen !== undefined) assert.equal(fp(seen), fp(root1.cert), `after write ${k}: a reader loads root 1 or nothing`);
    await rotateCa(dir);
    assert.equal(read(dir, CA_FILES.previousKey), root1.key, `after write ${k} and a retry: root 1's key kept`);
    const ca = await loadCa(dir);
    assert.equal(fp(ca.previous!.cert.toString("pem")), fp(root1.cert));
    assert.deepEqual(ca.bundle.map(fp), [fp(ca.authority.cert.toString("pem")), fp(root1.cert)]);
    assert.equal(ca.meta.generation, 2);
  }
});

test("--finish interrupted before its commit is completed by running it again; leftovers after its commit are not a later rotation's old root", async () => {
  const { dir } = await freshCa();
  await rotateCa(dir);
  const root2 = read(dir, CA_FILES.cert);
  const staleCert = read(dir, CA_FILES.previousCert);
  const staleKey = read(dir, CA_FILES.previousKey);
  const writes = (await withFailingRename(join(dir, CA_FILES.meta), 1, () => rotateCa(dir, { finish: true }))).failed;
  assert.ok(writes, "the commit failed");
  await assert.rejects(loadCa(dir), /old root is not in .*trust-bundle\.pem: a `meshc ca rotate --finish` was interrupted\? Run it again/);
  await rotateCa(dir, { finish: true });
  let ca = await loadCa(dir);
  assert.equal(ca.meta.phase, "single");
  assert.equal(ca.bundle.length, 1);
  assert.ok(!existsSync(join(dir, CA_FILES.previousCert)));

  // Killed after the commit, before deleting previous-*: root 1 is left over. It is neither loaded nor taken for
  // the old root of the next rotation (that is root 2).
  writeFileSync(join(dir, CA_FILES.previousCert), staleCert);
  writeFileSync(join(dir, CA_FILES.previousKey), staleKey, { mode: 0o600 });
  ca = await loadCa(dir);
  assert.equal(ca.previous, undefined);
  await rotateCa(dir);
  ca = await loadCa(dir);
  assert.equal(fp(ca.previous!.cert.toString("pem")), fp(root2), "the old root of the second rotation is root 2");
  assert.deepEqual(ca.bundle.map(fp), [fp(ca.authority.cert.toString("pem")), fp(root2)]);
  assert.ok((await xdsServerIssuer(dir)).verify(new X509Certificate(root2).publicKey));
});

test("a half-done rotation by an older meshc (ca.json without fingerprints) is completed from the saved root", async () => {
  const { dir, root1 } = await freshCa();
  const meta = JSON.parse(read(dir, CA_FILES.meta)) as Record<string, unknown>;
  delete meta.signer;
  writeFileSync(join(dir, CA_FILES.meta), JSON.stringify(meta));
  // What the older rotate left when ca.json's write failed: previous-* = root 1, live files = root 2, both trusted.
  copyFileSync(join(dir, CA_FILES.key), join(dir, CA_FILES.previousKey));
  copyFileSync(join(dir, CA_FILES.cert), join(dir, CA_FILES.previousCert));
  const root2 = await createRoot({ commonName: "abandoned", keyAlgorithm: "ecdsa-p256", lifetimeMs: 86_400_000 });
  writeFileSync(join(dir, CA_FILES.cert), root2.cert.pem);
  writeFileSync(join(dir, CA_FILES.key), root2.key.reveal(), { mode: 0o600 });
  writeFileSync(join(dir, CA_FILES.bundle), root2.cert.pem + root1.cert);
  await rotateCa(dir);
  assert.equal(read(dir, CA_FILES.previousKey), root1.key);
  const ca = await loadCa(dir);
  assert.deepEqual(ca.bundle.map(fp), [fp(ca.authority.cert.toString("pem")), fp(root1.cert)], "the abandoned root is not trusted");
});

test("loadCa and rotate refuse a CA directory or key file that is a symlink or another user's (as ca init does)", async () => {
  const { dir } = await freshCa();
  const link = join(work, "ca-link");
  symlinkSync(dir, link);
  await assert.rejects(loadCa(link), /ca-link is a symbolic link; a CA directory must be a real directory/);
  await assert.rejects(loadCa(`${link}/`), /is a symbolic link/);
  await assert.rejects(rotateCa(link), /is a symbolic link/);

  const { dir: d2 } = await freshCa();
  const realKey = join(work, `key-elsewhere-${n}.pem`);
  renameSync(join(d2, CA_FILES.key), realKey);
  symlinkSync(realKey, join(d2, CA_FILES.key));
  await assert.rejects(loadCa(d2), /ca-key\.pem is a symbolic link; a CA key file must be a real file/);
  await assert.rejects(rotateCa(d2), /ca-key\.pem is a symbolic link/);

  if (process.getuid?.() !== 0) return; // only root can give a file to another user
  const { dir: d3 } = await freshCa();
  chownSync(join(d3, CA_FILES.key), 65534, 65534);
  await assert.rejects(loadCa(d3), /ca-key\.pem belongs to uid 65534, not to this user \(uid 0\)/);
  await assert.rejects(rotateCa(d3), /belongs to uid 65534/);
  chownSync(join(d3, CA_FILES.key), 0, 0);
  chownSync(d3, 65534, 65534);
  await assert.rejects(loadCa(d3), /belongs to uid 65534, not to this user .*a CA directory must be yours/);
  await assert.rejects(rotateCa(d3), /belongs to uid 65534/);
  assert.ok(!existsSync(join(d3, CA_FILES.previousKey)), "rotate wrote nothing");
});
