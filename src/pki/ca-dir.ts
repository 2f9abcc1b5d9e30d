// The mesh CA on disk (`meshc ca init|rotate`, read by `meshc serve --ca` and `meshc certs`). One directory:
//   ca.json           metadata, no secrets: kind (root | intermediate), key algorithm, generation, rotation phase
//   ca-cert.pem       the signing CA's certificate (the root itself, or an intermediate)
//   ca-key.pem        its private key, PKCS#8, mode 0600 (the directory is 0700)
//   cert-chain.pem    certificates a leaf's chain carries above it (the intermediate; empty for a root)
//   trust-bundle.pem  the roots proxies trust; two of them during a root rotation's overlap window
// Every change writes files under temporary names and renames them, ca.json last with a new generation, so a
// reader that sees a generation sees all of its files. Keys are never printed: they travel as SecretPem.
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomicSync } from "../runtime/atomic-file.js";
import { SecretPem } from "./secret.js";
import { createIntermediate, createRoot, loadAuthority, parseCertificate, splitPem, type Authority, type KeyAlgorithm } from "./x509.js";

export const CA_FILES = {
  meta: "ca.json",
  cert: "ca-cert.pem",
  key: "ca-key.pem",
  chain: "cert-chain.pem",
  bundle: "trust-bundle.pem",
} as const;

export interface CaMeta {
  version: 1;
  kind: "root" | "intermediate";
  keyAlgorithm: KeyAlgorithm;
  /** Bumped by every change; readers reload when it moves. */
  generation: number;
  /** "overlap": a new root signs, old and new roots are both trusted; "single": one root trusted. */
  phase: "single" | "overlap";
}

export interface LoadedCa {
  dir: string;
  meta: CaMeta;
  authority: Authority;
  /** PEM certificates between a leaf and the root (may be empty). */
  chain: string[];
  /** PEM roots to trust. */
  bundle: string[];
}

export class CaError extends Error {}

const ROOT_LIFETIME_MS = 10 * 365 * 86_400_000;
const INTERMEDIATE_LIFETIME_MS = 365 * 86_400_000;

function writeAtomic(dir: string, name: string, data: string, mode: number): void {
  writeFileAtomicSync(join(dir, name), data, mode);
}

function writeCa(dir: string, meta: CaMeta, files: { cert?: string; key?: SecretPem; chain?: string[]; bundle: string[] }): void {
  if (files.key) writeAtomic(dir, CA_FILES.key, files.key.reveal(), 0o600);
  if (files.cert) writeAtomic(dir, CA_FILES.cert, files.cert, 0o644);
  if (files.chain) writeAtomic(dir, CA_FILES.chain, files.chain.join(""), 0o644);
  writeAtomic(dir, CA_FILES.bundle, files.bundle.join(""), 0o644);
  writeAtomic(dir, CA_FILES.meta, `${JSON.stringify(meta, null, 2)}\n`, 0o644);
}

export interface InitOptions {
  trustDomain?: string;
  keyAlgorithm?: KeyAlgorithm;
  /** The company's root to sign an intermediate with (both or neither). */
  rootCertPem?: string;
  rootKeyPem?: SecretPem;
}

/** Creates a new CA in `dir` (created 0700; refuses a directory that already holds one). */
export async function initCa(dir: string, o: InitOptions = {}): Promise<CaMeta> {
  if (existsSync(join(dir, CA_FILES.meta)) || existsSync(join(dir, CA_FILES.key))) throw new CaError(`${dir} already holds a CA (ca.json); refusing to overwrite it`);
  const keyAlgorithm = o.keyAlgorithm ?? "ecdsa-p256";
  const name = `meshc ${o.trustDomain ?? "mesh"}`;
  let issued;
  let chain: string[];
  let bundle: string[];
  let kind: CaMeta["kind"];
  if (o.rootCertPem !== undefined || o.rootKeyPem !== undefined) {
    if (o.rootCertPem === undefined || o.rootKeyPem === undefined) throw new CaError("--root-cert and --root-key go together");
    let root: Authority;
    try {
      root = await loadAuthority(o.rootCertPem, o.rootKeyPem);
    } catch (err) {
      throw new CaError(`cannot use the given root: ${(err as Error).message}`);
    }
    issued = await createIntermediate(root, { commonName: `${name} intermediate`, keyAlgorithm, lifetimeMs: INTERMEDIATE_LIFETIME_MS });
    chain = [issued.cert.pem];
    bundle = splitPem(o.rootCertPem).slice(0, 1);
    kind = "intermediate";
  } else {
    issued = await createRoot({ commonName: `${name} root`, keyAlgorithm, lifetimeMs: ROOT_LIFETIME_MS });
    chain = [];
    bundle = [issued.cert.pem];
    kind = "root";
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // A folder someone else made (or a symlink to one) stays theirs: they could read the key or swap the files.
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new CaError(`${dir} is not a directory (a symlink?); a CA directory must be a real one`);
  if (typeof process.getuid === "function" && st.uid !== process.getuid()) throw new CaError(`${dir} belongs to uid ${st.uid}, not to this user (uid ${process.getuid()}); a CA directory must be yours: choose a new path`);
  chmodSync(dir, 0o700);
  const meta: CaMeta = { version: 1, kind, keyAlgorithm, generation: 1, phase: "single" };
  writeCa(dir, meta, { cert: issued.cert.pem, key: issued.key, chain, bundle });
  return meta;
}

export function readCaMeta(dir: string): CaMeta {
  const path = join(dir, CA_FILES.meta);
  if (!existsSync(path)) throw new CaError(`${dir} holds no CA (no ca.json); create one with \`meshc ca init --out ${dir}\``);
  const meta = JSON.parse(readFileSync(path, "utf8")) as CaMeta;
  if (meta.version !== 1) throw new CaError(`${path}: unsupported version ${String(meta.version)}`);
  return meta;
}

/** Loads the CA (signing key included) and refuses a key file readable by others. */
export async function loadCa(dir: string): Promise<LoadedCa> {
  const meta = readCaMeta(dir);
  const keyPath = join(dir, CA_FILES.key);
  const mode = statSync(keyPath).mode & 0o777;
  if ((mode & 0o077) !== 0) throw new CaError(`${keyPath} is readable by group or others (mode ${mode.toString(8)}); chmod 600 it`);
  const certPem = readFileSync(join(dir, CA_FILES.cert), "utf8");
  let authority: Authority;
  try {
    authority = await loadAuthority(certPem, new SecretPem(readFileSync(keyPath, "utf8")));
  } catch (err) {
    throw new CaError(`${dir}: ${(err as Error).message}`);
  }
  const chainPath = join(dir, CA_FILES.chain);
  const chain = existsSync(chainPath) ? splitPem(readFileSync(chainPath, "utf8")) : [];
  const bundle = splitPem(readFileSync(join(dir, CA_FILES.bundle), "utf8"));
  if (bundle.length === 0) throw new CaError(`${dir}: ${CA_FILES.bundle} holds no certificate`);
  return { dir, meta, authority, chain, bundle };
}

/**
 * Root rotation, step 1 (`meshc ca rotate`): a new self-signed root signs from now on; old and new roots are both
 * trusted (overlap window) so leaves of either chain verify while proxies get new leaves. Step 2
 * (`meshc ca rotate --finish`): the old root leaves the trust bundle, so its leaves are refused.
 */
export async function rotateCa(dir: string, o: { finish?: boolean } = {}): Promise<CaMeta> {
  const ca = await loadCa(dir);
  if (ca.meta.kind !== "root") throw new CaError("only a self-signed mesh root can be rotated here; for an intermediate, `meshc ca init` a new directory with your root");
  const current = ca.authority.cert.toString("pem");
  if (o.finish) {
    if (ca.meta.phase !== "overlap") throw new CaError("no rotation in progress: run `meshc ca rotate` first");
    const serial = parseCertificate(current).serial;
    const meta: CaMeta = { ...ca.meta, generation: ca.meta.generation + 1, phase: "single" };
    writeCa(dir, meta, { bundle: ca.bundle.filter((p) => parseCertificate(p).serial === serial) });
    return meta;
  }
  if (ca.meta.phase === "overlap") throw new CaError("a rotation is already in its overlap window: finish it with `meshc ca rotate --finish`");
  const issued = await createRoot({ commonName: `${parseCertificate(current).subject.replace(/^CN=|, O=meshc$/g, "")} ${ca.meta.generation + 1}`, keyAlgorithm: ca.meta.keyAlgorithm, lifetimeMs: ROOT_LIFETIME_MS });
  const meta: CaMeta = { ...ca.meta, generation: ca.meta.generation + 1, phase: "overlap" };
  writeCa(dir, meta, { cert: issued.cert.pem, key: issued.key, chain: [], bundle: [issued.cert.pem, ...ca.bundle] });
  return meta;
}
