// Proxyless gRPC clients and mTLS (issue 8, gRFC A29): `meshc certs` writes cert.pem/key.pem (0600)/ca.pem for the
// client's identity, and `meshc bootstrap --grpc --certs <dir>` names them in a file-watcher certificate provider
// that @grpc/grpc-js-xds's own bootstrap loader accepts. Without --certs an mTLS client's bootstrap is refused.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { initCa } from "../../src/pki/ca-dir.js";

const CLI = join(process.cwd(), "dist", "cli.js");
const MESH = join("test", "golden", "frontend", "mtls", "mesh.ts");
const work = mkdtempSync(join(tmpdir(), "meshc-grpc-certs-"));
after(() => rmSync(work, { recursive: true, force: true }));
const meshc = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });

test("meshc certs writes the client's leaf, its 0600 key and the bundle", async () => {
  const ca = join(work, "ca");
  await initCa(ca);
  const out = join(work, "certs");
  const r = meshc("certs", MESH, "--service", "checkout", "--out", out, "--ca", ca);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /PRIVATE KEY/);
  assert.equal(statSync(join(out, "key.pem")).mode & 0o777, 0o600);
  const cert = new X509Certificate(readFileSync(join(out, "cert.pem")));
  assert.equal(cert.subjectAltName, "URI:spiffe://secure.example/service/checkout");
  assert.ok(cert.checkPrivateKey(createPrivateKey(readFileSync(join(out, "key.pem")))));
  assert.ok(cert.verify(new X509Certificate(readFileSync(join(out, "ca.pem"))).publicKey));
  // Hour-long leaves in this mesh: 1h lifetime at 60 %.
  assert.ok(Date.parse(cert.validTo) - Date.parse(cert.validFrom) <= 3_600_000 + 30_000);
});

test("bootstrap --grpc of an mTLS client names a file_watcher provider grpc-js-xds accepts; without --certs it is refused", () => {
  const no = meshc("bootstrap", MESH, "--service", "checkout", "--grpc");
  assert.equal(no.status, 2, no.stderr);
  assert.match(no.stderr, /--certs <dir>/);
  const dir = join(work, "certs");
  const r = meshc("bootstrap", MESH, "--service", "checkout", "--grpc", "--certs", dir);
  assert.equal(r.status, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  assert.deepEqual(json.certificate_providers.meshc, {
    plugin_name: "file_watcher",
    config: { certificate_file: join(dir, "cert.pem"), private_key_file: join(dir, "key.pem"), ca_certificate_file: join(dir, "ca.pem"), refresh_interval: "1s" },
  });
  const require = createRequire(import.meta.url);
  const { validateBootstrapConfig } = require("@grpc/grpc-js-xds/build/src/xds-bootstrap.js") as { validateBootstrapConfig(o: unknown): { certificateProviders: Record<string, unknown> } };
  assert.ok(validateBootstrapConfig(json).certificateProviders.meshc);
});

test("a file planted at a temp-file name in a shared folder never receives the key, and the key stays ours", async () => {
  // Before, the temp file was `.key.pem.tmp-<pid>`, opened without O_EXCL: a local user who created that name first
  // (any pid ahead) got the key written into their own file, renamed into place and still theirs. Now the temp name
  // is random and created exclusively; here every name the old scheme could use for this process is planted.
  const ca = join(work, "ca-shared");
  await initCa(ca);
  const shared = join(work, "shared");
  mkdirSync(shared, { mode: 0o1777 });
  chmodSync(shared, 0o1777);
  const child = spawn(process.execPath, [CLI, "certs", MESH, "--service", "checkout", "--out", shared, "--ca", ca], { stdio: ["ignore", "ignore", "pipe"] });
  const planted = ["key.pem", "cert.pem", "ca.pem"].map((n) => join(shared, `.${n}.tmp-${child.pid}`));
  for (const p of planted) {
    writeFileSync(p, "", { mode: 0o666 });
    chmodSync(p, 0o666);
    if (process.getuid?.() === 0) chownSync(p, 65534, 65534);
  }
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  assert.equal(code, 0, stderr);
  for (const p of planted) assert.equal(readFileSync(p, "utf8"), "", `${p} received nothing`);
  const key = statSync(join(shared, "key.pem"));
  assert.equal(key.mode & 0o777, 0o600);
  assert.equal(key.uid, process.getuid?.());
});
