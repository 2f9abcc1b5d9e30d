// The watcher's default debounce for a mesh's files (MESH_DEBOUNCE_MS, shortened from 100 ms for issue 12 item 5's
// hot reload): an editor's atomic save (temp file + rename over), an in-place write, and a truncate + write each end
// in exactly one reported change, after which the file's final content is what a load reads. No timing is asserted:
// the test counts reports, waiting for them by polling with a long deadline.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, appendFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { MESH_DEBOUNCE_MS, BUILD_DIR_DEBOUNCE_MS, watchFiles } from "../../src/serve/watch.js";

const root = mkdtempSync(join(tmpdir(), "meshc-debounce-"));
after(() => rmSync(root, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("a mesh's files are debounced less than a build directory's manifest", () => {
  assert.ok(MESH_DEBOUNCE_MS < BUILD_DIR_DEBOUNCE_MS);
});

test("each save pattern is one reported change with the default debounce, and the load sees the final content", { timeout: 120_000 }, async () => {
  const file = join(root, "mesh.ts");
  writeFileSync(file, "export const v = 0;\n");
  const reports: string[] = [];
  const seen: string[] = [];
  const w = watchFiles([file], (path) => {
    reports.push(path);
  }, { pollMs: 0 });
  try {
    // As serve does: a load takes a fingerprint when it starts and hands it back when it ends.
    const load = async () => {
      const fp = await w.fingerprint();
      seen.push(readFileSync(file, "utf8"));
      w.loaded([file], fp);
    };
    await load();
    await sleep(200); // the directory watch is set up
    const saves: [string, (text: string) => void][] = [
      ["temp + rename", (t) => (writeFileSync(join(root, ".mesh.ts.tmp"), t), renameSync(join(root, ".mesh.ts.tmp"), file))],
      ["in-place write", (t) => writeFileSync(file, t)],
      ["truncate + write", (t) => (truncateSync(file, 0), appendFileSync(file, t))],
    ];
    let n = 0;
    for (const [name, save] of saves) {
      n++;
      const text = `export const v = ${n};\n`;
      save(text);
      const end = Date.now() + 60_000;
      while (reports.length < n && Date.now() < end) await sleep(10);
      assert.equal(reports.length, n, `${name}: one change reported`);
      await load();
      assert.equal(seen.at(-1), text, `${name}: the load reads the final content`);
      await sleep(MESH_DEBOUNCE_MS * 8); // nothing else is reported for this save
      assert.equal(reports.length, n, `${name}: exactly one change reported`);
    }
  } finally {
    await w.close();
  }
});
