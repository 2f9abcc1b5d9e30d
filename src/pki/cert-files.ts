// Certificate files for a proxyless gRPC client (`meshc certs`, gRFC A29 file-watcher provider): cert.pem (leaf +
// chain), key.pem (0600) and ca.pem (trust bundle) in one directory, replaced by rename so the watcher never reads
// a half-written file. `watchCertFiles` keeps them current: re-issues at the mesh's rotation point and follows
// `meshc ca rotate` (the CA's generation) in the same steps as `meshc serve --ca` (./rollout.ts).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { CERT_FILES } from "../backends/envoy/bootstrap/grpc.js";
import type { CertificatesIR } from "../ir/types.js";
import { writeFileAtomicSync } from "../runtime/atomic-file.js";
import { loadCa, readCaMeta, type LoadedCa } from "./ca-dir.js";
import { nextRolloutStep } from "./rollout.js";
import { issueLeaf, type CertInfo } from "./x509.js";

function put(dir: string, name: string, data: string, mode: number): void {
  writeFileAtomicSync(join(dir, name), data, mode);
}

export interface WrittenCerts {
  cert: CertInfo;
  generation: number;
  /** When to re-issue (ms since epoch). */
  rotateAt: number;
}

/** Issues a leaf from `ca` into `outDir`; `bundle` (default: the CA's) goes to ca.pem. */
async function issueInto(ca: LoadedCa, outDir: string, spiffeId: string, c: CertificatesIR, bundle: readonly string[] = ca.bundle): Promise<WrittenCerts> {
  const leaf = await issueLeaf(ca.authority, { spiffeId, keyAlgorithm: c.keyAlgorithm, lifetimeMs: c.leafLifetimeMs });
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  // Key first: a watcher that sees the new certificate must find its key.
  put(outDir, CERT_FILES.key, leaf.key.reveal(), 0o600);
  put(outDir, CERT_FILES.cert, [leaf.cert.pem, ...ca.chain].join(""), 0o644);
  put(outDir, CERT_FILES.ca, bundle.join(""), 0o644);
  const start = leaf.cert.notBefore.getTime() + 30_000;
  const life = leaf.cert.notAfter.getTime() - start;
  return { cert: leaf.cert, generation: ca.meta.generation, rotateAt: start + (life * c.rotateAtPercent) / 100 };
}

export async function writeCertFiles(caDir: string, outDir: string, spiffeId: string, c: CertificatesIR): Promise<WrittenCerts> {
  return issueInto(await loadCa(caDir), outDir, spiffeId, c);
}

/**
 * Keeps the files current until `signal` aborts; `onWrite` hears of each new leaf. A CA change (`meshc ca rotate`)
 * is followed in the rollout's steps (./rollout.ts): ca.pem first gains the new root, the leaf is re-issued from
 * it `settleMs` later, and the old root leaves ca.pem `settleMs` after that, so that sidecars (which `meshc serve`
 * moves through the same steps) and this client never present a certificate the other side does not trust yet.
 */
export async function watchCertFiles(caDir: string, outDir: string, spiffeId: string, c: CertificatesIR, signal: AbortSignal, onWrite: (w: WrittenCerts) => void, o: { settleMs?: number } = {}): Promise<void> {
  let signer = await loadCa(caDir);
  let served: string[] = [...signer.bundle];
  let w = await issueInto(signer, outDir, spiffeId, c, served);
  let issuer = signer.authority.cert.serialNumber;
  onWrite(w);
  let target: LoadedCa | undefined;
  let stepAt = 0;
  const settleMs = o.settleMs ?? 5000;
  while (!signal.aborted) {
    await new Promise((r) => setTimeout(r, 1000));
    if (signal.aborted) break;
    try {
      if (readCaMeta(caDir).generation !== (target ?? signer).meta.generation) target = await loadCa(caDir);
    } catch {
      // keep the current files until the CA directory reads again
    }
    if (target && Date.now() - stepAt >= settleMs) {
      const step = nextRolloutStep({ bundle: served, leafIssuers: [issuer] }, target);
      if (step.kind === "done") {
        signer = target;
        target = undefined;
        stepAt = 0;
      } else {
        stepAt = Date.now();
        if (step.kind === "reissue") {
          signer = target;
          issuer = signer.authority.cert.serialNumber;
          w = await issueInto(signer, outDir, spiffeId, c, served);
          onWrite(w);
          continue;
        }
        served = step.bundle;
        put(outDir, CERT_FILES.ca, served.join(""), 0o644);
      }
    }
    if (Date.now() >= w.rotateAt) {
      w = await issueInto(signer, outDir, spiffeId, c, served);
      onWrite(w);
    }
  }
}
