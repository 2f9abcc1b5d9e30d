// `meshc build` into a previous build translates only the proxies whose inputs changed, reading the others back from
// the build directory (src/build/translate-cache.ts). A stale proxy is the worst outcome, so the property test
// rebuilds one directory through random sequences of edits (test/helpers/ir-edits.ts, shared with serve's
// incremental translation test: addresses, routes, policies, calls, services, any field of a service, mesh-wide
// fields, authorization, telemetry, CORS, going back to an earlier mesh, switching meshes) and after every step compares the whole directory, byte for byte, with a fresh full build of the same IR.
// Then: a corrupt, foreign or stale record, or a build directory that no longer matches it, falls back to a full
// translation (fail closed) and still writes the same bytes.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import fc from "fast-check";
import { syntheticMesh } from "../../bench/synthetic-ir.js";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import { ENCODED_INDEX, withEncodedIndex } from "../../src/build/encoded-index.js";
import { planBuild } from "../../src/build/incremental.js";
import { MANIFEST, renderBuild } from "../../src/build/render.js";
import { BuildTranslateCache, translateCachePath } from "../../src/build/translate-cache.js";
import { writeBuildDir } from "../../src/build/write.js";
import type { MeshIR } from "../../src/ir/types.js";
import { applyStep, stepArbitrary } from "../helpers/ir-edits.js";
import { caseNames, loadCase } from "./cases.js";

const root = mkdtempSync(join(tmpdir(), "meshc-translate-cache-"));
after(() => rmSync(root, { recursive: true, force: true }));
process.env.MESHC_CACHE_DIR = join(root, "cache");

const bases: MeshIR[] = [...caseNames().map(loadCase), syntheticMesh({ services: 12 }), syntheticMesh({ services: 8, failover: false })];

function tree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
      else out.set(`${rel}${e.name}`, readFileSync(join(d, e.name), "utf8"));
    }
  };
  walk(dir, "");
  return out;
}

/** What `meshc build` does after the front end: translate through the cache, write, record. */
async function build(out: string, ir: MeshIR): Promise<{ cache: BuildTranslateCache; issues: number; error?: string }> {
  const cache = await BuildTranslateCache.open(out);
  let r;
  try {
    r = cache.translate(structuredClone(ir));
  } catch (e) {
    return { cache, issues: 0, error: (e as Error).message };
  }
  if (r.issues.length) return { cache, issues: r.issues.length };
  // As meshc build: the previous manifest.json and encoded.json as the cache read them (planBuild's `known`),
  // checked against planBuild reading the directory itself.
  const plan = await planBuild(out, ir.name, r.snapshot, undefined, undefined, cache.previousBuild());
  const read = await planBuild(out, ir.name, r.snapshot);
  assert.deepEqual(plan.reuse, read.reuse, "known previous build: the same files linked");
  assert.deepEqual(plan.files, read.files, "known previous build: the same files rendered");
  await writeBuildDir(out, plan.files, plan.reuse);
  await cache.save({ index: String(plan.files.get(ENCODED_INDEX)), manifest: String(plan.files.get(MANIFEST)) });
  return { cache, issues: 0 };
}

/** A fresh full build's files (or its issue count / error). */
function fresh(ir: MeshIR): Map<string, string> | number | string {
  let r;
  try {
    r = translateMesh(structuredClone(ir));
  } catch (e) {
    return (e as Error).message;
  }
  if (r.issues.length) return r.issues.length;
  return withEncodedIndex(renderBuild(ir.name, r.snapshot), r.snapshot);
}

const step = stepArbitrary(bases);

test("a cached rebuild writes exactly what a full build writes, after any sequence of edits", { timeout: 600_000 }, async () => {
  let run = 0;
  let reused = 0;
  let stepsReusing = 0;
  await fc.assert(
    fc.asyncProperty(fc.nat(bases.length - 1), fc.array(step, { minLength: 1, maxLength: 8 }), async (first, steps) => {
      const out = join(root, `p${run++}`, "out");
      const history: MeshIR[] = [structuredClone(bases[first]!)];
      const check = async (ir: MeshIR, where: string) => {
        const expected = fresh(ir);
        const got = await build(out, ir);
        if (typeof expected === "string") return assert.equal(got.error, expected, `${where}: both throw`);
        if (typeof expected === "number") return assert.equal(got.issues, expected, `${where}: the same issues`);
        assert.equal(got.error, undefined, where);
        assert.equal(got.issues, 0, where);
        assert.deepEqual(tree(out), expected, `${where}: the build directory`);
        if (got.cache.stats.reused) stepsReusing++;
        reused += got.cache.stats.reused;
      };
      await check(history[0]!, "start");
      for (const [i, s] of steps.entries()) await check(applyStep(history, bases, s), `step ${i + 1} (${JSON.stringify(s)})`);
    }),
    { numRuns: Number(process.env.TRANSLATE_CACHE_RUNS ?? 40) },
  );
  assert.ok(stepsReusing > 20 && reused > 100, `steps that reused proxies: ${stepsReusing}, proxies reused: ${reused}`);
});

test("a one-address edit retranslates only the service and its callers", async () => {
  const out = join(root, "one", "out");
  const ir = syntheticMesh({ services: 60 });
  assert.equal((await build(out, ir)).cache.stats.full, "no record of a previous build");
  const same = await build(out, ir);
  assert.deepEqual(same.cache.stats, { translated: 0, reused: 60 }, "an unchanged mesh translates nothing");
  const edited = structuredClone(ir);
  const target = edited.services[17]!;
  if (target.instances.kind === "static") target.instances.endpoints[0]!.address = "10.99.99.99";
  const r = await build(out, edited);
  const callers = edited.services.filter((s) => s.calls.includes(target.name)).length;
  assert.ok(callers > 0);
  assert.deepEqual(r.cache.stats, { translated: callers + 1, reused: 60 - callers - 1 });
  assert.deepEqual(tree(out), fresh(edited));
});

test("a corrupt, foreign or stale record, or a changed build directory, means a full translation", async () => {
  const out = join(root, "closed", "out");
  const ir = syntheticMesh({ services: 20 });
  await build(out, ir);
  const edited = structuredClone(ir);
  if (edited.services[3]!.instances.kind === "static") edited.services[3]!.instances.endpoints[0]!.address = "10.98.98.98";
  const expected = fresh(edited);
  const record = translateCachePath(out);
  const good = readFileSync(record, "utf8");
  const cases: [string, () => void, string][] = [
    ["garbage", () => writeFileSync(record, "{not json"), "unreadable record or build directory"],
    ["truncated", () => writeFileSync(record, good.slice(0, good.length / 2)), "unreadable record or build directory"],
    ["another format", () => writeFileSync(record, good.replace('"format":1', '"format":99')), "record of another format"],
    ["another meshc", () => writeFileSync(record, good.replace(/"translator":"[^"]*"/, '"translator":"x"')), "record written by another meshc"],
    ["another mesh", () => writeFileSync(record, good.replace(`"mesh":${JSON.stringify(ir.name)}`, '"mesh":"other"')), "unreadable build directory"],
    ["encoded.json edited", () => writeFileSync(join(out, ENCODED_INDEX), readFileSync(join(out, ENCODED_INDEX), "utf8").replace('"format":1', '"format":1 ')), "the build directory changed since the record was written"],
    ["manifest.json edited", () => writeFileSync(join(out, MANIFEST), `${readFileSync(join(out, MANIFEST), "utf8")} `), "the build directory changed since the record was written"],
  ];
  for (const [what, spoil, reason] of cases) {
    await build(out, ir); // a good record and directory
    spoil();
    const r = await build(out, edited);
    assert.equal(r.cache.stats.full, reason, what);
    assert.equal(r.cache.stats.reused, 0, what);
    assert.deepEqual(tree(out), expected, `${what}: the same bytes as a full build`);
  }
  // A resource's bytes changed in encoded.json with the record's digest made to match: the versions the manifest
  // states no longer come out, so those proxies are translated again, not trusted.
  await build(out, ir);
  const index = JSON.parse(readFileSync(join(out, ENCODED_INDEX), "utf8")) as { resources: [string, string, string][] };
  const spoilt = index.resources.findLastIndex((r) => r[0] === "cluster");
  index.resources[spoilt]![2] = Buffer.from("tampered").toString("base64");
  const text = `${JSON.stringify(index)}\n`;
  writeFileSync(join(out, ENCODED_INDEX), text);
  const { createHash } = await import("node:crypto");
  const rec = JSON.parse(readFileSync(record, "utf8")) as { index: string };
  rec.index = createHash("sha256").update(text).digest("base64");
  writeFileSync(record, JSON.stringify(rec));
  const r = await build(out, ir);
  assert.equal(r.cache.stats.full, undefined);
  assert.ok(record.startsWith(join(root, "cache")), "the record is kept in the cache folder");
  assert.deepEqual(readdirSync(join(root, "closed")), ["out"], "nothing beside the build directory");
  assert.ok(r.cache.stats.translated > 0 && r.cache.stats.reused > 0, JSON.stringify(r.cache.stats));
  assert.deepEqual(tree(out), fresh(ir), "the tampered resource is not written");

  // The same bytes spelt another way in base64 (no padding, or other unused low bits in the last character): the
  // resource is still reused, but encoded.json is written as a fresh build writes it, not as the index spelt it.
  for (const respell of [(b64: string) => b64.replace(/=+$/, ""), (b64: string) => b64.replace(/([A-Za-z0-9+/])(=+)$/, (_m, c: string, pad: string) => `${"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".indexOf(c) ^ 1]}${pad}`)]) {
    await build(out, ir);
    const idx = JSON.parse(readFileSync(join(out, ENCODED_INDEX), "utf8")) as { resources: [string, string, string][] };
    const at = idx.resources.findIndex((x) => x[2].endsWith("="));
    assert.ok(at >= 0, "a resource whose base64 has padding");
    const before = idx.resources[at]![2];
    idx.resources[at]![2] = respell(before);
    assert.notEqual(idx.resources[at]![2], before);
    assert.deepEqual(Buffer.from(idx.resources[at]![2], "base64"), Buffer.from(before, "base64"), "the same bytes");
    const t = `${JSON.stringify(idx)}\n`;
    writeFileSync(join(out, ENCODED_INDEX), t);
    const rc = JSON.parse(readFileSync(record, "utf8")) as { index: string };
    rc.index = createHash("sha256").update(t).digest("base64");
    writeFileSync(record, JSON.stringify(rc));
    const again = await build(out, ir);
    assert.ok(again.cache.stats.reused > 0, JSON.stringify(again.cache.stats));
    assert.deepEqual(tree(out), fresh(ir), "encoded.json as a fresh build writes it");
  }
});

test("a build directory replaced after the cache read it is read again by planBuild (not taken as known)", async () => {
  const out = join(root, "swapped", "out");
  const a = syntheticMesh({ services: 12 });
  await build(out, a);
  const cache = await BuildTranslateCache.open(out);
  const known = cache.previousBuild();
  assert.ok(known, "the record vouches for the previous build");
  // Another build swaps in a different tree (every address moved) before this one plans.
  const b = structuredClone(a);
  for (const svc of b.services) if (svc.instances.kind === "static") for (const e of svc.instances.endpoints) e.address = e.address.replace(/^10\./, "11.");
  const rb = translateMesh(structuredClone(b));
  const pb = await planBuild(out, b.name, rb.snapshot);
  await writeBuildDir(out, pb.files, pb.reuse);
  const r = cache.translate(structuredClone(a));
  const withKnown = await planBuild(out, a.name, r.snapshot, undefined, undefined, known);
  const read = await planBuild(out, a.name, r.snapshot);
  assert.deepEqual(withKnown.reuse, read.reuse);
  assert.deepEqual(withKnown.files, read.files);
  await writeBuildDir(out, withKnown.files, withKnown.reuse);
  assert.deepEqual(tree(out), fresh(a));
});
