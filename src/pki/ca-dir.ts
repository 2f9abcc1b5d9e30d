// The mesh CA on disk (`meshc ca init|rotate`, read by `meshc serve --ca` and `meshc certs`). One directory:
//   ca.json           metadata, no secrets: kind (root | intermediate), key algorithm, generation, rotation phase
//   ca-cert.pem       the signing CA's certificate (the root itself, or an intermediate)
//   ca-key.pem        its private key, PKCS#8, mode 0600 (the directory is 0700)
//   cert-chain.pem    certificates a leaf's chain carries above it (the intermediate; empty for a root)
//   trust-bundle.pem  the roots proxies trust; two of them during a root rotation's overlap window
//   previous-ca-cert.pem, previous-ca-key.pem (0600)
//                     during a root rotation's overlap window only: the old root and its key. The xDS server keeps
//                     presenting a certificate from it (sidecars' bootstrap trust files hold the old root until they
//                     are bootstrapped again); `meshc ca rotate --finish` deletes both.
// Loading checks what it reads and fails closed, naming the file: ca.json's fields, the signing certificate's
// validity (not expired, not before its notBefore, enough life left to issue a leaf) and that it chains to a root
// of the trust bundle.
// Every change writes files under temporary names and renames them, ca.json last with a new generation, so a
// reader that sees a generation sees all of its files. Keys are never printed: they travel as SecretPem.
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomicSync } from "../runtime/atomic-file.js";
import { SecretPem } from "./secret.js";
import { createIntermediate, createRoot, issuingProblem, loadAuthority, parseCertificate, signatureValid, splitPem, validityProblem, type Authority, type KeyAlgorithm } from "./x509.js";

export const CA_FILES = {
  meta: "ca.json",
  cert: "ca-cert.pem",
  key: "ca-key.pem",
  chain: "cert-chain.pem",
  bundle: "trust-bundle.pem",
  previousCert: "previous-ca-cert.pem",
  previousKey: "previous-ca-key.pem",
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
  /**
   * During a root rotation's overlap window: the old root, which still signs the xDS server's own certificate
   * (src/serve/xds-tls.ts) until `--finish`. Absent otherwise, or for an overlap written by an older meshc.
   */
  previous?: Authority;
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

const KEY_ALGORITHMS: readonly string[] = ["ecdsa-p256", "rsa-2048"];

export function readCaMeta(dir: string): CaMeta {
  const path = join(dir, CA_FILES.meta);
  if (!existsSync(path)) throw new CaError(`${dir} holds no CA (no ca.json); create one with \`meshc ca init --out ${dir}\``);
  let meta: Partial<CaMeta>;
  try {
    meta = JSON.parse(readFileSync(path, "utf8")) as Partial<CaMeta>;
  } catch (err) {
    throw new CaError(`${path}: malformed: ${(err as Error).message}`);
  }
  const bad = (what: string): never => {
    throw new CaError(`${path}: malformed: ${what}`);
  };
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) bad("not a JSON object");
  if (meta.version !== 1) throw new CaError(`${path}: unsupported version ${JSON.stringify(meta.version)}`);
  if (meta.kind !== "root" && meta.kind !== "intermediate") bad(`"kind" must be "root" or "intermediate", not ${JSON.stringify(meta.kind)}`);
  if (typeof meta.keyAlgorithm !== "string" || !KEY_ALGORITHMS.includes(meta.keyAlgorithm)) bad(`"keyAlgorithm" must be one of ${KEY_ALGORITHMS.join(", ")}, not ${JSON.stringify(meta.keyAlgorithm)}`);
  if (typeof meta.generation !== "number" || !Number.isSafeInteger(meta.generation) || meta.generation < 1) bad(`"generation" must be a positive integer, not ${JSON.stringify(meta.generation)}`);
  if (meta.phase !== "single" && meta.phase !== "overlap") bad(`"phase" must be "single" or "overlap", not ${JSON.stringify(meta.phase)}`);
  return meta as CaMeta;
}

export interface LoadCaOptions {
  /** The time validity is checked at. @default now */
  now?: Date;
  /**
   * Check the signing certificate's validity and chain (default). Only `meshc ca rotate` turns it off: rotating is
   * how a CA that expired (or is about to) is replaced.
   */
  check?: boolean;
}

function readFile(dir: string, name: string): string {
  try {
    return readFileSync(join(dir, name), "utf8");
  } catch (err) {
    throw new CaError(`${join(dir, name)}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

async function authorityFrom(dir: string, certName: string, keyName: string): Promise<Authority> {
  const keyPath = join(dir, keyName);
  let mode: number;
  try {
    mode = statSync(keyPath).mode & 0o777;
  } catch (err) {
    throw new CaError(`${keyPath}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if ((mode & 0o077) !== 0) throw new CaError(`${keyPath} is readable by group or others (mode ${mode.toString(8)}); chmod 600 it`);
  const certPem = readFile(dir, certName);
  try {
    return await loadAuthority(certPem, new SecretPem(readFile(dir, keyName)));
  } catch (err) {
    if (err instanceof CaError) throw err;
    throw new CaError(`${join(dir, certName)}: ${(err as Error).message}`);
  }
}

/**
 * Whether `cert` chains, through `chain` (each certificate signed by the next), to one of `bundle`'s roots; returns
 * that root, or undefined.
 */
async function anchorOf(cert: string, chain: readonly string[], bundle: readonly string[]): Promise<string | undefined> {
  const body = (p: string) => p.replace(/-----[A-Z ]+-----|\s/g, "");
  const path = [cert, ...chain.filter((c) => body(c) !== body(cert))]; // cert-chain.pem may carry the signing certificate itself
  for (let i = 0; i + 1 < path.length; i++) if (!(await signatureValid(path[i]!, path[i + 1]!))) return undefined;
  const top = path[path.length - 1]!;
  for (const root of bundle) {
    if (body(root) === body(top) || (await signatureValid(top, root))) return root;
  }
  return undefined;
}

/**
 * Loads the CA (signing key included) and refuses a key file readable by others, a malformed ca.json, a signing
 * certificate that is expired, not yet valid, too close to its end to issue a leaf, or not chained to a root of the
 * trust bundle. Errors name the file and the problem.
 */
export async function loadCa(dir: string, o: LoadCaOptions = {}): Promise<LoadedCa> {
  const meta = readCaMeta(dir);
  const certPath = join(dir, CA_FILES.cert);
  const authority = await authorityFrom(dir, CA_FILES.cert, CA_FILES.key);
  const chainPath = join(dir, CA_FILES.chain);
  const chain = existsSync(chainPath) ? splitPem(readFile(dir, CA_FILES.chain)) : [];
  const bundlePath = join(dir, CA_FILES.bundle);
  const bundle = splitPem(readFile(dir, CA_FILES.bundle));
  if (bundle.length === 0) throw new CaError(`${bundlePath} holds no certificate`);
  for (const [i, pem] of bundle.entries()) {
    try {
      parseCertificate(pem);
    } catch (err) {
      throw new CaError(`${bundlePath}: certificate ${i + 1} cannot be read: ${(err as Error).message}`);
    }
  }
  const now = o.now ?? new Date();
  let previous: Authority | undefined;
  if (o.check !== false) {
    const problem = issuingProblem(authority.cert, now);
    if (problem) throw new CaError(`${certPath}: ${problem.replace(/^the signing CA certificate is /, "")}`);
    const certPem = authority.cert.toString("pem");
    const root = await anchorOf(certPem, chain, bundle);
    if (!root) throw new CaError(`${certPath}: the signing certificate does not chain${chain.length ? ` (through ${CA_FILES.chain})` : ""} to a root in ${bundlePath}`);
    const rootProblem = validityProblem(parseCertificate(root), now);
    if (rootProblem) throw new CaError(`${bundlePath}: the root the signing certificate chains to is ${rootProblem}`);
    if (meta.phase === "overlap" && existsSync(join(dir, CA_FILES.previousCert))) {
      previous = await authorityFrom(dir, CA_FILES.previousCert, CA_FILES.previousKey);
      const prevPath = join(dir, CA_FILES.previousCert);
      const p = issuingProblem(previous.cert, now);
      if (p) throw new CaError(`${prevPath}: the old root of this rotation is ${p.replace(/^the signing CA certificate is /, "")}; finish the rotation (\`meshc ca rotate --ca ${dir} --finish\`) once every proxy was bootstrapped again`);
      if (!(await anchorOf(previous.cert.toString("pem"), [], bundle))) throw new CaError(`${prevPath}: the old root is not in ${bundlePath}`);
    }
  }
  return { dir, meta, authority, chain, bundle, ...(previous && { previous }) };
}

/**
 * Root rotation, step 1 (`meshc ca rotate`): a new self-signed root signs from now on; old and new roots are both
 * trusted (overlap window) so leaves of either chain verify while proxies get new leaves. Step 2
 * (`meshc ca rotate --finish`): the old root leaves the trust bundle, so its leaves are refused.
 */
export async function rotateCa(dir: string, o: { finish?: boolean } = {}): Promise<CaMeta> {
  const ca = await loadCa(dir, { check: false });
  if (ca.meta.kind !== "root") throw new CaError("only a self-signed mesh root can be rotated here; for an intermediate, `meshc ca init` a new directory with your root");
  const current = ca.authority.cert.toString("pem");
  if (o.finish) {
    if (ca.meta.phase !== "overlap") throw new CaError("no rotation in progress: run `meshc ca rotate` first");
    const serial = parseCertificate(current).serial;
    const meta: CaMeta = { ...ca.meta, generation: ca.meta.generation + 1, phase: "single" };
    writeCa(dir, meta, { bundle: ca.bundle.filter((p) => parseCertificate(p).serial === serial) });
    for (const f of [CA_FILES.previousKey, CA_FILES.previousCert]) rmSync(join(dir, f), { force: true });
    return meta;
  }
  if (ca.meta.phase === "overlap") throw new CaError("a rotation is already in its overlap window: finish it with `meshc ca rotate --finish`");
  const issued = await createRoot({ commonName: `${parseCertificate(current).subject.replace(/^CN=|, O=meshc$/g, "")} ${ca.meta.generation + 1}`, keyAlgorithm: ca.meta.keyAlgorithm, lifetimeMs: ROOT_LIFETIME_MS });
  const meta: CaMeta = { ...ca.meta, generation: ca.meta.generation + 1, phase: "overlap" };
  // The old root keeps signing the xDS server's certificate until --finish (see the header). An old root that can
  // no longer issue is not kept: the server then presents a new-root certificate at once.
  if (!issuingProblem(ca.authority.cert, new Date())) {
    writeAtomic(dir, CA_FILES.previousKey, readFileSync(join(dir, CA_FILES.key), "utf8"), 0o600);
    writeAtomic(dir, CA_FILES.previousCert, current, 0o644);
  } else {
    for (const f of [CA_FILES.previousKey, CA_FILES.previousCert]) rmSync(join(dir, f), { force: true });
  }
  writeCa(dir, meta, { cert: issued.cert.pem, key: issued.key, chain: [], bundle: [issued.cert.pem, ...ca.bundle] });
  return meta;
}
