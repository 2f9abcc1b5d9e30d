// TypeScript loaded through V8's code cache (src/frontend/typescript-code-cache.ts) checks exactly as TypeScript
// loaded by require(): the same diagnostics (file:line:col, code, message) for every mesh of the corpus. The cache
// is written after a check and taken by the next process; a corrupt, truncated or foreign cache (another V8 flag
// set) is not taken, the check is the same, and a good cache replaces it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

const root = join(import.meta.dirname, "..", "..");
const corpus = join(root, "test", "golden", "corpus");
const entries = readdirSync(corpus)
  .sort()
  .map((d) => join(corpus, d, "mesh.ts"))
  .filter((f) => existsSync(f));
const child = join(root, "test", "helpers", "typescript-load-child.ts");

let cacheDir = "";
before(() => (cacheDir = mkdtempSync(join(tmpdir(), "meshc-v8-cache-"))));
after(() => rmSync(cacheDir, { recursive: true, force: true }));
const cacheFile = () => join(cacheDir, "v8", "typescript.cache");

type Out = { cached: boolean; results: unknown[] };
function run(mode: "cached" | "plain", files: string[], flags: string[] = []): Out {
  const r = spawnSync(process.execPath, [...flags, "--import", "tsx", child, mode, ...files], {
    encoding: "utf8",
    env: { ...process.env, MESHC_CACHE_DIR: cacheDir },
    maxBuffer: 64 << 20,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Out;
}

test("the corpus checks to the same diagnostics with and without the code cache, and the cache is taken", () => {
  assert.ok(entries.length >= 10, "the corpus has meshes");
  const plain = run("plain", entries);
  assert.ok(plain.results.some((d) => (d as unknown[]).length > 0), "some corpus meshes have type errors");
  assert.equal(existsSync(cacheFile()), false, "require() leaves no code cache");
  const first = run("cached", entries);
  assert.equal(first.cached, false, "no cache yet");
  assert.ok(existsSync(cacheFile()), "a check leaves a code cache");
  const second = run("cached", entries);
  assert.equal(second.cached, true, "the next process takes it");
  assert.deepEqual(first.results, plain.results);
  assert.deepEqual(second.results, plain.results);
});

test("a corrupt, truncated or foreign code cache is not taken; the check is the same and a good cache replaces it", () => {
  const few = entries.slice(0, 12);
  const expected = run("plain", few).results;
  run("cached", few); // a cache exists (written by this run or the previous test)
  assert.equal(run("cached", few).cached, true);
  const good = readFileSync(cacheFile());

  const flipped = Buffer.from(good);
  flipped[flipped.length - 100] ^= 0xff;
  const cases: [string, () => void, string[]][] = [
    ["one byte of V8's data changed", () => writeFileSync(cacheFile(), flipped), []],
    ["truncated", () => writeFileSync(cacheFile(), good.subarray(0, good.length >> 1)), []],
    ["no header line", () => writeFileSync(cacheFile(), good.subarray(good.indexOf(10) + 1)), []],
    ["another V8 flag set", () => writeFileSync(cacheFile(), good), ["--max-semi-space-size=8"]],
  ];
  for (const [what, spoil, flags] of cases) {
    spoil();
    const out = run("cached", few, flags);
    assert.equal(out.cached, false, `${what}: not taken`);
    assert.deepEqual(out.results, expected, `${what}: same diagnostics`);
    if (flags.length === 0) {
      assert.equal(run("cached", few).cached, true, `${what}: replaced by a good cache`);
    }
  }
});
