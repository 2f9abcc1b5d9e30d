// CPU and wall time of `meshc serve`'s reload of a mesh.ts after a one-line edit, in process, two ways back to back
// (issue 12 item 5): "full" compiles as before this work (the whole mesh translated again, a worker started per
// evaluation), "reload" loads the way `meshc serve` does now (src/serve/source.ts: proxies translated only when their
// inputs changed, a spare evaluation worker). Both keep the incremental type check. On a machine shared with other
// jobs the wall times swing; process CPU (every thread) is the steadier figure.
// Usage: node --import tsx bench/reload-cpu.ts [--services 1000] [--edits 5]
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { compileMesh } from "../src/pipeline.js";
import { openSource } from "../src/serve/source.js";
import { syntheticMeshFiles } from "./synthetic-mesh.js";

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const services = Number(arg("services", "1000"));
const edits = Number(arg("edits", "5"));
const dir = join(resolve(import.meta.dirname, ".."), ".tmp", `bench-reload-cpu-${services}`);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
for (const [name, text] of Object.entries(syntheticMeshFiles({ services, style: "data" }))) writeFileSync(join(dir, name), text);
const entry = join(dir, "mesh.ts");
const file = join(dir, "services.ts");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

let edit = 0;
const editOnce = () => {
  const k = (edit * 97 + 11) % services;
  const text = readFileSync(file, "utf8");
  const next = text.replace(new RegExp(`"10\\.${(k >> 8) & 255}\\.${k & 255}\\.1"`), `"10.${(k >> 8) & 255}.${k & 255}.${101 + (edit % 100)}"`);
  if (next === text) throw new Error(`edit ${edit}: nothing replaced`);
  writeFileSync(file, next);
  edit++;
};

const source = openSource(entry);
const modes = {
  full: async () => {
    const r = await compileMesh(entry, { incrementalTypecheck: true });
    return { ok: r.snapshot !== undefined, timings: r.timings as Record<string, number> };
  },
  reload: async () => {
    const r = await source.load();
    return { ok: r.snapshot !== undefined, timings: r.timings ?? {} };
  },
};
const results: Record<keyof typeof modes, { wall: number; cpu: number }[]> = { full: [], reload: [] };
// Warm both (first compile, type-check program, translation state), then alternate.
for (const m of Object.values(modes)) await m();
for (let e = 0; e < edits; e++) {
  for (const name of (e % 2 === 0 ? ["full", "reload"] : ["reload", "full"]) as (keyof typeof modes)[]) {
    editOnce();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await modes[name]();
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1000;
    if (!r.ok) throw new Error(`${name}: the edit did not compile`);
    results[name].push({ wall, cpu });
    console.log(`${name.padEnd(6)} wall ${Math.round(wall)} ms, CPU ${Math.round(cpu)} ms; ${Object.entries(r.timings).map(([k, v]) => `${k} ${Math.round(v)}`).join(", ")}`);
  }
}
for (const [name, rs] of Object.entries(results)) {
  console.log(`${name}: median wall ${Math.round(median(rs.map((r) => r.wall)))} ms, median CPU ${Math.round(median(rs.map((r) => r.cpu)))} ms over ${rs.length} edits`);
}
console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(" ")} on ${cpus().length} cores`);
process.exit(0);
