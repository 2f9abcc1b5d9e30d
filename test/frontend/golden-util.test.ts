// The golden-file utility (test/helpers/golden.ts), exercised in a temp directory.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { GoldenDir, lineDiff, stableJson } from "../helpers/golden.js";

const root = mkdtempSync(join(tmpdir(), "meshc-golden-test-"));
after(() => rmSync(root, { recursive: true, force: true }));

test("stableJson sorts keys at every depth, drops undefined, ends with a newline", () => {
  assert.equal(stableJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } }), '{\n  "a": {\n    "d": [\n      {\n        "y": 2,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}\n');
});

test("check passes on equal content, fails on a difference or a missing file, with a hint", () => {
  const dir = join(root, "compare");
  mkdirSync(join(dir, "case"), { recursive: true });
  writeFileSync(join(dir, "case", "out.txt"), "one\ntwo\n");
  const g = new GoldenDir(dir, { update: false });
  g.check("case/out.txt", "one\ntwo\n");
  assert.throws(() => g.check("case/out.txt", "one\nTWO\n"), (e: Error) => e.message.includes("differs") && e.message.includes("- two") && e.message.includes("+ TWO") && e.message.includes("UPDATE_GOLDEN=1"));
  assert.throws(() => g.check("case/new.txt", "x"), /is missing/);
});

test("orphans: files neither produced nor inputs fail the check; update mode deletes them and empty dirs", () => {
  const dir = join(root, "orphans");
  for (const f of ["a/mesh.ts", "a/ir.json", "a/stale.json", "gone/ir.json"]) {
    mkdirSync(join(dir, f, ".."), { recursive: true });
    writeFileSync(join(dir, f), "{}\n");
  }
  const isInput = (rel: string) => rel.endsWith(".ts");
  const strict = new GoldenDir(dir, { isInput, update: false });
  strict.check("a/ir.json", "{}\n");
  assert.deepEqual(strict.orphans(), ["a/stale.json", "gone/ir.json"]);
  assert.throws(() => strict.checkOrphans(), /a\/stale\.json[\s\S]*gone\/ir\.json/);

  const updating = new GoldenDir(dir, { isInput, update: true });
  updating.check("a/ir.json", '{"changed":true}\n');
  updating.check("a/diagnostics.txt", "");
  updating.checkOrphans();
  assert.equal(readFileSync(join(dir, "a/ir.json"), "utf8"), '{"changed":true}\n');
  assert.equal(readFileSync(join(dir, "a/diagnostics.txt"), "utf8"), "");
  assert.ok(existsSync(join(dir, "a/mesh.ts")), "inputs are kept");
  assert.ok(!existsSync(join(dir, "a/stale.json")));
  assert.ok(!existsSync(join(dir, "gone")), "a directory left empty is removed");
});

test("lineDiff shows the changed region with context", () => {
  assert.equal(lineDiff("a\nb\nc\nd\ne", "a\nb\nX\nd\ne"), "@@ line 3 @@\n  a\n  b\n- c\n+ X\n  d\n  e");
});
