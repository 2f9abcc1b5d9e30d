// One `meshc diff` in-process, timed per stage (used by bench/diff.ts, fresh process each): loading each side
// (compile or read a build directory), comparing the snapshots, building the report (source lookup), rendering.
// Prints one JSON line of milliseconds. Usage: node --import tsx bench/diff-stages.ts <base> <head>
import { compareSnapshots } from "../src/diff/compare.js";
import { renderDiff } from "../src/diff/render.js";
import { buildReport } from "../src/diff/report.js";
import { loadSides } from "../src/diff/sides.js";

const [base, head] = process.argv.slice(2);
if (!base || !head) throw new Error("usage: diff-stages.ts <base> <head>");
const ms = (t0: number) => Math.round(performance.now() - t0);
let t = performance.now();
const [b, h] = await loadSides(base, head);
const load = ms(t);
t = performance.now();
const diff = compareSnapshots(b.snapshot, h.snapshot);
const compare = ms(t);
t = performance.now();
const report = buildReport(b, h, diff);
const reportMs = ms(t);
t = performance.now();
const human = renderDiff(report, "human").length;
const json = renderDiff(report, "json").length;
const markdown = renderDiff(report, "markdown").length;
const render = ms(t);
console.log(JSON.stringify({ "load both sides": load, compare, "report (sources)": reportMs, "render human+json+markdown": render, outputBytes: human + json + markdown }));
