// A TLS "partner" for tests of external services (issue 13): a CA and a server certificate with DNS SANs, made at
// test time with @peculiar/x509 (no key is ever committed), and an HTTPS server on 127.0.0.1 that answers JSON
// saying who it is and what it received (method, path, Host, whether the connection was TLS).
import { webcrypto } from "node:crypto";
import { createServer, type Server } from "node:https";
import * as x509 from "@peculiar/x509";

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

export interface TestCa {
  certPem: string;
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

/** The key as PKCS#8 PEM, encoded by @peculiar/x509 as src/pki/x509.ts does. */
async function pkcs8Pem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

export async function createTestCa(commonName: string): Promise<TestCa> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as unknown as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01" + Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString("hex"),
    name: `CN=${commonName}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3_600_000),
    signingAlgorithm: ALG,
    keys,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  return { cert, certPem: cert.toString("pem") + "\n", keys };
}

/** A server certificate for `dnsNames`, signed by `ca`; the key is returned as PEM for node:https only. */
export async function issueServerCert(ca: TestCa, dnsNames: string[]): Promise<{ certPem: string; keyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as unknown as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: "02" + Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString("hex"),
    subject: `CN=${dnsNames[0]}`,
    issuer: ca.cert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3_600_000),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension(dnsNames.map((value) => ({ type: "dns" as const, value })), false),
    ],
  });
  return { certPem: cert.toString("pem") + "\n", keyPem: await pkcs8Pem(keys.privateKey) };
}

export interface HttpsPartner {
  port: number;
  requests: { method: string; path: string; host: string; servername: string | undefined }[];
  close(): Promise<void>;
}

/** An HTTPS server on 127.0.0.1:port answering `{ partner, path, host, tls: true, servername }`. */
export async function startHttpsPartner(o: { port: number; name: string; certPem: string; keyPem: string }): Promise<HttpsPartner> {
  const requests: HttpsPartner["requests"] = [];
  const server: Server = createServer({ cert: o.certPem, key: o.keyPem }, (req, res) => {
    const servername = (req.socket as import("node:tls").TLSSocket).servername || undefined;
    const entry = { method: req.method ?? "", path: req.url ?? "", host: req.headers.host ?? "", servername };
    requests.push(entry);
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ partner: o.name, ...entry, tls: true }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, "127.0.0.1", () => resolve());
  });
  return {
    port: o.port,
    requests,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
