// One timed compile for bench/build.ts, in a fresh process: the pipeline's own per-stage timings, then render and
// write (overlapping: files go to the writer's thread as rendered; incremental into the previous run's output, as `meshc build` does; `rendered` counts the files rendered), then peak RSS. Prints one JSON line {stage: ms, ..., peakRssMiB}.
import { planBuild } from "../src/build/incremental.js";
import { openBuildDir } from "../src/build/write.js";
import { compileMesh } from "../src/pipeline.js";

const [mesh, out] = process.argv.slice(2) as [string, string];
const t0 = performance.now();
const r = await compileMesh(mesh);
if (!r.snapshot || !r.ir) {
  console.error(r.diagnostics.slice(0, 5));
  process.exit(1);
}
const t1 = performance.now();
// As `meshc build` does: files equal to the previous build's in `out` (runs after the first) are linked, not rendered.
// Files are handed to the writer's thread as they are rendered: "write" is what is left after rendering ends.
const writer = await openBuildDir(out);
const plan = await planBuild(out, r.ir.name, r.snapshot, undefined, writer);
const t2 = performance.now();
await writer.commit();
const t3 = performance.now();
console.log(
  JSON.stringify({
    ...r.timings,
    render: Math.round(t2 - t1),
    rendered: plan.rendered,
    write: Math.round(t3 - t2),
    total: Math.round(t3 - t0),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
