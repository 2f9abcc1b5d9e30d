// Reload memory of `meshc serve`: RSS after 1, 50 and 200 reloads of the demo mesh (examples/demo/mesh.ts, copied
// to a temp directory), each a full compile (type check, bundle, evaluation in a fresh worker, analysis, backend).
// Before mesh.ts ran in an isolated worker, every reload imported a new module instance into the server's own
// heap, so memory only grew. Run: node --expose-gc --import tsx bench/reload-memory.ts [--reloads 1,50,200]
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { startServe } from "../src/serve/serve.js";

const arg = process.argv.indexOf("--reloads");
const marks = (arg > 0 ? process.argv[arg + 1]! : "1,50,200").split(",").map(Number).sort((a, b) => a - b);
const dir = mkdtempSync(join(tmpdir(), "meshc-reload-bench-"));
copyFileSync(join(import.meta.dirname, "..", "examples", "demo", "mesh.ts"), join(dir, "mesh.ts"));
const gc = (globalThis as { gc?: () => void }).gc;
const mib = (n: number) => (n / 1024 / 1024).toFixed(1);

const h = await startServe({ source: join(dir, "mesh.ts"), xdsAddress: "127.0.0.1:0", adminAddress: "127.0.0.1:0", watch: false, stateDir: false, logger: pino({ level: "silent" }) });
const rows: string[] = [];
const t0 = Date.now();
let done = 1; // startServe's own load
const record = () => {
  gc?.();
  const m = process.memoryUsage();
  rows.push(`| ${done} | ${mib(m.rss)} | ${mib(m.heapUsed)} | ${mib(m.external + m.arrayBuffers)} | ${((Date.now() - t0) / 1000).toFixed(0)} |`);
};
if (marks.includes(1)) record();
for (const mark of marks) {
  while (done < mark) {
    if (!(await h.reload())) throw new Error("the demo mesh failed to compile");
    done++;
  }
  if (mark !== 1) record();
}
await h.close();
rmSync(dir, { recursive: true, force: true });
console.log(`reload memory, demo mesh (${gc ? "after a forced GC" : "no --expose-gc: without a forced GC"})\n`);
console.log("| loads | RSS (MiB) | JS heap used (MiB) | external + array buffers (MiB) | elapsed (s) |\n|---|---|---|---|---|");
console.log(rows.join("\n"));
