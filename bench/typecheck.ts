// Type-check benchmark (issue 12 item 5): the TypeScript check `meshc build` runs on the synthetic 1,000-service mesh
// (bench/synthetic-mesh.ts, both styles), in this process on the main thread, each figure the CPU time of the check
// alone (TypeScript already loaded), so that a shared machine's load counts less than in wall times:
//   fresh      a check without the cache (what bench/build-stages.ts times as "typecheck");
//   cold       the first check with the cache (src/frontend/typecheck-cache.ts; it also writes the record);
//   unchanged  `meshc build` of the same mesh again: the record answers, nothing is checked again;
//   edited     after a one-line edit (an instance address of svc-0005, as bench/build.ts --edit does).
// Each check is in a fresh process (no parsed-file cache carried over), as `meshc build` runs.
// Usage: node --import tsx bench/typecheck.ts [--services 1000] [--style data|statements] [--runs 1]
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { syntheticMeshFiles, type MeshStyle } from "./synthetic-mesh.js";

const root = resolve(import.meta.dirname, "..");

if (process.argv[2] === "--child") {
  // One check: prints {ms, cpu, checked, errors}.
  const [, , , entry, persist] = process.argv;
  const { typecheck, typescript } = await import("../src/frontend/typecheck.js");
  const { dslEntry } = await import("../src/frontend/paths.js");
  typescript();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = typecheck(entry!, dslEntry(), undefined, persist === "1");
  const c = process.cpuUsage(c0);
  console.log(JSON.stringify({ ms: performance.now() - t0, cpu: (c.user + c.system) / 1000, checked: r.checked, errors: r.diagnostics.length }));
  process.exit(0);
}

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const services = arg("services", 1000);
const runs = arg("runs", 1);
const styleArg = process.argv.includes("--style") ? process.argv[process.argv.indexOf("--style") + 1] : undefined;
const styles: MeshStyle[] = styleArg ? [styleArg as MeshStyle] : ["data", "statements"];
const work = join(root, ".tmp", `bench-typecheck-${services}`);

function check(entry: string, cache: string, persist: boolean): { ms: number; cpu: number; checked?: number; errors: number } {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "bench", "typecheck.ts"), "--child", entry, persist ? "1" : "0"], {
    encoding: "utf8",
    env: { ...process.env, MESHC_CACHE_DIR: cache },
  });
  if (r.status !== 0) throw new Error(`check failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
}

for (const style of styles) {
  const dir = join(work, style);
  const cache = join(work, `cache-${style}`);
  console.log(`\n=== ${style} style: ${services} services`);
  console.log("run  check       CPU ms   wall ms  modules checked  errors");
  for (let run = 0; run < runs; run++) {
    rmSync(dir, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(syntheticMeshFiles({ services, style }))) writeFileSync(join(dir, name), text);
    const entry = join(dir, "mesh.ts");
    const row = (what: string, r: ReturnType<typeof check>) =>
      console.log(`${String(run + 1).padEnd(4)} ${what.padEnd(10)} ${r.cpu.toFixed(0).padStart(8)} ${r.ms.toFixed(0).padStart(9)} ${String(r.checked ?? "all").padStart(16)} ${String(r.errors).padStart(7)}`);
    row("fresh", check(entry, cache, false));
    row("cold", check(entry, cache, true));
    row("unchanged", check(entry, cache, true));
    const file = style === "data" ? join(dir, "services.ts") : entry;
    const text = readFileSync(file, "utf8");
    writeFileSync(file, text.replace(/"10\.0\.5\.(\d+)"/, `"10.0.5.${100 + run}"`));
    row("edited", check(entry, cache, true));
  }
}
