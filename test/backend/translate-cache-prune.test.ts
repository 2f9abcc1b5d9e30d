// The translate-cache records (one per --out path, in meshc's cache folder) are bounded: each `meshc build` that
// writes one keeps only the TRANSLATE_CACHE_KEEP most recent (src/build/translate-cache-prune.ts). Before the bound,
// every build directory ever built into left its record there forever.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { after, test } from "node:test";
import { syntheticMesh } from "../../bench/synthetic-ir.js";
import { ENCODED_INDEX } from "../../src/build/encoded-index.js";
import { planBuild } from "../../src/build/incremental.js";
import { MANIFEST } from "../../src/build/render.js";
import { BuildTranslateCache, translateCachePath } from "../../src/build/translate-cache.js";
import { pruneTranslateRecords, TRANSLATE_CACHE_KEEP } from "../../src/build/translate-cache-prune.js";
import { writeBuildDir } from "../../src/build/write.js";
import type { MeshIR } from "../../src/ir/types.js";

const root = mkdtempSync(join(tmpdir(), "meshc-translate-prune-"));
after(() => rmSync(root, { recursive: true, force: true }));
process.env.MESHC_CACHE_DIR = join(root, "cache");

async function build(out: string, ir: MeshIR): Promise<BuildTranslateCache> {
  const cache = await BuildTranslateCache.open(out);
  const r = cache.translate(structuredClone(ir));
  assert.equal(r.issues.length, 0);
  const plan = await planBuild(out, ir.name, r.snapshot);
  await writeBuildDir(out, plan.files, plan.reuse);
  await cache.save({ index: String(plan.files.get(ENCODED_INDEX)), manifest: String(plan.files.get(MANIFEST)) });
  return cache;
}

const records = (dir: string) => readdirSync(dir).filter((n) => /^[0-9a-f]{32}\.json$/.test(n));

test("a build keeps only the most recent records, its own always among them", async () => {
  const ir = syntheticMesh({ services: 6 });
  const outs = Array.from({ length: TRANSLATE_CACHE_KEEP + 8 }, (_, i) => join(root, "many", `out-${i}`));
  const dir = dirname(translateCachePath(outs[0]!));
  mkdirSync(dir, { recursive: true });
  // Older records for the first outs (oldest first), as earlier builds left them.
  const t0 = Date.now() / 1000 - 10_000;
  for (const [i, out] of outs.slice(0, -1).entries()) {
    writeFileSync(translateCachePath(out), "{}\n");
    utimesSync(translateCachePath(out), t0 + i, t0 + i);
  }
  // An interrupted write's leftover from long ago goes too; a fresh one (a build writing right now) stays.
  const old = join(dir, `.${basename(translateCachePath(outs[0]!))}.tmp-1-${Date.now() - 7_200_000}`);
  const young = join(dir, `.${basename(translateCachePath(outs[1]!))}.tmp-1-${Date.now()}`);
  writeFileSync(old, "");
  writeFileSync(young, "");
  assert.equal(records(dir).length, outs.length - 1);
  const last = outs.at(-1)!;
  await build(last, ir);
  const kept = new Set(records(dir));
  assert.equal(kept.size, TRANSLATE_CACHE_KEEP, "bounded");
  assert.ok(kept.has(basename(translateCachePath(last))), "the record just written stays");
  // The newest others stay, the oldest go.
  for (const [i, out] of outs.slice(0, -1).entries()) {
    assert.equal(kept.has(basename(translateCachePath(out))), i >= outs.length - TRANSLATE_CACHE_KEEP, `record ${i}`);
  }
  assert.ok(!existsSync(old) && existsSync(young));
  // The record kept is used: a rebuild into the last out translates nothing.
  assert.deepEqual((await build(last, ir)).stats, { translated: 0, reused: 6 });
  assert.equal(records(dir).length, TRANSLATE_CACHE_KEEP);
});

test("pruning leaves other files and fewer records alone", async () => {
  const dir = join(root, "few");
  mkdirSync(dir, { recursive: true });
  const names = Array.from({ length: 3 }, (_, i) => `${String(i).repeat(32)}.json`);
  for (const n of names) writeFileSync(join(dir, n), "{}\n");
  writeFileSync(join(dir, "notes.txt"), "mine\n");
  assert.equal(await pruneTranslateRecords(dir, join(dir, names[0]!), 4), 0);
  assert.equal(await pruneTranslateRecords(dir, join(dir, names[0]!), 3), 0);
  assert.equal(await pruneTranslateRecords(dir, join(dir, names[0]!), 2), 1);
  assert.equal(await pruneTranslateRecords(dir, join(dir, names[0]!), 1), 1);
  assert.deepEqual(readdirSync(dir).sort(), [names[0], "notes.txt"]);
  assert.equal(await pruneTranslateRecords(join(root, "missing"), "x", 2), 0);
});
