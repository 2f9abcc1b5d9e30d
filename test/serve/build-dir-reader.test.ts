// Reading a served build directory again and again (issue 12): a reload reads every file but parses and encodes only
// what changed, equal resources are encoded once per load, the result is the same snapshot a fresh read gives
// (byte-identical resources, equal versions), a load can be cancelled, and a refused load does not become the base
// of the next one. Counts come from the reader's own stats (what it parsed and encoded), never from timings.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { syntheticMesh } from "../../bench/synthetic-ir.js";
import { BuildDirReader, readBuildDir } from "../../src/backends/envoy/read-build.js";
import { decodeMessage } from "../../src/backends/envoy/api/codec.js";
import { canonicalOf, RESOURCE_TYPES } from "../../src/backends/envoy/encode.js";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import { renderBuild } from "../../src/build/render.js";
import { writeBuildDir } from "../../src/build/write.js";
import type { MeshSnapshot } from "../../src/snapshot/types.js";

const root = mkdtempSync(join(tmpdir(), "meshc-reader-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** A 40-service synthetic mesh; `timeout` changes one service's connect timeout (its callers' CDS). */
async function writeMesh(dir: string, changedTimeout?: number): Promise<MeshSnapshot> {
  const ir = syntheticMesh({ services: 40 });
  if (changedTimeout !== undefined) ir.services[3]!.policy.connectTimeoutMs = changedTimeout;
  const r = translateMesh(ir);
  assert.deepEqual(r.issues, []);
  await writeBuildDir(dir, renderBuild(ir.name, r.snapshot));
  return r.snapshot;
}

function distinct(s: MeshSnapshot): { slots: number; distinct: number } {
  const seen = new Set<string>();
  let slots = 0;
  // Each proxy and its snapshot variants (issue 13: the synthetic mesh's instances span 3 zones, so every proxy has
  // a locality variant per zone whose assignments the build directory holds too).
  for (const p of [...s.proxies.values()].flatMap((x) => [x, ...(x.variants?.values() ?? [])])) {
    for (const [kind, list] of Object.entries(p.resources)) {
      for (const r of list) {
        slots++;
        seen.add(`${kind}\0${r.name}\0${r.hash}`);
      }
    }
  }
  return { slots, distinct: seen.size };
}

function sameSnapshot(a: MeshSnapshot, b: MeshSnapshot): void {
  assert.deepEqual([...a.proxies.keys()], [...b.proxies.keys()]);
  for (const [name, p] of a.proxies) {
    const q = b.proxies.get(name)!;
    assert.deepEqual(p.versions, q.versions, name);
    for (const kind of Object.keys(p.resources) as (keyof typeof p.resources)[]) {
      assert.deepEqual(p.resources[kind].map((r) => [r.name, r.hash, Buffer.from(r.bytes).toString("hex")]), q.resources[kind].map((r) => [r.name, r.hash, Buffer.from(r.bytes).toString("hex")]), `${name} ${kind}`);
    }
  }
}

test("a build directory is deduplicated before encoding, and a reload parses and encodes only what changed", async () => {
  const a = join(root, "a");
  const b = join(root, "b");
  const compiled = await writeMesh(a);
  const compiledB = await writeMesh(b, 777);
  const reader = new BuildDirReader();

  const first = await reader.read(a);
  assert.ok(first.ok, JSON.stringify(!first.ok && first.problems.slice(0, 3)));
  const d = distinct(compiled);
  assert.ok(d.distinct < d.slots / 2, "the synthetic mesh shares most resources between proxies");
  assert.equal(first.stats.encoded, d.distinct, "each distinct resource is encoded once, not once per proxy file");
  sameSnapshot(first.snapshot, compiled);
  // What the reader remembered as each resource's canonical form is what its bytes decode to (route tables are
  // spliced from their virtual hosts).
  for (const p of first.snapshot.proxies.values()) {
    for (const kind of ["cluster", "listener", "route"] as const) {
      for (const r of p.resources[kind]) assert.deepEqual(canonicalOf(kind, r), decodeMessage(RESOURCE_TYPES[kind], r.bytes), `${kind} ${r.name}`);
    }
  }

  // The same directory again: every file is reused, nothing is parsed or encoded.
  const again = await reader.read(a);
  assert.ok(again.ok);
  assert.equal(again.stats.filesReused, again.stats.files);
  assert.equal(again.stats.encoded, 0);
  sameSnapshot(again.snapshot, compiled);

  // One service's connect timeout changed: only its new cluster is encoded (in every caller's cds.json, once).
  const changed = await reader.read(b);
  assert.ok(changed.ok);
  // What changed: files = (proxy, kind) pairs whose version differs; resources = distinct ones that are new.
  let changedFiles = 0;
  for (const [name, p] of compiledB.proxies) for (const kind of Object.keys(p.versions) as (keyof typeof p.versions)[]) if (p.versions[kind] !== compiled.proxies.get(name)!.versions[kind]) changedFiles++;
  const before = new Set([...compiled.proxies.values()].flatMap((p) => Object.values(p.resources).flat().map((r) => `${r.name}\0${r.hash}`)));
  const added = new Set([...compiledB.proxies.values()].flatMap((p) => Object.values(p.resources).flat().map((r) => `${r.name}\0${r.hash}`)).filter((k) => !before.has(k)));
  assert.ok(changedFiles > 1 && added.size >= 1 && added.size < changedFiles, `${changedFiles} files, ${added.size} new resources`);
  assert.equal(changed.stats.files - changed.stats.filesReused, changedFiles, "only the changed files are parsed");
  assert.equal(changed.stats.encoded, added.size, "each new resource is encoded once, however many files hold it");
  sameSnapshot(changed.snapshot, compiledB);
  // The same as reading it cold.
  const cold = await readBuildDir(b);
  assert.ok(cold.ok);
  sameSnapshot(changed.snapshot, cold.snapshot);
});

test("a refused load does not become the base of the next one; a cancelled load yields nothing", async () => {
  const a = join(root, "c");
  const compiled = await writeMesh(a);
  const reader = new BuildDirReader();
  assert.ok((await reader.read(a)).ok);
  const file = join(a, "svc-0001", "cds.json");
  const { readFileSync } = await import("node:fs");
  const good = readFileSync(file, "utf8");
  writeFileSync(file, good.replace('"connect_timeout"', '"connect_timeout_typo"'));
  const bad = await reader.read(a);
  assert.ok(!bad.ok);
  assert.match(bad.problems.map((p) => `${p.file}: ${p.message}`).join("\n"), /svc-0001\/cds\.json/);
  writeFileSync(file, good);
  const back = await reader.read(a);
  assert.ok(back.ok);
  assert.equal(back.stats.encoded, 0, "the last good load is still the base");
  sameSnapshot(back.snapshot, compiled);

  // A virtual host a route table is spliced from is checked like the whole table would be.
  const rds = join(a, "svc-0002", "rds.json");
  const goodRds = readFileSync(rds, "utf8");
  writeFileSync(rds, goodRds.replace('"domains"', '"domainz"'));
  const badHost = await reader.read(a);
  assert.ok(!badHost.ok);
  assert.match(badHost.problems.map((p) => p.message).join("\n"), /RouteConfiguration "[^"]+"\.?.*virtual_hosts\[\d+\].*domainz/s);
  writeFileSync(rds, goodRds);

  const abort = new AbortController();
  abort.abort();
  const cancelled = await reader.read(a, abort.signal);
  assert.ok(!cancelled.ok && cancelled.cancelled);
});
