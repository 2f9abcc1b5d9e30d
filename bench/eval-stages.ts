// Where evaluating a mesh.ts goes (issue 12 item 5, `serve` hot reload < 1 s): the synthetic data-style mesh
// (bench/synthetic-mesh.ts) is bundled once, then, per run, in this process: running the bundle (the DSL building the
// model, call sites captured), encoding the model for the wire (src/frontend/model-wire.ts), copying the message as
// postMessage does (structuredClone), decoding it; and the whole isolated evaluation (src/frontend/isolate.ts: a fresh
// worker, the same stages there, the copy, the decode). CPU of this process (every thread) and wall, medians.
// Runs against any checkout whose model-wire and isolate have these entry points (copy it into an older tree to
// compare). Usage: node --import tsx bench/eval-stages.ts [--services 1000] [--runs 5]
import { cpus, loadavg } from "node:os";
import { pathToFileURL } from "node:url";
import { evaluateIsolated } from "../src/frontend/isolate.js";
import { decodeModel, encodeModel } from "../src/frontend/model-wire.js";
import { bundleSyntheticMesh } from "./synthetic-bundle.js";

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const services = Number(arg("services", "1000"));
const runs = Number(arg("runs", "5"));
const { bundle } = await bundleSyntheticMesh("bench-eval-stages", services);
const url = pathToFileURL(bundle.file).href;

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const rows = new Map<string, number[]>();
const note = (k: string, v: number) => rows.set(k, [...(rows.get(k) ?? []), v]);
let wireChars = 0;
for (let r = 0; r < runs; r++) {
  let c = cpu();
  const mod = (await import(`${url}?run=${r}`)) as { default: unknown }; // a fresh module instance per run
  note("run the bundle (CPU)", cpu() - c);
  c = cpu();
  const wire = encodeModel(mod.default);
  note("encode (CPU)", cpu() - c);
  wireChars = typeof wire === "string" ? wire.length : JSON.stringify(wire).length;
  c = cpu();
  const copy = structuredClone(wire);
  note("copy (CPU)", cpu() - c);
  c = cpu();
  decodeModel(copy);
  note("decode (CPU)", cpu() - c);
  c = cpu();
  const t = performance.now();
  const outcome = await evaluateIsolated(bundle.file, {});
  note("isolated evaluation (wall)", performance.now() - t);
  note("isolated evaluation (CPU)", cpu() - c);
  if (outcome.kind !== "model") throw new Error(`evaluation: ${outcome.kind}`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`data-style mesh, ${services} services, ${runs} runs; the model's wire message: ${(wireChars / 1024 / 1024).toFixed(2)} MiB as JSON text`);
for (const [k, xs] of rows) console.log(`${k.padEnd(28)} median ${String(Math.round(median(xs))).padStart(6)} ms   (${xs.map(Math.round).join(", ")})`);
console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(" ")} on ${cpus().length} cores`);
process.exit(0);
