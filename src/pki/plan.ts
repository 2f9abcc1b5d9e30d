// What `meshc serve --ca` needs to know to issue workload certificates, without the mesh's source: each sidecar
// proxy's SPIFFE ID and the mesh's certificate settings. Derived from the IR (mesh.ts sources) and written into a
// build directory's manifest.json ("certificates"), so that `meshc serve --ca <build-dir>` and a warm start from the
// state directory (which holds a build directory, never keys) issue the same certificates a compile would.
// Key-free and deterministic: identities and settings only.
import type { CertificatesIR, MeshIR } from "../ir/types.js";

export interface CertificatePlan {
  keyAlgorithm: CertificatesIR["keyAlgorithm"];
  leafLifetimeMs: number;
  rotateAtPercent: number;
  /** Sidecar proxy (service) name -> the SPIFFE ID its leaf carries. Proxyless clients read files instead. */
  identities: Record<string, string>;
}

/** Whether any proxy of the mesh terminates or originates mTLS (then every sidecar needs a certificate). */
export function meshUsesMtls(ir: MeshIR): boolean {
  return ir.services.some((s) => !s.nonMesh && (s.ports.some((p) => p.mtls !== "off") || (s.proxyless && s.mtls !== "off")));
}

/** The plan of a mesh that uses mTLS; undefined for one that does not. */
export function certificatePlan(ir: MeshIR): CertificatePlan | undefined {
  if (!meshUsesMtls(ir)) return undefined;
  const identities: Record<string, string> = {};
  for (const s of [...ir.services].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (!s.proxyless && !s.nonMesh) identities[s.name] = s.identity;
  }
  const c = ir.mtls.certificates;
  return { keyAlgorithm: c.keyAlgorithm, leafLifetimeMs: c.leafLifetimeMs, rotateAtPercent: c.rotateAtPercent, identities };
}

const MAX_LIFETIME_MS = 366 * 86_400_000;
const MAX_IDENTITIES = 100_000;

/** Reads a plan back from manifest.json (untrusted input): problems as messages, nothing partial. */
export function parseCertificatePlan(value: unknown): { plan: CertificatePlan } | { problems: string[] } {
  const problems: string[] = [];
  if (!value || typeof value !== "object" || Array.isArray(value)) return { problems: ["certificates: must be an object"] };
  const v = value as Record<string, unknown>;
  if (v.keyAlgorithm !== "ecdsa-p256" && v.keyAlgorithm !== "rsa-2048") problems.push('certificates.keyAlgorithm: must be "ecdsa-p256" or "rsa-2048"');
  if (typeof v.leafLifetimeMs !== "number" || !Number.isInteger(v.leafLifetimeMs) || v.leafLifetimeMs < 1000 || v.leafLifetimeMs > MAX_LIFETIME_MS) {
    problems.push(`certificates.leafLifetimeMs: must be an integer from 1000 to ${MAX_LIFETIME_MS}`);
  }
  if (typeof v.rotateAtPercent !== "number" || !(v.rotateAtPercent > 0 && v.rotateAtPercent < 100)) problems.push("certificates.rotateAtPercent: must be a number between 0 and 100 (exclusive)");
  const ids = v.identities;
  if (!ids || typeof ids !== "object" || Array.isArray(ids)) problems.push("certificates.identities: must be an object of proxy name -> SPIFFE ID");
  else {
    const entries = Object.entries(ids as Record<string, unknown>);
    if (entries.length > MAX_IDENTITIES) problems.push(`certificates.identities: more than ${MAX_IDENTITIES} entries`);
    for (const [k, id] of entries.slice(0, MAX_IDENTITIES)) {
      if (typeof id !== "string" || !/^spiffe:\/\/[^/\s]+(\/[^\s]*)?$/.test(id) || id.length > 2048) problems.push(`certificates.identities.${JSON.stringify(k)}: must be a SPIFFE ID (spiffe://<trust domain>/...)`);
    }
  }
  if (problems.length) return { problems };
  return { plan: { keyAlgorithm: v.keyAlgorithm as CertificatePlan["keyAlgorithm"], leafLifetimeMs: v.leafLifetimeMs as number, rotateAtPercent: v.rotateAtPercent as number, identities: { ...(ids as Record<string, string>) } } };
}
