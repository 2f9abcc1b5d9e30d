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
async function issueInto(ca: LoadedCa, outDir: string, spiffeId: string, c: CertificatesIR, bundle: readonly string[] = ca.bundle, now?: Date): Promise<WrittenCerts> {
  const leaf = await issueLeaf(ca.authority, { spiffeId, keyAlgorithm: c.keyAlgorithm, lifetimeMs: c.leafLifetimeMs, ...(now && { now }) });
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

export interface WatchOptions {
  /** Between the rollout's steps. @default 5000 */
  settleMs?: number;
  /** How often the CA directory and the rotation point are looked at. @default 1000 */
  tickMs?: number;
  /** The clock (tests). @default the system's */
  now?: () => Date;
  /** Hears each new problem once (a CA that can no longer issue, a CA directory that does not load). */
  onProblem?: (message: string) => void;
}

/**
 * Keeps the files current until `signal` aborts; `onWrite` hears of each new leaf. A CA change (`meshc ca rotate`)
 * is followed in the rollout's steps (./rollout.ts): ca.pem first gains the new root, the leaf is re-issued from
 * it `settleMs` later, and the old root leaves ca.pem `settleMs` after that, so that sidecars (which `meshc serve`
 * moves through the same steps) and this client never present a certificate the other side does not trust yet.
 * Only the first issue fails the watch (fail closed at start). Later, a CA that can no longer issue (expired, near
 * its end) or a directory that does not load is reported once through `onProblem`, the current files stay, and
 * the watch keeps trying every tick, so that the `meshc ca rotate` that fixes it is followed like any other.
 */
export async function watchCertFiles(caDir: string, outDir: string, spiffeId: string, c: CertificatesIR, signal: AbortSignal, onWrite: (w: WrittenCerts) => void, o: WatchOptions = {}): Promise<void> {
  const now = o.now ?? (() => new Date());
  const settleMs = o.settleMs ?? 5000;
  const tickMs = o.tickMs ?? 1000;
  let reported: string | undefined;
  const problem = (what: string, err: unknown) => {
    const message = `${what}: ${(err as Error).message}; keeping the current files (${outDir}) and trying again`;
    if (message !== reported) o.onProblem?.(message);
    reported = message;
  };
  const issue = async (ca: LoadedCa, bundle: readonly string[]) => {
    const written = await issueInto(ca, outDir, spiffeId, c, bundle, now());
    reported = undefined;
    onWrite(written);
    return written;
  };
  let signer = await loadCa(caDir, { now: now() });
  let served: string[] = [...signer.bundle];
  let w = await issue(signer, served);
  let issuer = signer.authority.cert.serialNumber;
  let target: LoadedCa | undefined;
  let stepAt = 0;
  while (!signal.aborted) {
    await new Promise((r) => setTimeout(r, tickMs));
    if (signal.aborted) break;
    const t = now().getTime();
    try {
      if (readCaMeta(caDir).generation !== (target ?? signer).meta.generation) target = await loadCa(caDir, { now: now() });
    } catch (err) {
      problem(`the CA directory ${caDir} does not load`, err);
    }
    try {
      if (target && t - stepAt >= settleMs) {
        const step = nextRolloutStep({ bundle: served, leafIssuers: [issuer] }, target);
        if (step.kind === "done") {
          signer = target;
          target = undefined;
          stepAt = 0;
        } else if (step.kind === "reissue") {
          w = await issue(target, served);
          signer = target;
          issuer = signer.authority.cert.serialNumber;
          stepAt = t;
          continue;
        } else {
          stepAt = t;
          served = step.bundle;
          put(outDir, CERT_FILES.ca, served.join(""), 0o644);
        }
      }
      if (t >= w.rotateAt) w = await issue(signer, served);
    } catch (err) {
      problem(`cannot renew ${spiffeId}'s certificate`, err);
    }
  }
}
