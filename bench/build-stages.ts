// One timed compile for bench/build.ts, in a fresh process: the pipeline's own per-stage timings, then render and
// write (overlapping: files go to the writer's thread as rendered; incremental into the previous run's output, as `meshc build` does; `rendered` counts the files rendered), then peak RSS. Prints one JSON line {stage: ms, ..., peakRssMiB}.
import { planBuild } from "../src/build/incremental.js";
import { openBuildDir } from "../src/build/write.js";
import { compileMesh } from "../src/pipeline.js";
import { translateMesh } from "../src/backends/envoy/translate.js";
import { readFileSync } from "node:fs";

// CPU time of the main thread alone (ms; Linux: /proc, utime + stime in clock ticks of 10 ms), so that a shared
// machine's load does not count: the type check and the writer run on threads of their own.
const mainCpu = (): number => {
  try {
    const f = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
};
let translateCpu = 0;

const [mesh, out] = process.argv.slice(2) as [string, string];
const t0 = performance.now();
const r = await compileMesh(mesh, {
  translate: (ir) => {
    const c0 = mainCpu();
    const t = translateMesh(ir);
    translateCpu = mainCpu() - c0;
    return t;
  },
});
if (!r.snapshot || !r.ir) {
  console.error(r.diagnostics.slice(0, 5));
  process.exit(1);
}
const t1 = performance.now();
// As `meshc build` does: files equal to the previous build's in `out` (runs after the first) are linked, not rendered.
// Files are handed to the writer's thread as they are rendered: "write" is what is left after rendering ends.
const c1 = mainCpu();
// (The previous tree is removed by a detached process, as meshc build does: src/build/retire.ts.)
const writer = await openBuildDir(out, { retire: "detach" });
const plan = await planBuild(out, r.ir.name, r.snapshot, undefined, writer);
const t2 = performance.now();
const c2 = mainCpu();
await writer.commit();
const t3 = performance.now();
console.log(
  JSON.stringify({
    ...r.timings,
    translateCpu,
    render: Math.round(t2 - t1),
    renderCpu: c2 - c1,
    rendered: plan.rendered,
    write: Math.round(t3 - t2),
    total: Math.round(t3 - t0),
    mainCpu: mainCpu(),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
