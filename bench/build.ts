// Compiler benchmark: generates the synthetic mesh (bench/synthetic-mesh.ts; default 1,000 services x 3 instances x
// 2 subsets, 5 calls each, 4 routes per call) and times
//   1. `meshc build` end to end (dist/cli.js, a fresh process per run: wall time and peak RSS), and
//   2. each pipeline stage in a fresh process (bench/build-stages.ts).
// Both mesh styles of bench/synthetic-mesh.ts are measured ("data": a table and a loop; "statements": one DSL
// statement per element), since TypeScript's check time depends on how much code there is, not on the IR.
// With --edit, every run after the first is a rebuild after a one-line edit (one instance address of svc-0005
// changes; its callers and itself are translated again, src/build/translate-cache.ts). An address is a literal whose
// type cannot depend on its value, so the type check is answered from its record (src/frontend/typecheck-literals.ts);
// --edit timeout changes a route timeout instead ("1500ms" -> "1400ms": svc-0005's first route in the statement style,
// the route table's in the data style, so every proxy there), which TypeScript checks again.
// Usage: npm run build && node --import tsx bench/build.ts [--services 1000] [--runs 3] [--style data|statements] [--edit [timeout]]
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { syntheticMeshFiles, type MeshStyle } from "./synthetic-mesh.js";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const services = arg("services", 1000);
const runs = arg("runs", 3);
const root = resolve(import.meta.dirname, "..");
const work = join(root, ".tmp", `bench-build-${services}`);
// A previous run's trees (36,000 files and folders) are moved aside now and deleted only after the measurements: on
// this machine's disk (ext4 without a journal) every inode created within ~30 s of mass deletions costs up to 0.2 ms
// more (src/build/spare.ts), which would charge the bench's own clean-up to the cold build that follows it.
const stale = `${work}.old-${process.pid}`;
if (existsSync(work)) renameSync(work, stale);
process.on("exit", () => rmSync(stale, { recursive: true, force: true }));
const cli = join(root, "dist", "cli.js");
if (!existsSync(cli)) throw new Error("dist/cli.js is missing: run `npm run build` first");

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const hasTime = existsSync("/usr/bin/time");
const styleArg = process.argv.includes("--style") ? process.argv[process.argv.indexOf("--style") + 1] : undefined;
const edit = process.argv.includes("--edit");
const editTimeout = process.argv[process.argv.indexOf("--edit") + 1] === "timeout";

/**
 * One line of services.ts (data style) or mesh.ts changed: an address of svc-0005's first instance, new each run; with
 * `--edit timeout`, the first route timeout at or after svc-0005's routes.
 */
function oneLineEdit(dir: string, run: number): void {
  if (editTimeout) {
    const path = join(dir, "mesh.ts");
    const text = readFileSync(path, "utf8");
    const from = Math.max(0, text.indexOf("mesh.routes(s5,"));
    const at = text.indexOf('.timeout("', from);
    if (at < 0) throw new Error("--edit timeout: no route timeout to change");
    const end = text.indexOf('")', at);
    return writeFileSync(path, `${text.slice(0, at)}.timeout("${1500 - run * 100}ms${text.slice(end)}`);
  }
  for (const name of ["services.ts", "mesh.ts"]) {
    const path = join(dir, name);
    if (!existsSync(path)) continue;
    const text = readFileSync(path, "utf8");
    const next = text.replace(/"10\.0\.5\.(\d+)"/, `"10.0.5.${100 + run}"`);
    if (next !== text) return writeFileSync(path, next);
  }
  throw new Error("--edit: no address of svc-0005 to change");
}
const styles: MeshStyle[] = styleArg ? [styleArg as MeshStyle] : ["data", "statements"];
for (const style of styles) measure(style);

function measure(style: MeshStyle): void {
const dir = join(work, style);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const files = syntheticMeshFiles({ services, style });
for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
const mesh = join(dir, "mesh.ts");
const kib = Object.values(files).reduce((n, t) => n + Buffer.byteLength(t), 0) / 1024;
console.log(`\n=== ${style} style: ${services} services, ${kib.toFixed(0)} KiB of TypeScript`);


// 1. End to end.
const wall: number[] = [];
const rss: number[] = [];
const cpu: number[] = [];
for (let i = 0; i < runs; i++) {
  const out = join(dir, "out");
  if (i > 0 && edit) oneLineEdit(dir, i);
  const t0 = performance.now();
  const cmd = hasTime ? "/usr/bin/time" : process.execPath;
  const args = hasTime ? ["-f", "%M %U %S", process.execPath, cli, "build", mesh, "--out", out] : [cli, "build", mesh, "--out", out];
  // meshc's cache folder (type check, translate record) of this bench alone, empty before the first run: that run is
  // a cold build with no caches, the later ones find what it left.
  const r = spawnSync(cmd, args, { encoding: "utf8", env: { ...process.env, MESHC_CACHE_DIR: join(dir, "cache") } });
  wall.push(performance.now() - t0);
  if (r.status !== 0) throw new Error(`meshc build failed (${r.status}):\n${r.stderr}`);
  if (hasTime) {
    // Peak RSS, and CPU (user + system, all threads): on a shared machine the CPU time says more than the wall time.
    const [kb, user, sys] = r.stderr.trim().split("\n").at(-1)!.split(" ").map(Number);
    rss.push(kb! / 1024);
    cpu.push((user! + sys!) * 1000);
  }
}
// Run 1 writes into an empty --out; later runs rebuild into the previous output (unchanged proxies are not
// translated again, unchanged files are linked).
console.log(`\nruns (s): ${wall.map((w) => (w / 1000).toFixed(2)).join(", ")} (the first into an empty --out${edit ? `; the others after a one-line edit of ${editTimeout ? "a route timeout" : "an address"}` : ""})`);
if (cpu.length) console.log(`CPU per run (s): ${cpu.map((c) => (c / 1000).toFixed(2)).join(", ")}`);
console.log(`\nmeshc build end to end (${runs} runs): median ${(median(wall) / 1000).toFixed(2)} s, min ${(Math.min(...wall) / 1000).toFixed(2)} s` + (rss.length ? `, peak RSS ${median(rss).toFixed(0)} MiB, CPU ${(median(cpu) / 1000).toFixed(2)} s (runs: ${cpu.map((c) => (c / 1000).toFixed(2)).join(", ")})` : ""));

// 2. Per stage.
const stageRuns: Record<string, number>[] = [];
for (let i = 0; i < runs; i++) {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "bench", "build-stages.ts"), mesh, join(dir, "out-stages")], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`build-stages failed:\n${r.stderr}`);
  stageRuns.push(JSON.parse(r.stdout.trim().split("\n").at(-1)!));
}
console.log("\nstage              median ms");
for (const stage of Object.keys(stageRuns[0]!)) {
  console.log(`${stage.padEnd(18)} ${median(stageRuns.map((s) => s[stage]!)).toFixed(0).padStart(9)}`);
}
}
