// `meshc certs --watch` through the end of its CA (src/pki/cert-files.ts), on a test clock: a CA that can no longer
// issue is reported once and the watch keeps running on the current files (it used to reject and the command exited,
// so the `meshc ca rotate` that fixes the CA was never followed); after the rotation it issues from the new root.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { replaceRoot } from "../helpers/ca-files.js";
import { CA_FILES, initCa, rotateCa } from "../../src/pki/ca-dir.js";
import { watchCertFiles, type WrittenCerts } from "../../src/pki/cert-files.js";
import { createRoot } from "../../src/pki/x509.js";

const work = mkdtempSync(join(tmpdir(), "meshc-certs-watch-"));
after(() => rmSync(work, { recursive: true, force: true }));
const MIN = 60_000;

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("a CA that runs out is reported once, the watch keeps the files, and follows the rotation that fixes it", async () => {
  const ca = join(work, "ca");
  const out = join(work, "out");
  await initCa(ca);
  const start = Date.now();
  replaceRoot(ca, await createRoot({ commonName: "short", keyAlgorithm: "ecdsa-p256", lifetimeMs: 120 * MIN, now: new Date(start) }), { bumpGeneration: true });
  let clock = start;
  const writes: WrittenCerts[] = [];
  const problems: string[] = [];
  const stop = new AbortController();
  let settled: string | undefined;
  const watching = watchCertFiles(ca, out, "spiffe://mesh/ns/default/sa/web", { leafLifetimeMs: 60 * MIN, rotateAtPercent: 50, keyAlgorithm: "ecdsa-p256" }, stop.signal, (w) => writes.push(w), {
    tickMs: 5,
    settleMs: 0,
    now: () => new Date(clock),
    onProblem: (m) => problems.push(m),
  }).then(
    () => (settled = "resolved"),
    (err: Error) => (settled = `rejected: ${err.message}`),
  );
  try {
    await until("the first issue", () => writes.length === 1);
    const first = readFileSync(join(out, "cert.pem"), "utf8");

    // Past the leaf's rotation point, 5 minutes before the CA's end: too little left to issue from it.
    clock = start + 115 * MIN;
    await until("the problem", () => problems.length > 0 || settled !== undefined);
    assert.equal(settled, undefined, "the watch keeps running");
    await new Promise((r) => setTimeout(r, 100)); // ~20 more ticks
    assert.equal(settled, undefined, "the watch keeps running");
    assert.equal(problems.length, 1, `reported once: ${problems.join(" | ")}`);
    assert.match(problems[0]!, /cannot renew spiffe:\/\/mesh\/ns\/default\/sa\/web's certificate: .*signing CA certificate expires at .*; keeping the current files/);
    assert.equal(readFileSync(join(out, "cert.pem"), "utf8"), first, "the current files stay");
    assert.equal(writes.length, 1);

    // The operator rotates the CA: the watch follows it and issues from the new root.
    await rotateCa(ca, { now: new Date(clock) });
    const newRoot = new X509Certificate(readFileSync(join(ca, CA_FILES.cert)));
    await until("a leaf from the new root", () => writes.length === 2);
    const leaf = new X509Certificate(readFileSync(join(out, "cert.pem")));
    assert.ok(leaf.checkIssued(newRoot) && leaf.verify(newRoot.publicKey), "issued by the new root");
    assert.match(readFileSync(join(out, "ca.pem"), "utf8"), new RegExp(newRoot.toString().split("\n")[1]!.replace(/[+/]/g, "\\$&")), "ca.pem trusts the new root");
    assert.equal(settled, undefined);
  } finally {
    stop.abort();
    await watching;
  }
  assert.equal(settled, "resolved");
});
