// One timed compile for bench/build.ts, in a fresh process: the pipeline's own per-stage timings, then render and
// write, then peak RSS. Prints one JSON line {stage: ms, ..., peakRssMiB}.
import { renderBuild } from "../src/build/render.js";
import { writeBuildDir } from "../src/build/write.js";
import { compileMesh } from "../src/pipeline.js";

const [mesh, out] = process.argv.slice(2) as [string, string];
const t0 = performance.now();
const r = await compileMesh(mesh);
if (!r.snapshot || !r.ir) {
  console.error(r.diagnostics.slice(0, 5));
  process.exit(1);
}
const t1 = performance.now();
const files = renderBuild(r.ir.name, r.snapshot);
const t2 = performance.now();
await writeBuildDir(out, files);
const t3 = performance.now();
console.log(
  JSON.stringify({
    ...r.timings,
    render: Math.round(t2 - t1),
    write: Math.round(t3 - t2),
    total: Math.round(t3 - t0),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
