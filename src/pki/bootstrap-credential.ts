// Credentials of the authenticated control plane (issue 9): the xDS server's own certificate, and the short-lived
// client certificate a sidecar's bootstrap carries to prove which identity it runs as when it opens its ADS stream.
// Both are SPIFFE X509-SVIDs issued by the mesh CA through ./x509.ts (issueLeaf); this file only decides their
// identities and lifetimes and writes the client's files (key 0600, replaced by rename).
import { mkdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { writeFileAtomicSync } from "../runtime/atomic-file.js";
import { loadCa, type LoadedCa } from "./ca-dir.js";
import { issueLeaf, type Authority, type CertInfo, type Issued } from "./x509.js";

import { xdsServerIdentity } from "./xds-server-identity.js";

export { XDS_SERVER_PATH, xdsServerIdentity } from "./xds-server-identity.js";

/** How long the server's own certificate lives; it is re-issued at half of that (src/serve/xds-tls.ts). */
export const XDS_SERVER_CERT_LIFETIME_MS = 24 * 3_600_000;

/**
 * Who signs the xDS server's certificate: during a root rotation's overlap window the old root (ca.previous), which
 * every proxy's bootstrap trust file holds, whether it was bootstrapped before or after `meshc ca rotate`; else the
 * CA's signer. Proxies are expected to trust the new root only from `meshc ca rotate --finish` on.
 */
export function xdsServerSigner(ca: LoadedCa): { authority: Authority; chain: string[] } {
  return ca.previous ? { authority: ca.previous, chain: [] } : { authority: ca.authority, chain: ca.chain };
}

/** The xDS server's certificate (leaf + chain) and key. */
export async function issueXdsServerCertificate(ca: LoadedCa, trustDomain: string, now = new Date()): Promise<{ issued: Issued; chainPem: string }> {
  const signer = xdsServerSigner(ca);
  const issued = await issueLeaf(signer.authority, { spiffeId: xdsServerIdentity(trustDomain), keyAlgorithm: ca.meta.keyAlgorithm, lifetimeMs: XDS_SERVER_CERT_LIFETIME_MS, now });
  return { issued, chainPem: [issued.cert.pem, ...signer.chain].join("") };
}

/** Where a bootstrap's credential files go: beside the bootstrap, named after it. */
export interface CredentialFiles {
  cert: string;
  key: string;
  ca: string;
}

export function credentialFilesFor(bootstrapPath: string): CredentialFiles {
  const dir = dirname(bootstrapPath);
  const stem = basename(bootstrapPath).replace(/\.(ya?ml|json)$/i, "");
  return { cert: join(dir, `${stem}.xds-cert.pem`), key: join(dir, `${stem}.xds-key.pem`), ca: join(dir, `${stem}.xds-ca.pem`) };
}

/**
 * Issues the bootstrap credential of one identity (a leaf of the mesh's leaf lifetime) and writes it: the key
 * (0600) first, then the certificate chain and the trust bundle the server's certificate is checked against.
 */
export async function writeBootstrapCredential(caDir: string, spiffeId: string, lifetimeMs: number, files: CredentialFiles): Promise<CertInfo> {
  const ca = await loadCa(caDir);
  const leaf = await issueLeaf(ca.authority, { spiffeId, keyAlgorithm: ca.meta.keyAlgorithm, lifetimeMs });
  for (const f of [files.key, files.cert, files.ca]) mkdirSync(dirname(f), { recursive: true });
  writeFileAtomicSync(files.key, leaf.key.reveal(), 0o600);
  writeFileAtomicSync(files.cert, [leaf.cert.pem, ...ca.chain].join(""), 0o644);
  writeFileAtomicSync(files.ca, ca.bundle.join(""), 0o644);
  return leaf.cert;
}
