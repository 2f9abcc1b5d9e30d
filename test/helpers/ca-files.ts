// Tests that put a hand-made root into a CA directory (one that expires soon, is not valid yet, …): the files are
// replaced as `meshc ca rotate` would leave them, ca.json naming the new signing certificate (its "signer"), so
// loadCa's check that ca-cert.pem is the certificate ca.json commits to passes and the test meets the problem it is
// about. `generation` bumps ca.json's generation (a change a running serve follows).
import { createHash, X509Certificate } from "node:crypto";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CA_FILES } from "../../src/pki/ca-dir.js";
import type { Issued } from "../../src/pki/x509.js";

/** SHA-256 of the certificate's DER, as ca.json names certificates (computed here independently of src/pki). */
export function sha256Of(pem: string): string {
  return createHash("sha256").update(new X509Certificate(pem).raw).digest("hex");
}

export function replaceRoot(dir: string, root: Issued, o: { bumpGeneration?: boolean } = {}): void {
  writeFileSync(join(dir, CA_FILES.cert), root.cert.pem);
  writeFileSync(join(dir, CA_FILES.bundle), root.cert.pem);
  writeFileSync(join(dir, CA_FILES.key), root.key.reveal());
  chmodSync(join(dir, CA_FILES.key), 0o600);
  const meta = JSON.parse(readFileSync(join(dir, CA_FILES.meta), "utf8")) as { generation: number };
  writeFileSync(join(dir, CA_FILES.meta), JSON.stringify({ ...meta, signer: sha256Of(root.cert.pem), generation: meta.generation + (o.bumpGeneration ? 1 : 0) }));
}
