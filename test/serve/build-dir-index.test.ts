// encoded.json (issue 12, start -> ready of `meshc serve <dir>`): a build directory written with it reads back into
// the very snapshot the compiler made without encoding anything, and the index is never believed over the files:
// a hand-edited file is validated in full (a bad edit is still refused, a good one served as edited), a corrupt or
// foreign index is ignored, and encoded bytes that do not match a file's version_info are not used.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { syntheticMesh } from "../../bench/synthetic-ir.js";
import { readBuildDir } from "../../src/backends/envoy/read-build.js";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import { ENCODED_INDEX, withEncodedIndex } from "../../src/build/encoded-index.js";
import { planBuild } from "../../src/build/incremental.js";
import { renderBuild } from "../../src/build/render.js";
import { writeBuildDir } from "../../src/build/write.js";
import type { MeshSnapshot } from "../../src/snapshot/types.js";

const root = mkdtempSync(join(tmpdir(), "meshc-index-"));
after(() => rmSync(root, { recursive: true, force: true }));

function compile(timeout?: number): { name: string; snapshot: MeshSnapshot } {
  const ir = syntheticMesh({ services: 30 });
  if (timeout !== undefined) ir.services[3]!.policy.connectTimeoutMs = timeout;
  const r = translateMesh(ir);
  assert.deepEqual(r.issues, []);
  return { name: ir.name, snapshot: r.snapshot };
}

function same(a: MeshSnapshot, b: MeshSnapshot): void {
  assert.deepEqual([...a.proxies.keys()], [...b.proxies.keys()]);
  for (const [name, p] of a.proxies) {
    const q = b.proxies.get(name)!;
    assert.deepEqual(p.versions, q.versions, name);
    for (const kind of Object.keys(p.resources) as (keyof typeof p.resources)[]) {
      const hex = (s: MeshSnapshot["proxies"] extends Map<string, infer P> ? P : never) => s.resources[kind].map((r) => [r.name, r.hash, Buffer.from(r.bytes).toString("hex")]);
      assert.deepEqual(hex(p), hex(q), `${name} ${kind}`);
    }
  }
}

async function build(dir: string, c = compile()): Promise<MeshSnapshot> {
  const plan = await planBuild(dir, c.name, c.snapshot);
  await writeBuildDir(dir, plan.files, plan.reuse);
  return c.snapshot;
}

test("a build read back through encoded.json is the compiled snapshot, with nothing encoded", async () => {
  const dir = join(root, "plain");
  const compiled = await build(dir);
  const r = await readBuildDir(dir);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems.slice(0, 3)));
  assert.equal(r.stats.indexed, r.stats.files, "every file's resources come from the index");
  assert.equal(r.stats.encoded, 0);
  same(r.snapshot, compiled);
  // Without the index the same directory reads into the same snapshot (full validation).
  rmSync(join(dir, ENCODED_INDEX));
  const full = await readBuildDir(dir);
  assert.ok(full.ok);
  assert.equal(full.stats.indexed, 0);
  assert.ok(full.stats.encoded > 0);
  same(full.snapshot, compiled);
});

test("encoded.json is deterministic and kept current by a rebuild that links unchanged files", async () => {
  const dir = join(root, "rebuild");
  await build(dir);
  const c = compile(777);
  await build(dir, c);
  const again = join(root, "fresh");
  await writeBuildDir(again, withEncodedIndex(renderBuild(c.name, c.snapshot), c.snapshot));
  assert.equal(readFileSync(join(dir, ENCODED_INDEX), "utf8"), readFileSync(join(again, ENCODED_INDEX), "utf8"), "the rebuilt index equals one rendered from scratch");
  const r = await readBuildDir(dir);
  assert.ok(r.ok);
  assert.equal(r.stats.indexed, r.stats.files);
  same(r.snapshot, c.snapshot);
});

test("a hand-edited file is validated in full: a bad edit is refused, a good one is served as edited", async () => {
  const dir = join(root, "edited");
  const compiled = await build(dir);
  const file = join(dir, "svc-0001", "cds.json");
  const good = readFileSync(file, "utf8");

  writeFileSync(file, good.replace('"connect_timeout"', '"connect_timeout_typo"'));
  const bad = await readBuildDir(dir);
  assert.ok(!bad.ok, "the index does not vouch for an edited file");
  assert.match(bad.problems.map((p) => `${p.file}: ${p.message}`).join("\n"), /svc-0001\/cds\.json.*connect_timeout_typo/s);

  // A valid edit (another connect timeout) is served as written, not as the index remembers it.
  const edited = good.replace(/"connect_timeout": "[^"]+"/, '"connect_timeout": "9.5s"');
  assert.notEqual(edited, good);
  writeFileSync(file, edited);
  const ok = await readBuildDir(dir);
  assert.ok(ok.ok, JSON.stringify(!ok.ok && ok.problems.slice(0, 3)));
  assert.equal(ok.stats.indexed, ok.stats.files - 1, "only the edited file is validated in full");
  assert.ok(ok.stats.encoded >= 1);
  const served = ok.snapshot.proxies.get("svc-0001")!.resources.cluster;
  const was = compiled.proxies.get("svc-0001")!.resources.cluster;
  assert.notDeepEqual(served.map((r) => r.hash), was.map((r) => r.hash), "the edit is what is served");
  writeFileSync(file, good);

  // A whole proxy made inconsistent by an edit (its listener routes to a table that is not there) is refused too:
  // the consistency check runs for every proxy with a file the index did not vouch for.
  const rds = join(dir, "svc-0002", "rds.json");
  const goodRds = readFileSync(rds, "utf8");
  writeFileSync(rds, goodRds.replace(/"resources": \[[\s\S]*\],\n  "type_url"/, '"resources": [],\n  "type_url"'));
  const inconsistent = await readBuildDir(dir);
  assert.ok(!inconsistent.ok, "a listener naming a missing route table is refused");
  assert.match(inconsistent.problems.map((p) => `${p.file}: ${p.message}`).join("\n"), /svc-0002/);
  writeFileSync(rds, goodRds);
});

test("a corrupt, truncated or mismatched encoded.json is not believed", async () => {
  const dir = join(root, "corrupt");
  const compiled = await build(dir);
  const indexFile = join(dir, ENCODED_INDEX);
  const text = readFileSync(indexFile, "utf8");

  // Truncated (torn write): ignored as a whole.
  writeFileSync(indexFile, text.slice(0, text.length >> 1));
  const torn = await readBuildDir(dir);
  assert.ok(torn.ok);
  assert.equal(torn.stats.indexed, 0);
  same(torn.snapshot, compiled);

  // Bytes altered (a resource's encoding no longer matches its file's version_info): those files are validated.
  const doc = JSON.parse(text) as { resources: [string, string, string][] };
  const victim = doc.resources.findIndex((r) => r[0] === "cluster");
  const bytes = Buffer.from(doc.resources[victim]![2], "base64");
  bytes[bytes.length - 1] ^= 1;
  doc.resources[victim]![2] = bytes.toString("base64");
  writeFileSync(indexFile, JSON.stringify(doc));
  const altered = await readBuildDir(dir);
  assert.ok(altered.ok, JSON.stringify(!altered.ok && altered.problems.slice(0, 3)));
  assert.ok(altered.stats.indexed < altered.stats.files && altered.stats.encoded > 0, JSON.stringify(altered.stats));
  same(altered.snapshot, compiled);

  // An index from another build (another mesh's bytes under the same paths): nothing matches, nothing is used.
  const other = join(root, "other");
  await build(other, compile(4321));
  writeFileSync(indexFile, readFileSync(join(other, ENCODED_INDEX)));
  const foreign = await readBuildDir(dir);
  assert.ok(foreign.ok);
  same(foreign.snapshot, compiled);
  assert.ok(foreign.stats.indexed < foreign.stats.files, "files whose text differs from the other build's are validated");
});

test("a reload reuses the files the previous load took from the index and looks up only the changed ones", async () => {
  const { BuildDirReader } = await import("../../src/backends/envoy/build-dir-reader.js");
  const dir = join(root, "reload");
  await build(dir);
  const reader = new BuildDirReader();
  const first = await reader.read(dir);
  assert.ok(first.ok);
  assert.equal(first.stats.indexed, first.stats.files);
  const c = compile(777);
  const compiled = await build(dir, c);
  const changed = [...compiled.proxies].reduce((n, [name, p]) => n + Object.keys(p.versions).filter((k) => p.versions[k as keyof typeof p.versions] !== first.snapshot.proxies.get(name)!.versions[k as keyof typeof p.versions]).length, 0);
  const second = await reader.read(dir);
  assert.ok(second.ok, JSON.stringify(!second.ok && second.problems.slice(0, 3)));
  assert.ok(changed > 0 && changed < second.stats.files, `${changed} changed files`);
  assert.equal(second.stats.files - second.stats.filesReused, second.stats.indexed, "what is not reused comes from the index");
  assert.ok(second.stats.indexed <= changed, `only changed files are looked up in the index (${second.stats.indexed} of ${second.stats.files}, ${changed} changed)`);
  assert.equal(second.stats.encoded, 0);
  same(second.snapshot, compiled);
});
