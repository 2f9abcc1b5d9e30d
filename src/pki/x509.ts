// The one door to X.509 (issue 8), like src/backends/envoy/api/ is for Envoy: every certificate meshc creates or
// reads goes through here, built with @peculiar/x509 on Node's WebCrypto (a maintained library, no hand-built
// ASN.1). It makes CA certificates (self-signed roots, intermediates under a company root) and SPIFFE X509-SVID
// leaves (URI SAN = the SPIFFE ID, serverAuth + clientAuth), and reads the fields meshc needs back.
// Private keys leave this module only wrapped in SecretPem (./secret.ts), which never prints its contents.
import * as x509 from "@peculiar/x509";
import { createHash, randomBytes, webcrypto } from "node:crypto";
import { SecretPem } from "./secret.js";

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type Algorithm = webcrypto.Algorithm;
type EcdsaParams = webcrypto.EcdsaParams;
type EcKeyGenParams = webcrypto.EcKeyGenParams;
type RsaHashedKeyGenParams = webcrypto.RsaHashedKeyGenParams;
// @peculiar/x509 types its provider with the DOM's Crypto; Node's webcrypto is that API.
type X509Crypto = Parameters<typeof x509.cryptoProvider.set>[0];
const crypto = webcrypto;
const provider = webcrypto as unknown as X509Crypto;
x509.cryptoProvider.set(provider);

export type KeyAlgorithm = "ecdsa-p256" | "rsa-2048";

const ALGORITHMS: Record<KeyAlgorithm, RsaHashedKeyGenParams | EcKeyGenParams> = {
  "ecdsa-p256": { name: "ECDSA", namedCurve: "P-256" } as EcKeyGenParams,
  "rsa-2048": { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" } as RsaHashedKeyGenParams,
};

function signingAlgorithm(alg: KeyAlgorithm): Algorithm | EcdsaParams {
  return alg === "ecdsa-p256" ? ({ name: "ECDSA", hash: "SHA-256" } as EcdsaParams) : { name: "RSASSA-PKCS1-v1_5" };
}

/** A signing authority: its certificate and private key (held as a non-extractable CryptoKey). */
export interface Authority {
  cert: x509.X509Certificate;
  key: CryptoKey;
  keyAlgorithm: KeyAlgorithm;
}

/** A certificate with its PEM text and the fields meshc uses. */
export interface CertInfo {
  pem: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
  subject: string;
  issuer: string;
  uris: string[];
  isCa: boolean;
}

/** A freshly issued certificate and its private key (PKCS#8 PEM, redacted when printed). */
export interface Issued {
  cert: CertInfo;
  key: SecretPem;
}

/** Random positive 128-bit serial (hex), as CA/B forum rules want at least 64 random bits. */
function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f || 0x01;
  return b.toString("hex");
}

async function generateKeys(alg: KeyAlgorithm): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(ALGORITHMS[alg], true, ["sign", "verify"])) as CryptoKeyPair;
}

async function exportKey(key: CryptoKey): Promise<SecretPem> {
  const der = await crypto.subtle.exportKey("pkcs8", key);
  return new SecretPem(x509.PemConverter.encode(der, "PRIVATE KEY"));
}

export function certInfo(cert: x509.X509Certificate): CertInfo {
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  return {
    pem: cert.toString("pem"),
    serial: cert.serialNumber,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    subject: cert.subject,
    issuer: cert.issuer,
    uris: san ? san.names.items.filter((n) => n.type === "url").map((n) => n.value) : [],
    isCa: bc?.ca === true,
  };
}

/** Parses one PEM certificate. */
export function parseCertificate(pem: string): CertInfo {
  return certInfo(new x509.X509Certificate(pem));
}

/** Splits a PEM bundle into its certificates (in order). */
export function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((p) => `${p}\n`) ?? [];
}

function keyAlgorithmOf(cert: x509.X509Certificate): KeyAlgorithm {
  const alg = cert.publicKey.algorithm as { name: string; namedCurve?: string; modulusLength?: number };
  if (alg.name === "ECDSA" && alg.namedCurve === "P-256") return "ecdsa-p256";
  if (alg.name.startsWith("RSA")) return "rsa-2048";
  throw new Error(`unsupported CA key algorithm ${alg.name}${alg.namedCurve ? ` ${alg.namedCurve}` : ""} (meshc signs with ECDSA P-256 or RSA)`);
}

/** Loads a CA certificate and its PKCS#8 private key, checking that they belong together. */
export async function loadAuthority(certPem: string, keyPem: SecretPem): Promise<Authority> {
  const cert = new x509.X509Certificate(certPem);
  if (cert.getExtension(x509.BasicConstraintsExtension)?.ca !== true) throw new Error("the certificate is not a CA certificate (basicConstraints CA:TRUE missing)");
  const keyAlgorithm = keyAlgorithmOf(cert);
  const der = x509.PemConverter.decodeFirst(keyPem.reveal());
  const importAlg = keyAlgorithm === "ecdsa-p256" ? ALGORITHMS["ecdsa-p256"] : { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey("pkcs8", der, importAlg, false, ["sign"]);
  } catch {
    throw new Error("the private key is not a PKCS#8 key of the certificate's algorithm");
  }
  // Prove the pair: sign a probe and verify it with the certificate's public key.
  const probe = randomBytes(32);
  const sigAlg = keyAlgorithm === "ecdsa-p256" ? { name: "ECDSA", hash: "SHA-256" } : { name: "RSASSA-PKCS1-v1_5" };
  const sig = await crypto.subtle.sign(sigAlg, key, probe);
  const pub = await cert.publicKey.export(importAlg, ["verify"], provider);
  if (!(await crypto.subtle.verify(sigAlg, pub, sig, probe))) throw new Error("the private key does not belong to the certificate");
  return { cert, key, keyAlgorithm };
}

async function caExtensions(keys: CryptoKeyPair | { publicKey: CryptoKey }, pathLength: number | undefined): Promise<x509.Extension[]> {
  return [
    new x509.BasicConstraintsExtension(true, pathLength, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, provider),
  ];
}

export interface CaParams {
  commonName: string;
  keyAlgorithm: KeyAlgorithm;
  lifetimeMs: number;
  now?: Date;
}

/** A self-signed root CA. */
export async function createRoot(p: CaParams): Promise<Issued> {
  const keys = await generateKeys(p.keyAlgorithm);
  const now = p.now ?? new Date();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial(),
      name: `CN=${p.commonName}, O=meshc`,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + p.lifetimeMs),
      signingAlgorithm: signingAlgorithm(p.keyAlgorithm),
      keys,
      extensions: await caExtensions(keys, 1),
    },
    provider,
  );
  return { cert: certInfo(cert), key: await exportKey(keys.privateKey) };
}

/** An intermediate CA signed by `parent` (the company's root); it may sign leaves only (path length 0). */
export async function createIntermediate(parent: Authority, p: CaParams): Promise<Issued> {
  const keys = await generateKeys(p.keyAlgorithm);
  const now = p.now ?? new Date();
  const notAfter = new Date(Math.min(now.getTime() + p.lifetimeMs, parent.cert.notAfter.getTime()));
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial(),
      subject: `CN=${p.commonName}, O=meshc`,
      issuer: parent.cert.subject,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter,
      signingAlgorithm: signingAlgorithm(parent.keyAlgorithm),
      publicKey: keys.publicKey,
      signingKey: parent.key,
      extensions: [...(await caExtensions(keys, 0)), await x509.AuthorityKeyIdentifierExtension.create(parent.cert, false, provider)],
    },
    provider,
  );
  return { cert: certInfo(cert), key: await exportKey(keys.privateKey) };
}

/**
 * The shortest life a new leaf may get (capped at the requested lifetime): a CA closer to its end than this issues
 * nothing, so a leaf is never born expired, nor lives so briefly that it is re-issued every second.
 */
export const MIN_LEAF_LIFETIME_MS = 10 * 60_000;

/**
 * A CA certificate that cannot issue (expired, not yet valid, too close to its end). `key` is the problem without
 * the current time (the message may show it): what "logged once per problem" compares (src/serve/once-log.ts).
 */
export class CaValidityError extends Error {
  constructor(
    message: string,
    readonly key: string = message,
  ) {
    super(message);
  }
}

const iso = (d: Date) => d.toISOString();

/**
 * Why a CA certificate cannot be used: `text` follows the certificate's name ("<the old root> expired at …"); `key`
 * is the same without the current time, so a problem that persists compares equal from one check to the next.
 */
export interface CaProblem {
  text: string;
  key: string;
}

/** Why `cert` (a CA) is not valid at `now`, or undefined when it is. */
export function validityIssue(cert: { notBefore: Date; notAfter: Date }, now: Date): CaProblem | undefined {
  if (cert.notBefore.getTime() > now.getTime()) {
    const key = `is not valid until ${iso(cert.notBefore)}`;
    return { text: `${key} (it is now ${iso(now)}: check the clock, or the file)`, key };
  }
  if (cert.notAfter.getTime() <= now.getTime()) {
    const key = `expired at ${iso(cert.notAfter)}`;
    return { text: key, key };
  }
  return undefined;
}

/** Why `cert` (a CA) cannot be used at `now`, or undefined when it can ("not valid until …", "expired at …"). */
export function validityProblem(cert: { notBefore: Date; notAfter: Date }, now: Date): string | undefined {
  return validityIssue(cert, now)?.text.replace(/^is /, "");
}

/**
 * Why the CA `cert` cannot issue a leaf of `lifetimeMs` at `now` (undefined: it can): it must be valid now and
 * outlive the leaf's minimum life, min(lifetimeMs, MIN_LEAF_LIFETIME_MS).
 */
export function issuingIssue(cert: { notBefore: Date; notAfter: Date }, now: Date, lifetimeMs = MIN_LEAF_LIFETIME_MS): CaProblem | undefined {
  const v = validityIssue(cert, now);
  if (v) return v;
  const floor = Math.min(lifetimeMs, MIN_LEAF_LIFETIME_MS);
  if (cert.notAfter.getTime() - now.getTime() < floor) {
    const key = `expires at ${iso(cert.notAfter)}, less than ${Math.round(floor / 1000)} s from now: a new certificate from it would be too short-lived`;
    return { text: key, key };
  }
  return undefined;
}

const ROTATE_ADVICE = "rotate the CA (`meshc ca rotate`) or create a new one";

/** issuingIssue as one sentence about "the signing CA certificate", with the advice to rotate when it runs out. */
export function issuingProblem(cert: { notBefore: Date; notAfter: Date }, now: Date, lifetimeMs = MIN_LEAF_LIFETIME_MS): string | undefined {
  const p = issuingIssue(cert, now, lifetimeMs);
  if (!p) return undefined;
  return `the signing CA certificate ${p.text}${p.text.startsWith("is not valid") ? "" : `; ${ROTATE_ADVICE}`}`;
}

export interface LeafParams {
  spiffeId: string;
  keyAlgorithm: KeyAlgorithm;
  lifetimeMs: number;
  now?: Date;
}

/**
 * A SPIFFE X509-SVID: one URI SAN (the SPIFFE ID), not a CA, digitalSignature (+ keyEncipherment for RSA),
 * serverAuth and clientAuth. Backdated 30 s for clock skew; never valid past its issuer.
 */
export async function issueLeaf(ca: Authority, p: LeafParams): Promise<Issued> {
  const now = p.now ?? new Date();
  const notAfter = new Date(Math.min(now.getTime() + p.lifetimeMs, ca.cert.notAfter.getTime()));
  const problem = issuingIssue(ca.cert, now, p.lifetimeMs);
  if (problem) {
    const what = `cannot issue a certificate for ${p.spiffeId}: the signing CA certificate`;
    throw new CaValidityError(`${what} ${problem.text}`, `${what} ${problem.key}`);
  }
  const keys = await generateKeys(p.keyAlgorithm);
  const usage = x509.KeyUsageFlags.digitalSignature | (p.keyAlgorithm === "rsa-2048" ? x509.KeyUsageFlags.keyEncipherment : 0);
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial(),
      subject: "O=meshc",
      issuer: ca.cert.subject,
      notBefore: new Date(now.getTime() - 30_000),
      notAfter,
      signingAlgorithm: signingAlgorithm(ca.keyAlgorithm),
      publicKey: keys.publicKey,
      signingKey: ca.key,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(usage, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth], false),
        new x509.SubjectAlternativeNameExtension([{ type: "url", value: p.spiffeId }], false),
        await authorityKeyId(ca.cert),
      ],
    },
    provider,
  );
  const [key, info] = await Promise.all([exportKey(keys.privateKey), Promise.resolve(certInfo(cert))]);
  return { cert: info, key };
}

// The issuer's key identifier is the same for every leaf it signs: computed (a digest of its public key) once.
const akiCache = new WeakMap<x509.X509Certificate, Promise<x509.AuthorityKeyIdentifierExtension>>();
function authorityKeyId(ca: x509.X509Certificate): Promise<x509.AuthorityKeyIdentifierExtension> {
  let e = akiCache.get(ca);
  if (!e) akiCache.set(ca, (e = x509.AuthorityKeyIdentifierExtension.create(ca, false, provider)));
  return e;
}

/** The SHA-256 fingerprint (hex) of a PEM certificate's DER: how ca.json names the certificates it commits to. */
export function certFingerprint(pem: string): string {
  return createHash("sha256").update(Buffer.from(new x509.X509Certificate(pem).rawData)).digest("hex");
}

/** Whether `certPem` carries a valid signature by `issuerPem`'s key and is valid at `at`. */
export async function verifySignedBy(certPem: string, issuerPem: string, at: Date = new Date()): Promise<boolean> {
  const cert = new x509.X509Certificate(certPem);
  const issuer = new x509.X509Certificate(issuerPem);
  return cert.verify({ publicKey: issuer.publicKey, date: at }, provider);
}

/** Whether `certPem`'s signature verifies with `issuerPem`'s public key (validity dates aside). */
export async function signatureValid(certPem: string, issuerPem: string): Promise<boolean> {
  try {
    const cert = new x509.X509Certificate(certPem);
    const issuer = new x509.X509Certificate(issuerPem);
    if (cert.issuer !== issuer.subject) return false;
    return await cert.verify({ publicKey: issuer.publicKey, signatureOnly: true }, provider);
  } catch {
    return false;
  }
}
