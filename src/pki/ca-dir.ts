// The mesh CA on disk (`meshc ca init|rotate`, read by `meshc serve --ca` and `meshc certs`). One directory:
//   ca.json           metadata, no secrets: kind (root | intermediate), key algorithm, generation, rotation phase,
//                     and the SHA-256 of the certificates it commits to: "signer" (ca-cert.pem) and, during a
//                     rotation's overlap window, "previous" (previous-ca-cert.pem). A ca.json of an older meshc
//                     has neither; it is read as before.
//   ca-cert.pem       the signing CA's certificate (the root itself, or an intermediate)
//   ca-key.pem        its private key, PKCS#8, mode 0600 (the directory is 0700)
//   cert-chain.pem    certificates a leaf's chain carries above it (the intermediate; empty for a root)
//   trust-bundle.pem  the roots proxies trust; two of them during a root rotation's overlap window
//   previous-ca-cert.pem, previous-ca-key.pem (0600)
//                     during a root rotation's overlap window only: the old root and its key. The xDS server keeps
//                     presenting a certificate from it (sidecars' bootstrap trust files hold the old root until they
//                     are bootstrapped again); `meshc ca rotate --finish` deletes both. An old root that can no
//                     longer issue (expired, not yet valid, within 10 min of its end) is treated as absent
//                     (LoadedCa.previousProblem says why): nothing else depends on it.
// Loading checks what it reads and fails closed, naming the file: the directory and key files are real (no
// symlink) and this user's, ca.json's fields, that ca-cert.pem is the certificate ca.json commits to, the signing
// certificate's validity (not expired, not before its notBefore, enough life left to issue a leaf) and that it
// chains to a root of the trust bundle.
// Every change writes files under temporary names and renames them, ca.json last with a new generation: its rename
// is the one commit point. A rotation first saves the committed root (previous-ca-*.pem), then replaces the live
// files, then commits; interrupted anywhere, the committed root and its key are still on disk, a reader refuses the
// half-written state (ca-cert.pem is not the "signer" ca.json names), and running the command again completes it.
// Keys are never printed: they travel as SecretPem.
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomicSync } from "../runtime/atomic-file.js";
import { CaError } from "./ca-error.js";
import { withCaLock } from "./ca-lock.js";
import { SecretPem } from "./secret.js";
import { certFingerprint, createIntermediate, createRoot, issuingIssue, loadAuthority, parseCertificate, signatureValid, splitPem, validityIssue, type Authority, type CaProblem, type KeyAlgorithm } from "./x509.js";

export { CaError } from "./ca-error.js";

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
  /** SHA-256 (hex) of ca-cert.pem, the signing certificate this generation commits to. Absent: an older meshc wrote it. */
  signer?: string;
  /**
   * During an overlap: SHA-256 of previous-ca-cert.pem, the old root kept to sign the xDS server's certificate.
   * Absent: none was kept (it could no longer issue), or an older meshc wrote ca.json.
   */
  previous?: string;
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
   * (src/serve/xds-tls.ts) until `--finish`. Absent otherwise, for an overlap written by an older meshc, or when the
   * old root can no longer issue (then previousProblem says why).
   */
  previous?: Authority;
  /** Why the overlap's old root is not used (it expired, is not valid yet, or ends within 10 minutes). */
  previousProblem?: CaProblem & { notAfter: Date };
}

const ROOT_LIFETIME_MS = 10 * 365 * 86_400_000;
const INTERMEDIATE_LIFETIME_MS = 365 * 86_400_000;

function writeAtomic(dir: string, name: string, data: string, mode: number): void {
  writeFileAtomicSync(join(dir, name), data, mode);
}

function writeMeta(dir: string, meta: CaMeta): void {
  writeAtomic(dir, CA_FILES.meta, `${JSON.stringify(meta, null, 2)}\n`, 0o644);
}

/** Writes the live files, then ca.json: the commit point of every change. */
function writeCa(dir: string, meta: CaMeta, files: { cert?: string; key?: SecretPem; chain?: string[]; bundle: string[] }): void {
  if (files.key) writeAtomic(dir, CA_FILES.key, files.key.reveal(), 0o600);
  if (files.cert) writeAtomic(dir, CA_FILES.cert, files.cert, 0o644);
  if (files.chain) writeAtomic(dir, CA_FILES.chain, files.chain.join(""), 0o644);
  writeAtomic(dir, CA_FILES.bundle, files.bundle.join(""), 0o644);
  writeMeta(dir, meta);
}

const errCode = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

/**
 * Refuses a CA directory or key file that is a symbolic link, not a directory / regular file, or owned by another
 * user: whoever owns it (or the link) could read the key or swap the files. Same rule as `meshc ca init`.
 */
function checkOwned(path: string, kind: "directory" | "file"): void {
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    throw new CaError(`${path}: cannot read: ${errCode(err)}`);
  }
  const what = kind === "directory" ? "a CA directory" : "a CA key file";
  if (st.isSymbolicLink()) throw new CaError(`${path} is a symbolic link; ${what} must be a real ${kind}, not a link (whoever can change the link chooses the CA)`);
  if (kind === "directory" ? !st.isDirectory() : !st.isFile()) throw new CaError(`${path} is not a ${kind === "directory" ? "directory" : "regular file"}`);
  const me = typeof process.getuid === "function" ? process.getuid() : undefined;
  if (me !== undefined && st.uid !== me) throw new CaError(`${path} belongs to uid ${st.uid}, not to this user (uid ${me}); ${what} must be yours (its owner could read the key or swap the files)`);
}

/** The CA directory itself: a real directory of this user (a trailing slash would follow a symlink). */
function checkCaDir(dir: string): void {
  checkOwned(dir.replace(/(?<=.)\/+$/, ""), "directory");
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
  const meta: CaMeta = { version: 1, kind, keyAlgorithm, generation: 1, phase: "single", signer: certFingerprint(issued.cert.pem) };
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
  for (const f of ["signer", "previous"] as const) {
    if (meta[f] !== undefined && (typeof meta[f] !== "string" || !/^[0-9a-f]{64}$/.test(meta[f]))) bad(`"${f}" must be a SHA-256 fingerprint (64 hex digits), not ${JSON.stringify(meta[f])}`);
  }
  if (meta.previous !== undefined && meta.phase !== "overlap") bad(`"previous" belongs to the overlap phase only`);
  return meta as CaMeta;
}

export interface LoadCaOptions {
  /** The time validity is checked at. @default now */
  now?: Date;
  /**
   * Check the signing certificate's validity and chain (default). Off: only the files' integrity is checked (the
   * directory, the key files, ca.json, ca-cert.pem against ca.json).
   */
  check?: boolean;
}

function readFile(dir: string, name: string): string {
  try {
    return readFileSync(join(dir, name), "utf8");
  } catch (err) {
    throw new CaError(`${join(dir, name)}: cannot read: ${errCode(err)}`);
  }
}

/** A key file: a real file of this user, not readable by others; its text. */
function readKey(dir: string, keyName: string): SecretPem {
  const keyPath = join(dir, keyName);
  checkOwned(keyPath, "file");
  const mode = statSync(keyPath).mode & 0o777;
  if ((mode & 0o077) !== 0) throw new CaError(`${keyPath} is readable by group or others (mode ${mode.toString(8)}); chmod 600 it`);
  return new SecretPem(readFile(dir, keyName));
}

async function authorityFrom(dir: string, certName: string, keyName: string): Promise<Authority> {
  const key = readKey(dir, keyName);
  const certPem = readFile(dir, certName);
  try {
    return await loadAuthority(certPem, key);
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

function readBundle(dir: string): string[] {
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
  return bundle;
}

function fingerprintOf(dir: string, name: string): string | undefined {
  try {
    return certFingerprint(readFileSync(join(dir, name), "utf8"));
  } catch {
    return undefined;
  }
}

/** The error for a ca-cert.pem that is not the signing certificate ca.json commits to. */
function notCommitted(dir: string, meta: CaMeta): CaError {
  const certPath = join(dir, CA_FILES.cert);
  if (meta.phase === "single" && meta.signer !== undefined && fingerprintOf(dir, CA_FILES.previousCert) === meta.signer) {
    return new CaError(`${certPath} is not the signing certificate ${CA_FILES.meta} commits to: a \`meshc ca rotate\` was interrupted (the committed root is saved in ${CA_FILES.previousCert}); run \`meshc ca rotate --ca ${dir}\` again to complete it`);
  }
  return new CaError(`${certPath} is not the signing certificate ${CA_FILES.meta} commits to (sha256 ${meta.signer}): the CA directory was changed outside meshc; restore it from a backup`);
}

/**
 * Loads the CA (signing key included) and refuses a directory or key file that is a symlink or another user's, a
 * key file readable by others, a malformed ca.json, a ca-cert.pem other than the one ca.json commits to, a signing
 * certificate that is expired, not yet valid, too close to its end to issue a leaf, or not chained to a root of the
 * trust bundle. Errors name the file and the problem. An overlap's old root that can no longer issue is left out
 * (previousProblem), not refused: nothing but the xDS server's own certificate depends on it.
 */
export async function loadCa(dir: string, o: LoadCaOptions = {}): Promise<LoadedCa> {
  const meta = readCaMeta(dir);
  checkCaDir(dir);
  const certPath = join(dir, CA_FILES.cert);
  const authority = await authorityFrom(dir, CA_FILES.cert, CA_FILES.key);
  if (meta.signer !== undefined && certFingerprint(authority.cert.toString("pem")) !== meta.signer) throw notCommitted(dir, meta);
  const chainPath = join(dir, CA_FILES.chain);
  const chain = existsSync(chainPath) ? splitPem(readFile(dir, CA_FILES.chain)) : [];
  const bundlePath = join(dir, CA_FILES.bundle);
  const bundle = readBundle(dir);
  const now = o.now ?? new Date();
  let previous: Authority | undefined;
  let previousProblem: LoadedCa["previousProblem"];
  if (o.check !== false) {
    const problem = issuingIssue(authority.cert, now);
    if (problem) throw new CaError(`${certPath}: ${problem.text}${problem.text.startsWith("is not valid") ? "" : "; rotate the CA (`meshc ca rotate`) or create a new one"}`, `${certPath}: ${problem.key}`);
    const certPem = authority.cert.toString("pem");
    const root = await anchorOf(certPem, chain, bundle);
    if (!root) throw new CaError(`${certPath}: the signing certificate does not chain${chain.length ? ` (through ${CA_FILES.chain})` : ""} to a root in ${bundlePath}`);
    const rootProblem = validityIssue(parseCertificate(root), now);
    if (rootProblem) throw new CaError(`${bundlePath}: the root the signing certificate chains to ${rootProblem.text}`, `${bundlePath}: the root the signing certificate chains to ${rootProblem.key}`);
    // The old root: named by ca.json (meshc from this version on), or any previous-ca-cert.pem of an older meshc's overlap.
    const prevPath = join(dir, CA_FILES.previousCert);
    if (meta.phase === "overlap" && (meta.previous !== undefined || (meta.signer === undefined && existsSync(prevPath)))) {
      const prev = await authorityFrom(dir, CA_FILES.previousCert, CA_FILES.previousKey);
      const prevPem = prev.cert.toString("pem");
      if (meta.previous !== undefined && certFingerprint(prevPem) !== meta.previous) throw new CaError(`${prevPath} is not the old root ${CA_FILES.meta} names (sha256 ${meta.previous}): the CA directory was changed outside meshc; restore it from a backup`);
      if (!(await anchorOf(prevPem, [], bundle))) throw new CaError(`${prevPath}: the old root is not in ${bundlePath}: a \`meshc ca rotate --finish\` was interrupted? Run it again`);
      previousProblem = oldRootProblem(dir, prev, now);
      if (!previousProblem) previous = prev;
    }
  }
  return { dir, meta, authority, chain, bundle, ...(previous && { previous }), ...(previousProblem && { previousProblem }) };
}

function oldRootProblem(dir: string, prev: Authority, now: Date): LoadedCa["previousProblem"] {
  const p = issuingIssue(prev.cert, now);
  if (!p) return undefined;
  const what = `${join(dir, CA_FILES.previousCert)}: the old root of this rotation`;
  return { text: `${what} ${p.text}`, key: `${what} ${p.key}`, notAfter: prev.cert.notAfter };
}

/**
 * `ca` without its overlap's old root when that can no longer issue at `now` (as loadCa leaves one out); `ca`
 * itself when nothing changes. A server that loaded the CA earlier uses it as time passes.
 */
export function withoutUnusableOldRoot(ca: LoadedCa, now: Date): LoadedCa {
  const problem = ca.previous && oldRootProblem(ca.dir, ca.previous, now);
  if (!problem) return ca;
  const { previous: _dropped, ...rest } = ca;
  return { ...rest, previousProblem: problem };
}

/** What `meshc ca rotate` did. */
export interface RotateResult extends CaMeta {
  /** The old root was not kept to sign the xDS server's certificate: why (it can no longer issue). */
  oldRootProblem?: string;
}

/** The root ca.json commits to, and where its key is: the live files, or the copy an interrupted rotation saved. */
async function committedRoot(dir: string, meta: CaMeta, bundle: readonly string[]): Promise<{ authority: Authority; key: SecretPem; pem: string; saved: boolean }> {
  const liveFp = fingerprintOf(dir, CA_FILES.cert);
  const prevFp = fingerprintOf(dir, CA_FILES.previousCert);
  const load = async (certName: string, keyName: string) => {
    const key = readKey(dir, keyName);
    const authority = await authorityFrom(dir, certName, keyName);
    return { authority, key, pem: authority.cert.toString("pem") };
  };
  let committed: string | undefined = meta.signer;
  if (committed === undefined) {
    // A ca.json of an older meshc names no signer. In phase single a previous-ca-cert.pem that is still trusted
    // (in the bundle) and is not ca-cert.pem is the saved root of an interrupted rotation (an older meshc replaced
    // the live files before ca.json); one not in the bundle is left over from a --finish.
    const inBundle = prevFp !== undefined && bundle.some((p) => certFingerprint(p) === prevFp);
    committed = inBundle && prevFp !== liveFp ? prevFp : liveFp;
  }
  if (committed !== undefined && liveFp === committed) {
    try {
      return { ...(await load(CA_FILES.cert, CA_FILES.key)), saved: false };
    } catch (err) {
      // ca-key.pem already replaced, ca-cert.pem not yet: the saved copy holds the pair.
      if (prevFp !== committed) throw err;
    }
  }
  if (committed !== undefined && prevFp === committed) return { ...(await load(CA_FILES.previousCert, CA_FILES.previousKey)), saved: true };
  throw new CaError(`${join(dir, CA_FILES.cert)} is not the signing certificate ${CA_FILES.meta} commits to, and no saved copy of it (${CA_FILES.previousCert}) exists: refusing to rotate; restore the CA directory from a backup`);
}

/**
 * Root rotation, step 1 (`meshc ca rotate`): a new self-signed root signs from now on; old and new roots are both
 * trusted (overlap window) so leaves of either chain verify while proxies get new leaves. Step 2
 * (`meshc ca rotate --finish`): the old root leaves the trust bundle, so its leaves are refused.
 * Crash-safe (see the header): step 1 saves the committed root first, replaces the live files, then commits
 * ca.json; run again after an interruption it starts from the saved root (never from a half-written new one).
 */
export async function rotateCa(dir: string, o: { finish?: boolean; now?: Date } = {}): Promise<RotateResult> {
  readCaMeta(dir);
  checkCaDir(dir);
  return withCaLock(dir, () => rotateLocked(dir, o));
}

async function rotateLocked(dir: string, o: { finish?: boolean; now?: Date }): Promise<RotateResult> {
  // Read under the lock, so that no other rotation changes the directory between this read and the commit.
  const meta = readCaMeta(dir);
  if (meta.kind !== "root") throw new CaError("only a self-signed mesh root can be rotated here; for an intermediate, `meshc ca init` a new directory with your root");
  const bundle = readBundle(dir);
  if (o.finish) {
    if (meta.phase !== "overlap") throw new CaError("no rotation in progress: run `meshc ca rotate` first");
    const live = await authorityFrom(dir, CA_FILES.cert, CA_FILES.key);
    const pem = live.cert.toString("pem");
    const fp = certFingerprint(pem);
    if (meta.signer !== undefined && fp !== meta.signer) throw notCommitted(dir, meta);
    const kept = bundle.filter((p) => certFingerprint(p) === fp);
    if (kept.length === 0) throw new CaError(`${join(dir, CA_FILES.bundle)} does not hold the signing root ${join(dir, CA_FILES.cert)}: refusing to remove every other root`);
    // The bundle first, ca.json (the commit) second; previous-* are only deleted after it. Interrupted before the
    // commit: a reader refuses the overlap whose old root left the bundle, and --finish run again completes it.
    // Interrupted after it: previous-* are left over, but ca.json (phase single, no "previous") no longer names
    // them, and the next rotation replaces them before anything else.
    const { previous: _dropped, ...rest } = meta;
    const next: CaMeta = { ...rest, generation: meta.generation + 1, phase: "single", signer: fp };
    writeCa(dir, next, { bundle: kept });
    for (const f of [CA_FILES.previousKey, CA_FILES.previousCert]) rmSync(join(dir, f), { force: true });
    return next;
  }
  if (meta.phase === "overlap") throw new CaError("a rotation is already in its overlap window: finish it with `meshc ca rotate --finish`");
  const root = await committedRoot(dir, meta, bundle);
  const rootFp = certFingerprint(root.pem);
  // A half-written rotation may have put its (never committed) new root into the bundle: it is not trusted.
  const liveFp = fingerprintOf(dir, CA_FILES.cert);
  const stray = liveFp !== rootFp ? liveFp : undefined;
  const trusted = bundle.filter((p) => certFingerprint(p) !== stray);
  // 1. Save the committed root and its key (unless an interrupted run already did): rename-replaced, the key first
  //    so a saved certificate always has its key beside it. Left-overs of an earlier --finish are removed first.
  if (!root.saved) {
    for (const f of [CA_FILES.previousCert, CA_FILES.previousKey]) rmSync(join(dir, f), { force: true });
    writeAtomic(dir, CA_FILES.previousKey, root.key.reveal(), 0o600);
    writeAtomic(dir, CA_FILES.previousCert, root.pem, 0o644);
  }
  // 2. The live files; 3. ca.json, the commit. The old root keeps signing the xDS server's certificate until
  //    --finish (see the header), unless it can no longer issue: then the server presents a new-root one at once.
  const problem = issuingIssue(root.authority.cert, o.now ?? new Date());
  const issued = await createRoot({ commonName: `${parseCertificate(root.pem).subject.replace(/^CN=|, O=meshc$/g, "")} ${meta.generation + 1}`, keyAlgorithm: meta.keyAlgorithm, lifetimeMs: ROOT_LIFETIME_MS });
  const next: CaMeta = { ...meta, generation: meta.generation + 1, phase: "overlap", signer: certFingerprint(issued.cert.pem), ...(problem ? {} : { previous: rootFp }) };
  writeCa(dir, next, { cert: issued.cert.pem, key: issued.key, chain: [], bundle: [issued.cert.pem, ...trusted] });
  if (problem) for (const f of [CA_FILES.previousKey, CA_FILES.previousCert]) rmSync(join(dir, f), { force: true });
  return { ...next, ...(problem && { oldRootProblem: `the old root ${problem.text}` }) };
}
