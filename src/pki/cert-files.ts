// Certificate files for a proxyless gRPC client (`meshc certs`, gRFC A29 file-watcher provider): cert.pem (leaf +
// chain), key.pem (0600) and ca.pem (trust bundle) in one directory, replaced by rename so the watcher never reads
// a half-written file. `watchCertFiles` keeps them current: re-issues at the mesh's rotation point and follows
// `meshc ca rotate` (the CA's generation).
import { chmodSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CERT_FILES } from "../backends/envoy/bootstrap/grpc.js";
import type { CertificatesIR } from "../ir/types.js";
import { loadCa, readCaMeta } from "./ca-dir.js";
import { issueLeaf, type CertInfo } from "./x509.js";

function put(dir: string, name: string, data: string, mode: number): void {
  const tmp = join(dir, `.${name}.tmp-${process.pid}`);
  writeFileSync(tmp, data, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, join(dir, name));
}

export interface WrittenCerts {
  cert: CertInfo;
  generation: number;
  /** When to re-issue (ms since epoch). */
  rotateAt: number;
}

export async function writeCertFiles(caDir: string, outDir: string, spiffeId: string, c: CertificatesIR): Promise<WrittenCerts> {
  const ca = await loadCa(caDir);
  const leaf = await issueLeaf(ca.authority, { spiffeId, keyAlgorithm: c.keyAlgorithm, lifetimeMs: c.leafLifetimeMs });
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  // Key first: a watcher that sees the new certificate must find its key.
  put(outDir, CERT_FILES.key, leaf.key.reveal(), 0o600);
  put(outDir, CERT_FILES.cert, [leaf.cert.pem, ...ca.chain].join(""), 0o644);
  put(outDir, CERT_FILES.ca, ca.bundle.join(""), 0o644);
  const start = leaf.cert.notBefore.getTime() + 30_000;
  const life = leaf.cert.notAfter.getTime() - start;
  return { cert: leaf.cert, generation: ca.meta.generation, rotateAt: start + (life * c.rotateAtPercent) / 100 };
}

/** Keeps the files current until `signal` aborts; `onWrite` hears of each new leaf. */
export async function watchCertFiles(caDir: string, outDir: string, spiffeId: string, c: CertificatesIR, signal: AbortSignal, onWrite: (w: WrittenCerts) => void): Promise<void> {
  let w = await writeCertFiles(caDir, outDir, spiffeId, c);
  onWrite(w);
  while (!signal.aborted) {
    await new Promise((r) => setTimeout(r, 1000));
    if (signal.aborted) break;
    let generation = w.generation;
    try {
      generation = readCaMeta(caDir).generation;
    } catch {
      // keep the current files until the CA directory reads again
    }
    if (Date.now() >= w.rotateAt || generation !== w.generation) {
      w = await writeCertFiles(caDir, outDir, spiffeId, c);
      onWrite(w);
    }
  }
}
