// The back half of `meshc build` into a previous build, in a fresh process, main-thread CPU and wall per step:
// translate through the translate cache (reading the reused proxies back from encoded.json), plan + render + hand
// files to the writer thread (src/build/incremental.ts), commit (wait for the writer, swap; the old tree is removed by a
// detached process, as `meshc build` does, src/build/retire.ts), and
// the cache record's save. The front end is left out (the IR comes from bench/synthetic-ir.ts), so that the steps
// meshc's build owns after translation can be compared on a loaded machine, where end-to-end times say little.
// Each run moves svc-0005's first address to and fro, so every run after the first translates 6 of 1,000 proxies.
// Usage: node --import tsx bench/rebuild-back-half.ts [--runs 4] [--out .tmp/rebuild-back-half] [--root <a meshc checkout, for A/B>]
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { spawnSync } from "node:child_process";

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const here = resolve(import.meta.dirname, "..");

if (process.argv.includes("--child")) await child(arg("root", here), arg("out", ""), arg("mode", "full"));
else {
  const runs = Number(arg("runs", "4"));
  const root = resolve(arg("root", here));
  const out = resolve(arg("out", join(here, ".tmp", "rebuild-back-half")));
  for (let i = 0; i <= runs; i++) {
    const mode = i === 0 ? "full" : i % 2 ? "edit" : "full";
    const r = spawnSync(process.execPath, ["--import", "tsx", import.meta.filename, "--child", "--root", root, "--out", out, "--mode", mode], { encoding: "utf8", env: { ...process.env, MESHC_CACHE_DIR: process.env.MESHC_CACHE_DIR ?? join(out, "..", "rebuild-back-half-cache") } });
    if (r.status !== 0) throw new Error(r.stderr);
    console.log(`${i === 0 ? "first build " : "rebuild     "}${r.stdout.trim()}`);
  }
}

async function child(root: string, out: string, mode: string): Promise<void> {
  const { syntheticMesh } = await import(`${root}/bench/synthetic-ir.ts`);
  const { BuildTranslateCache } = await import(`${root}/src/build/translate-cache.ts`);
  const { planBuild } = await import(`${root}/src/build/incremental.ts`);
  const { openBuildDir } = await import(`${root}/src/build/write.ts`);
  const { ENCODED_INDEX } = await import(`${root}/src/build/encoded-index.ts`);
  const { MANIFEST } = await import(`${root}/src/build/render.ts`);
  const { warmEnvoyRoot } = await import(`${root}/src/backends/envoy/api/registry.ts`);
  // Main-thread CPU (Linux /proc, clock ticks of 10 ms): the writer's thread and other jobs do not count.
  const mainCpu = () => {
    const f = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(f[11]) + Number(f[12])) * 10;
  };
  await warmEnvoyRoot();
  const ir = syntheticMesh({ services: 1000 });
  if (mode === "edit") {
    const s = ir.services[5]!;
    if (s.instances.kind === "static") s.instances.endpoints[0]!.address = "10.0.5.250";
  }
  const m: string[] = [];
  let c = mainCpu();
  let t = performance.now();
  const lap = (k: string) => {
    const c2 = mainCpu();
    const t2 = performance.now();
    m.push(`${k} ${c2 - c} ms CPU / ${Math.round(t2 - t)} ms`);
    c = c2;
    t = t2;
  };
  const cache = await BuildTranslateCache.open(out);
  const r = cache.translate(ir);
  lap("translate");
  const w = await openBuildDir(out, { retire: "detach" });
  const plan = await planBuild(out, ir.name, r.snapshot, undefined, w, cache.previousBuild?.());
  lap("plan+render");
  await w.commit();
  lap("commit");
  await cache.save({ index: String(plan.files.get(ENCODED_INDEX)), manifest: String(plan.files.get(MANIFEST)) });
  lap("save");
  console.log(`(${cache.stats.translated} translated, ${cache.stats.reused} reused) ${m.join(", ")}`);
}
