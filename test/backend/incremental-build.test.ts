// `meshc build` into a previous build (issue 12, compile latency): files whose version is unchanged are linked from
// the previous tree, not rendered and written again; the result is byte-identical to a full render; a file changed
// by hand after the previous build is rendered again rather than trusted.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { syntheticMesh } from "../../bench/synthetic-ir.js";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import { planBuild } from "../../src/build/incremental.js";
import { ENCODED_INDEX, withEncodedIndex } from "../../src/build/encoded-index.js";
import { renderBuild } from "../../src/build/render.js";
import { writeBuildDir } from "../../src/build/write.js";

const root = mkdtempSync(join(tmpdir(), "meshc-incremental-"));
after(() => rmSync(root, { recursive: true, force: true }));

function compiled(timeoutOfSvc3?: number) {
  const ir = syntheticMesh({ services: 30 });
  if (timeoutOfSvc3 !== undefined) ir.services[3]!.policy.connectTimeoutMs = timeoutOfSvc3;
  const r = translateMesh(ir);
  assert.deepEqual(r.issues, []);
  return { name: ir.name, snapshot: r.snapshot };
}

function tree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
      else out.set(`${rel}${e.name}`, readFileSync(join(d, e.name), "utf8"));
    }
  };
  walk(dir, "");
  return out;
}

test("a rebuild links the unchanged files and renders only the changed ones; the tree equals a full render", async () => {
  const out = join(root, "out");
  const a = compiled();
  const first = await planBuild(out, a.name, a.snapshot);
  assert.equal(first.reuse.size, 0, "nothing to reuse without a previous build");
  await writeBuildDir(out, first.files, first.reuse);
  assert.deepEqual(tree(out), withEncodedIndex(renderBuild(a.name, a.snapshot), a.snapshot));
  const inodes = new Map([...first.files.keys()].map((rel) => [rel, statSync(join(out, rel)).ino]));

  const b = compiled(901);
  const full = withEncodedIndex(renderBuild(b.name, b.snapshot), b.snapshot);
  const changed = [...full].filter(([rel, text]) => rel !== "manifest.json" && rel !== ENCODED_INDEX && text !== readFileSync(join(out, rel), "utf8")).map(([rel]) => rel);
  assert.ok(changed.length > 0 && changed.length < full.size / 4, `${changed.length} changed files`);
  const plan = await planBuild(out, b.name, b.snapshot);
  assert.deepEqual([...plan.files.keys()].sort(), [...changed, "manifest.json", ENCODED_INDEX].sort(), "only the changed files (and the manifest and encoded.json) are rendered");
  await writeBuildDir(out, plan.files, plan.reuse);
  assert.deepEqual(tree(out), full, "byte-identical to a full render");
  for (const rel of plan.reuse.keys()) assert.equal(statSync(join(out, rel)).ino, inodes.get(rel), `${rel} is linked, not rewritten`);

  // A hand edit after the build (newer than manifest.json) is not trusted, even with an unchanged version.
  const edited = "svc-0010/eds.json";
  writeFileSync(join(out, edited), readFileSync(join(out, edited), "utf8").replace("10.", "11."));
  const later = new Date(statSync(join(out, "manifest.json")).mtimeMs + 5000);
  utimesSync(join(out, edited), later, later);
  const again = await planBuild(out, b.name, b.snapshot);
  assert.ok(!again.reuse.has(edited) && again.files.has(edited), "the edited file is rendered again");
  await writeBuildDir(out, again.files, again.reuse);
  assert.deepEqual(tree(out), full);
});
