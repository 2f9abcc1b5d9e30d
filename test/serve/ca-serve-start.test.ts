// `meshc serve --ca` with a CA that cannot be used is a configuration error, reported like the others (an unsafe
// --xds exposure): one line naming the file and the problem, exit 2. Before, the CaError thrown by the xDS server's
// TLS (or, with --insecure, by the certificate manager) at start surfaced as "meshc: internal error" with a stack.
// Ports 28700-28703 on 127.0.0.1.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import { initCa } from "../../src/pki/ca-dir.js";
import { createRoot } from "../../src/pki/x509.js";
import { replaceRoot } from "../helpers/ca-files.js";

const work = mkdtempSync(join(tmpdir(), "meshc-ca-serve-start-"));
after(() => rmSync(work, { recursive: true, force: true }));
const main = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

const MESH = `import { defineMesh, http } from "meshc";
export default defineMesh({ name: "ex", trustDomain: "ex.example", mtls: "strict" }, (mesh) => {
  mesh.service("web", { ports: { http: http(9080, { app: 8080 }) }, instances: ["10.0.0.2:9080"] });
});
`;

for (const [i, insecure] of [false, true].entries()) {
  test(`serve --ca with an expired CA${insecure ? " (--insecure)" : ""}: one line naming ca-cert.pem, exit 2, no stack`, { timeout: 60_000 }, async () => {
    const dir = join(work, `ca-${i}`);
    await initCa(dir, { trustDomain: "ex.example" });
    replaceRoot(dir, await createRoot({ commonName: "expired", keyAlgorithm: "ecdsa-p256", lifetimeMs: 3_600_000, now: new Date(Date.now() - 2 * 86_400_000) }));
    const mesh = join(work, `mesh-${i}.ts`);
    writeFileSync(mesh, MESH);
    const args = ["serve", mesh, "--ca", dir, "--xds", `127.0.0.1:${28700 + 2 * i}`, "--admin", `127.0.0.1:${28701 + 2 * i}`, "--no-state", "--no-watch", ...(insecure ? ["--insecure"] : [])];
    const r = spawnSync(process.execPath, ["--import", "tsx", main, ...args], { encoding: "utf8", timeout: 50_000 });
    assert.equal(r.status, 2, r.stderr);
    const said = r.stderr.split("\n").filter((l) => l.startsWith("meshc"));
    assert.equal(said.length, 1, r.stderr);
    assert.match(said[0]!, new RegExp(`^meshc serve: ${join(dir, "ca-cert.pem").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: expired at \\d{4}-`));
    assert.doesNotMatch(r.stderr, /internal error|    at /);
  });
}
