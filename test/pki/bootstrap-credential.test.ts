// `meshc bootstrap --ca` for authenticated ADS (issue 9): the proxy's bootstrap credential is a short-lived leaf for
// its service's SPIFFE ID from the mesh CA, written beside the bootstrap (key 0600, never inside the bootstrap);
// the bootstrap's xds_cluster carries it in an UpstreamTlsContext pinning the xDS server's SPIFFE ID, and real
// Envoy accepts the result. Without --out there is nowhere to write it: a usage error, nothing written.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { credentialFilesFor, xdsServerIdentity } from "../../src/pki/bootstrap-credential.js";
import { CA_FILES, initCa, loadCa } from "../../src/pki/ca-dir.js";
import { issueLeaf } from "../../src/pki/x509.js";
import { runEnvoyValidate } from "../../src/runtime/envoy-binary.js";
import { spiffeIdOf } from "../../src/xds/auth.js";
import { requireEnvoy } from "../helpers/envoy.js";

const CLI = join(process.cwd(), "dist", "cli.js");
const MESH = join("test", "golden", "frontend", "mtls", "mesh.ts"); // trust domain secure.example, leafLifetime 1h
const work = mkdtempSync(join(tmpdir(), "meshc-bootcred-"));
after(() => rmSync(work, { recursive: true, force: true }));
const meshc = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });

test("bootstrap --ca needs --out and writes nothing without it", async () => {
  const ca = join(work, "ca0");
  await initCa(ca);
  const r = meshc("bootstrap", MESH, "--service", "web", "--ca", ca);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--ca needs --out/);
  assert.equal(r.stdout, "");
});

test("bootstrap --ca writes the credential beside the bootstrap and pins the server; Envoy accepts it", async (t) => {
  const ca = join(work, "ca");
  await initCa(ca, { trustDomain: "secure.example" });
  const dir = join(work, "out");
  const out = join(dir, "web.json");
  const r = meshc("bootstrap", MESH, "--service", "web", "--ca", ca, "--out", out);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr + r.stdout, /PRIVATE KEY/);
  const files = credentialFilesFor(out);
  assert.deepEqual(readdirSync(dir).sort(), ["web.json", "web.xds-ca.pem", "web.xds-cert.pem", "web.xds-key.pem"]);
  assert.equal(statSync(files.key).mode & 0o777, 0o600);
  const text = readFileSync(out, "utf8");
  assert.doesNotMatch(text, /PRIVATE KEY/);
  const json = JSON.parse(text);
  const xds = json.static_resources.clusters.find((c: { name: string }) => c.name === "xds_cluster");
  const tls = xds.transport_socket.typed_config.common_tls_context;
  assert.equal(tls.tls_certificates[0].private_key.filename, files.key);
  assert.deepEqual(tls.validation_context.match_typed_subject_alt_names, [{ san_type: "URI", matcher: { exact: xdsServerIdentity("secure.example") } }]);

  // The credential: the service's identity, the mesh's leaf lifetime (1 h), signed by the mesh CA.
  const cert = new X509Certificate(readFileSync(files.cert));
  assert.match(cert.subjectAltName ?? "", /^URI:spiffe:\/\/secure\.example\//);
  assert.equal(spiffeIdOf(cert.raw), cert.subjectAltName!.slice(4));
  const life = Date.parse(cert.validTo) - Date.parse(cert.validFrom);
  assert.ok(life <= 3_600_000 + 31_000 && life >= 3_600_000, `lifetime ${life} ms`);
  assert.ok(cert.verify(new X509Certificate(readFileSync(join(ca, CA_FILES.bundle))).publicKey));
  assert.ok(cert.checkPrivateKey((await import("node:crypto")).createPrivateKey(readFileSync(files.key))));

  const envoy = requireEnvoy(t);
  if (!envoy) return;
  const v = await runEnvoyValidate(json, { envoyPath: envoy, name: "authn.json" });
  assert.ok(v.ok, v.message);
});

test("spiffeIdOf reads the one SPIFFE URI SAN of a certificate", async () => {
  const ca = await loadCa(join(work, "ca"));
  const leaf = await issueLeaf(ca.authority, { spiffeId: "spiffe://secure.example/a,b/c", keyAlgorithm: "ecdsa-p256", lifetimeMs: 60_000 });
  assert.equal(spiffeIdOf(new X509Certificate(leaf.cert.pem).raw), "spiffe://secure.example/a,b/c");
  assert.equal(spiffeIdOf(new X509Certificate(ca.authority.cert.toString("pem")).raw), undefined, "a CA certificate has no SPIFFE ID");
  assert.equal(spiffeIdOf(Buffer.from("not a certificate")), undefined);
});
