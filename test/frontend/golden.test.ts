// Front-end goldens: every case directory under test/golden/frontend holding a mesh.ts, and every example
// (outputs under test/golden/frontend/examples/<name>/), loaded with loadMesh into ir.json (when lowering ran)
// and diagnostics.txt. UPDATE_GOLDEN=1 rewrites them and deletes stale files.
import assert from "node:assert/strict";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { test } from "node:test";
import { loadMesh } from "../../src/frontend/index.js";
import { GoldenDir } from "../helpers/golden.js";
import { renderDiagnostics } from "./render.js";

const root = join("test", "golden", "frontend");
const golden = new GoldenDir(root, { isInput: (rel) => rel.endsWith(".ts") && !rel.startsWith("examples/") });

interface Case {
  name: string;
  entry: string;
  out: string;
}

function caseDirs(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (!statSync(p).isDirectory() || name === "examples") continue;
    if (existsSync(join(p, "mesh.ts"))) out.push(p);
    else out.push(...caseDirs(p));
  }
  return out;
}

const cases: Case[] = [
  ...caseDirs(root).map((dir) => {
    const out = relative(root, dir).split(sep).join("/");
    return { name: out, entry: join(dir, "mesh.ts"), out };
  }),
  ...readdirSync("examples")
    .sort()
    .filter((name) => existsSync(join("examples", name, "mesh.ts")))
    .map((name) => ({ name: `examples/${name}`, entry: join("examples", name, "mesh.ts"), out: `examples/${name}` })),
];

for (const c of cases) {
  test(`golden ${c.name}`, async () => {
    const result = await loadMesh(c.entry);
    golden.check(`${c.out}/diagnostics.txt`, renderDiagnostics(result.diagnostics, result.baseDir));
    if (result.ir) golden.checkJson(`${c.out}/ir.json`, result.ir);
    // An accepted golden must not hide a broken example.
    if (c.name.startsWith("examples/")) {
      assert.deepEqual(renderDiagnostics(result.diagnostics, result.baseDir), "");
      assert.ok(result.ir);
    }
  });
}

test("no orphaned golden files", () => {
  golden.checkOrphans();
});
