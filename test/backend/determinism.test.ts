// Building the same input in two separate processes gives identical bytes (R12): no dependence on hash-map
// iteration, time, process ids or memoization order. The second process gets the inputs in reverse order, so
// the shared-resource caches fill in a different order too.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import { caseNames, GOLDEN_DIR, readTree } from "./cases.js";

const tmp = mkdtempSync(join(tmpdir(), "meshc-determinism-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const script = fileURLToPath(new URL("./fixtures/build-ir.ts", import.meta.url));

function build(outRoot: string, inputs: string[]): void {
  const r = spawnSync(process.execPath, ["--import", "tsx", script, outRoot, ...inputs], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
}

test("two processes write byte-identical build directories", { timeout: 120_000 }, () => {
  const inputs = [...caseNames().map((c) => join(GOLDEN_DIR, c, "ir.json")), "synthetic:40"];
  build(join(tmp, "a"), inputs);
  const reversed = [...inputs].reverse();
  build(join(tmp, "b"), reversed);
  for (const [i, input] of inputs.entries()) {
    const a = readTree(join(tmp, "a", String(i)));
    const b = readTree(join(tmp, "b", String(reversed.indexOf(input))));
    assert.ok(a.size > 4, `${input} produced files`);
    assert.deepEqual(a, b, input);
  }
});
