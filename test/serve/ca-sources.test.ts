// `meshc serve --ca` beyond a mesh.ts compiled in process (issue 8):
//   - from a build directory: `meshc build` writes the key-free certificate plan (each sidecar's SPIFFE ID, leaf
//     settings) into manifest.json; serve issues each sidecar's leaf from it. Without --ca such a build is refused.
//   - the warm-start state dir never holds a private key (it used to: the stored snapshot had the secrets attached);
//     a restart with --ca serves the stored snapshot at once, with freshly issued leaves, even when the mesh no
//     longer compiles.
//   - a hand-edited plan that is not valid is refused with the file named, nothing served.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { pino } from "pino";
import { readBuildDir } from "../../src/backends/envoy/read-build.js";
import { renderBuild } from "../../src/build/render.js";
import { writeBuildDir } from "../../src/build/write.js";
import { compileMesh } from "../../src/pipeline.js";
import { initCa } from "../../src/pki/ca-dir.js";
import { certificatePlan } from "../../src/pki/plan.js";
import { startServe, type ServeHandle } from "../../src/serve/serve.js";
import type { MeshSnapshot } from "../../src/snapshot/types.js";

const TD = "src.example";
const MESH = `import { defineMesh, http } from "meshc";
export default defineMesh({ name: "cs", trustDomain: "${TD}", mtls: "strict" }, (mesh) => {
  const echo = mesh.service("echo", { ports: { http: http(9080, { app: 8080 }) }, instances: ["10.0.0.1:9080"] });
  mesh.service("web", { ports: { http: http(9080, { app: 8080 }) }, instances: ["10.0.0.2:9080"], calls: [echo] });
});
`;

const dir = mkdtempSync(join(tmpdir(), "meshc-ca-sources-"));
const handles: ServeHandle[] = [];
after(async () => {
  await Promise.all(handles.map((h) => h.close()));
  rmSync(dir, { recursive: true, force: true });
});
const logger = pino({ level: "silent" });
const serve = async (o: Parameters<typeof startServe>[0]) => {
  const h = await startServe({ xdsAddress: "127.0.0.1:0", adminAddress: "127.0.0.1:0", watch: false, logger, ...o });
  handles.push(h);
  return h;
};

/** Each proxy's leaf SAN (from its "default" secret) and how many roots its "ROOTCA" holds. */
function secretsOf(s: MeshSnapshot | undefined): Record<string, { san: string; roots: number }> {
  const out: Record<string, { san: string; roots: number }> = {};
  for (const [name, p] of s?.proxies ?? []) {
    const pems = (n: string) => Buffer.from(p.resources.secret.find((r) => r.name === n)?.bytes ?? []).toString("latin1").match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    const leaf = pems("default")[0];
    if (leaf) out[name] = { san: new X509Certificate(leaf).subjectAltName ?? "", roots: pems("ROOTCA").length };
  }
  return out;
}

const filesUnder = (d: string): string[] => readdirSync(d, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));

test("serve --ca from a build directory issues each sidecar's leaf from the manifest's certificate plan", async () => {
  const caDir = join(dir, "ca1");
  await initCa(caDir, { trustDomain: TD });
  writeFileSync(join(dir, "mesh.ts"), MESH);
  const c = await compileMesh(join(dir, "mesh.ts"));
  assert.ok(c.snapshot && c.ir, JSON.stringify(c.diagnostics));
  const out = join(dir, "build");
  await writeBuildDir(out, renderBuild(c.ir.name, c.snapshot, certificatePlan(c.ir)));
  const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
  assert.deepEqual(manifest.certificates.identities, { echo: `spiffe://${TD}/service/echo`, web: `spiffe://${TD}/service/web` });
  for (const f of filesUnder(out)) assert.doesNotMatch(readFileSync(f, "utf8"), /PRIVATE KEY|BEGIN CERTIFICATE/, `${f} holds no certificate or key`);

  const h = await serve({ source: out, caDir, stateDir: false });
  assert.deepEqual(secretsOf(h.xds.snapshot()), {
    echo: { san: `URI:spiffe://${TD}/service/echo`, roots: 1 },
    web: { san: `URI:spiffe://${TD}/service/web`, roots: 1 },
  });

  // The same build without --ca: its listeners would wait for secrets forever, so it is refused.
  const bare = await serve({ source: out, stateDir: false });
  assert.equal(bare.xds.snapshot(), undefined, "an mTLS build is not served without --ca");
});

test("a certificate plan that is not valid is refused, naming manifest.json", async () => {
  const c = await compileMesh(join(dir, "mesh.ts"));
  const out = join(dir, "build-bad");
  await writeBuildDir(out, renderBuild(c.ir!.name, c.snapshot!, { ...certificatePlan(c.ir!)!, identities: { echo: "https://not-spiffe", ghost: `spiffe://${TD}/x` } }));
  const r = await readBuildDir(out);
  assert.equal(r.ok, false);
  const problems = r.ok ? [] : r.problems;
  assert.ok(problems.every((p) => p.file.endsWith("manifest.json")), JSON.stringify(problems));
  assert.ok(problems.some((p) => /identities\."echo": must be a SPIFFE ID/.test(p.message)), JSON.stringify(problems));
  const out2 = join(dir, "build-ghost");
  await writeBuildDir(out2, renderBuild(c.ir!.name, c.snapshot!, { ...certificatePlan(c.ir!)!, identities: { ghost: `spiffe://${TD}/x` } }));
  const r2 = await readBuildDir(out2);
  assert.ok(!r2.ok && r2.problems.some((p) => /"ghost", which has no directory/.test(p.message)), JSON.stringify(r2));
});

test("R17 (secrets only to proxies): with --ca the state dir holds no key, and a restart warm-starts with fresh leaves while the mesh does not compile", async () => {
  const caDir = join(dir, "ca2");
  await initCa(caDir, { trustDomain: TD });
  const meshDir = join(dir, "warm");
  const mesh = join(meshDir, "mesh.ts");
  const state = join(meshDir, "state");
  await writeBuildDir(meshDir, new Map([["mesh.ts", MESH]]));
  const first = await serve({ source: mesh, caDir, stateDir: state });
  const served1 = secretsOf(first.xds.snapshot());
  assert.equal(Object.keys(served1).length, 2);
  await first.close();
  handles.splice(handles.indexOf(first), 1);

  const stored = filesUnder(state);
  assert.ok(stored.length > 0);
  for (const f of stored) assert.doesNotMatch(readFileSync(f, "utf8"), /PRIVATE KEY/, `${f} must hold no private key`);
  assert.equal(stored.some((f) => f.endsWith("sds.json")), false, "no secrets stored");
  assert.ok(JSON.parse(readFileSync(join(state, "snapshot", "manifest.json"), "utf8")).certificates, "the plan is stored");

  // The mesh breaks; the restart serves the stored snapshot with new leaves at once.
  writeFileSync(mesh, MESH.replace("http(9080,", "http('x',"));
  const second = await serve({ source: mesh, caDir, stateDir: state });
  const snap = second.xds.snapshot();
  assert.ok(snap, "warm start: something is served although the mesh does not compile");
  assert.deepEqual(secretsOf(snap), served1);
  assert.equal(await second.initialLoad, false, "the broken mesh did not load");
  assert.ok(existsSync(join(state, "state.json")));

  // Without --ca the stored mTLS snapshot is not served (its secrets would never come).
  const third = await serve({ source: mesh, stateDir: state });
  assert.equal(third.xds.snapshot(), undefined);
});
