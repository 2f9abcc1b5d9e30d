// The order in which a CA change reaches the workloads (issue 8, root rotation with no dropped request). Pushing a
// new root's leaves and the new trust bundle together races between peers: a proxy that already presents a
// new-root leaf is refused by a peer that does not trust the new root yet, and a peer that dropped the old root
// refuses a proxy still presenting an old-root leaf. So a change is rolled out in steps, each one pushed to every
// workload and confirmed (ACKed, settled) before the next:
//   1. trust:   the served bundle grows to old ∪ new roots (leaves unchanged);
//   2. reissue: leaves are re-issued by the new signing CA (everyone already trusts its root);
//   3. prune:   the bundle shrinks to the CA's own (every leaf already chains to a root that stays).
// Used by `meshc serve --ca` (src/serve/certificates.ts, confirmation = every connected proxy ACKed its secrets)
// and `meshc certs --watch` (./cert-files.ts, confirmation = time for the file watcher to read the files).
import type { LoadedCa } from "./ca-dir.js";

export type RolloutStep = { kind: "trust"; bundle: string[] } | { kind: "reissue" } | { kind: "prune"; bundle: string[] } | { kind: "done" };

/** Certificates compare by their base64 body (PEM line breaks and trailing newlines aside). */
function certKey(pem: string): string {
  return pem.replace(/-----[A-Z ]+-----|\s/g, "");
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const ka = new Set(a.map(certKey));
  const kb = new Set(b.map(certKey));
  return ka.size === kb.size && [...ka].every((k) => kb.has(k));
}

/** `a` followed by those of `b` it lacks (order kept, so an unchanged bundle stays byte-identical). */
export function unionBundle(a: readonly string[], b: readonly string[]): string[] {
  const seen = new Set(a.map(certKey));
  return [...a, ...b.filter((p) => !seen.has(certKey(p)))];
}

/**
 * The next step towards serving `target` (the CA directory's current contents), given the bundle served now and
 * the serial of the CA that signed each current leaf.
 */
export function nextRolloutStep(served: { bundle: readonly string[]; leafIssuers: Iterable<string> }, target: LoadedCa): RolloutStep {
  const union = unionBundle(served.bundle, target.bundle);
  if (!sameSet(union, served.bundle)) return { kind: "trust", bundle: union };
  const signer = target.authority.cert.serialNumber;
  for (const issuer of served.leafIssuers) if (issuer !== signer) return { kind: "reissue" };
  if (!sameSet(served.bundle, target.bundle)) return { kind: "prune", bundle: [...target.bundle] };
  return { kind: "done" };
}
