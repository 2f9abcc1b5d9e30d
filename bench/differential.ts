// The differential property (meshc accepts => Envoy accepts, see test/differential/) with a bigger budget than CI:
//   node --import tsx bench/differential.ts [--runs 5000] [--seed N] [--source-every 10]
//   node --import tsx bench/differential.ts --collect [--runs 500]   (no shrinking: every distinct Envoy refusal)
// Prints the seed first, progress every 50 meshes, then the statistics (and the shrunk mesh on failure); exit 1 on a
// failure. Needs Envoy 1.40 (npm run envoy:install). Timings depend on the machine's load.
import fc from "fast-check";
import { findEnvoy, isEnvoyMissing } from "../src/runtime/envoy-binary.js";
import { check } from "../test/differential/oracle.js";
import { differentialArbitrary, runDifferential } from "../test/differential/run.js";
import { renderMeshTs } from "../test/differential/spec.js";

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const runs = Number(flag("--runs") ?? process.env.FC_RUNS ?? 5000);
const seed = Number(flag("--seed") ?? process.env.FC_SEED ?? Date.now() % 2 ** 31);
const sourceEvery = Number(flag("--source-every") ?? 10);
const found = findEnvoy();
if (isEnvoyMissing(found)) {
  console.error(`bench/differential: no Envoy (${found.hint})`);
  process.exit(2);
}
console.log(`differential: seed ${seed}, ${runs} meshes, 1 in ${sourceEvery} via mesh.ts, Envoy ${found.version ?? "?"} at ${found.path}`);

if (args.includes("--collect")) {
  // Every failure, grouped by Envoy's message with digits and quoted names blurred; the smallest example of each.
  const groups = new Map<string, { count: number; example: string; size: number }>();
  const samples = fc.sample(differentialArbitrary(sourceEvery), { seed, numRuns: runs });
  let accepted = 0;
  const rejections = new Map<string, number>();
  const t0 = performance.now();
  for (const [i, [spec, via]] of samples.entries()) {
    const o = await check(spec, via, found.path);
    if (o.meshc.accepted) accepted++;
    else for (const c of new Set(o.meshc.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.code === "MESH0003" ? d.message.slice(0, 60) : ""}`))) {
      rejections.set(c, (rejections.get(c) ?? 0) + 1);
      if (process.env.SHOW_REJECTIONS) console.log(o.meshc.diagnostics.find((d) => c.startsWith(d.code))?.message);
    }
    for (const line of o.failure?.split("\n").slice(1) ?? []) {
      const key = line.replace(/proxy [^(]*\(/g, "proxy (").replace(/\d+/g, "N").replace(/'[^']*'|"[^"]*"/g, "'…'");
      const src = renderMeshTs(spec);
      const g = groups.get(key);
      if (!g) groups.set(key, { count: 1, example: src, size: src.length });
      else {
        g.count++;
        if (src.length < g.size) Object.assign(g, { example: src, size: src.length });
      }
    }
    if ((i + 1) % 50 === 0) console.log(`  ${i + 1}/${runs}: ${accepted} accepted, ${groups.size} distinct failures`);
  }
  console.log("meshc's reasons to reject (meshes per error code):", Object.fromEntries([...rejections].sort((a, b) => b[1] - a[1])));
  for (const [key, g] of groups) console.log(`\n=== ${g.count}x ${key}\n${g.example}`);
  console.log(`\n${runs} meshes, ${accepted} accepted by meshc, ${groups.size} distinct failures, ${Math.round(performance.now() - t0)} ms`);
  process.exit(groups.size ? 1 : 0);
}

const r = await runDifferential({ envoyPath: found.path, seed, runs, sourceEvery, log: (l) => console.log(l) });
console.log(JSON.stringify(r.stats));
if (r.report) console.log(r.report);
process.exit(r.ok ? 0 : 1);
