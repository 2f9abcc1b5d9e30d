// CPU of the front end's in-process stages after evaluation, per reload of `meshc serve mesh.ts` (issue 12 item 5:
// hot reload < 1 s): the synthetic data-style mesh (bench/synthetic-mesh.ts) is bundled and run once here, its model
// encoded for the wire once; then, per run, as a reload does: decode a fresh model (model-wire.ts), validate (zod and
// the text checks), lower to IR, analyze (every analyzer timed on its own). Runs after the first are warm (the JIT
// has seen the code), as in a long-running `serve`. Prints medians of this process's CPU, and the slowest analyzers.
// Usage: node --import tsx bench/front-stages.ts [--services 1000] [--runs 7]
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { ANALYZERS, analyze } from "../src/analysis/index.js";
import { AnalysisContext } from "../src/analysis/context.js";
import type { MeshModel } from "../src/dsl/model.js";
import { lower } from "../src/frontend/lower.js";
import { decodeModel, encodeModel } from "../src/frontend/model-wire.js";
import { makeLocator } from "../src/frontend/sites.js";
import { validateModel } from "../src/frontend/validate.js";
import { bundleSyntheticMesh } from "./synthetic-bundle.js";

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const services = Number(arg("services", "1000"));
const runs = Number(arg("runs", "7"));
const { dir, bundle } = await bundleSyntheticMesh("bench-front-stages", services);
const mod = (await import(pathToFileURL(bundle.file).href)) as { default: unknown };
const wire = encodeModel(mod.default);

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const rows = new Map<string, number[]>();
const note = (k: string, v: number) => rows.set(k, [...(rows.get(k) ?? []), v]);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const baseDir = dirname(join(dir, "mesh.ts"));
let findings = 0;
for (let r = 0; r < runs; r++) {
  let c = cpu();
  const info: { wellFormed?: boolean } = {};
  // (A checkout before decodeModel's second argument ignores it, and validateModel's third: the bench runs in both.)
  const model = (decodeModel as (m: unknown, i?: object) => unknown)(wire, info) as MeshModel;
  note("decode", cpu() - c);
  const locate = makeLocator(bundle);
  c = cpu();
  const invalid = (validateModel as (m: MeshModel, l: typeof locate, o?: object) => ReturnType<typeof validateModel>)(model, locate, { wellFormed: info.wellFormed === true });
  note("validate", cpu() - c);
  if (invalid.length) throw new Error(`validation: ${JSON.stringify(invalid.slice(0, 3))}`);
  c = cpu();
  const lowered = lower(model, baseDir, locate);
  note("lower", cpu() - c);
  if (!lowered.ir) throw new Error("lowering gave no IR");
  c = cpu();
  findings = analyze(lowered.ir, { baseDir }).length;
  note("analyze", cpu() - c);
  // Each analyzer alone, on a fresh context (what analyze() spends per analyzer, give or take shared caches).
  const ctx = new AnalysisContext(lowered.ir);
  for (const a of ANALYZERS) {
    const t = cpu();
    a.run(ctx);
    note(`  ${a.name}`, cpu() - t);
  }
}
console.log(`data-style mesh, ${services} services, ${runs} runs (medians of this process's CPU in ms; the first run is cold); analysis findings: ${findings}`);
// Whether validation ran without zod (schema-fast.ts; a checkout without it says so).
const fast = (await import("../src/frontend/schema-fast.js" as string).catch(() => undefined)) as typeof import("../src/frontend/schema-fast.js") | undefined;
if (fast) {
  const m = (decodeModel as (m: unknown) => unknown)(wire) as MeshModel;
  const alone = m.services.filter((s) => fast.serviceAcceptedFast(s, { zodElements: false })).length;
  console.log(`fast validation: ${alone} of ${m.services.length} services without zod; the mesh's own fields ${fast.meshFieldsAccepted(m) ? "too" : "by zod"}`);
} else console.log("fast validation: not in this checkout");
const stages = ["decode", "validate", "lower", "analyze"];
// The minimum over the warm runs: the least disturbed by other jobs on a shared machine.
const least = (xs: number[]) => Math.min(...(xs.length > 1 ? xs.slice(1) : xs));
for (const k of stages) console.log(`${k.padEnd(28)} median ${median(rows.get(k)!).toFixed(1).padStart(7)}   min ${least(rows.get(k)!).toFixed(1).padStart(7)}   (${rows.get(k)!.map((x) => x.toFixed(0)).join(", ")})`);
const sum = (pick: (xs: number[]) => number) => stages.reduce((n, k) => n + pick(rows.get(k)!), 0);
console.log(`${"all four".padEnd(28)} median ${sum(median).toFixed(1).padStart(7)}   min ${sum(least).toFixed(1).padStart(7)}`);
const analyzers = [...rows].filter(([k]) => !stages.includes(k)).map(([k, v]) => [k, median(v)] as const).sort((a, b) => b[1] - a[1]);
console.log("slowest analyzers (median ms):");
for (const [k, v] of analyzers.slice(0, 12)) console.log(`${k.padEnd(28)} ${v.toFixed(1).padStart(7)}`);
console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(" ")} on ${cpus().length} cores`);
