// `meshc diff` benchmark on the synthetic mesh (bench/synthetic-mesh.ts, data style; default 1,000 services x 3
// instances x 2 subsets, 5 calls each, 4 routes per call). Two edits, each timed end to end (dist/cli.js, a fresh
// process per run, --format json to /dev/null; wall time and peak RSS) for three pairs of sides:
//   mesh.ts -> mesh.ts      both sides compiled (type check included): what `git:<base>:mesh.ts mesh.ts` costs
//   build dir -> mesh.ts    the base read back from a build directory (strict codec + validation), the head compiled
//   build dir -> build dir  no compile: reading and comparing only
// Edits: "one service" (one instance address and one extra call: a handful of proxies change), and "every service"
// (the circuit breaker's maxRequests in the shared policy: every proxy's clusters change).
// Then, per edit, the stages of one diff between build directories and between meshes (bench/diff-stages.ts), to
// separate the comparison itself from compiling.
// Usage: npm run build && node --import tsx bench/diff.ts [--services 1000] [--runs 1]
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { syntheticMeshFiles } from "./synthetic-mesh.js";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const services = arg("services", 1000);
const runs = arg("runs", 1);
const root = resolve(import.meta.dirname, "..");
const cli = join(root, "dist", "cli.js");
if (!existsSync(cli)) throw new Error("dist/cli.js is missing: run `npm run build` first");
const work = join(root, ".tmp", `bench-diff-${services}`);
rmSync(work, { recursive: true, force: true });
const hasTime = existsSync("/usr/bin/time");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function writeMesh(name: string, edit: (files: Record<string, string>) => Record<string, string>): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(edit(syntheticMeshFiles({ services, style: "data" })))) writeFileSync(join(dir, f), text);
  return join(dir, "mesh.ts");
}

function meshc(args: string[], okCodes = [0]): { ms: number; rssMiB?: number; stdout: string } {
  const t0 = performance.now();
  const r = hasTime
    ? spawnSync("/usr/bin/time", ["-f", "%M", "-o", join(work, "rss"), process.execPath, cli, ...args], { encoding: "utf8", maxBuffer: 1 << 30 })
    : spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", maxBuffer: 1 << 30 });
  const ms = performance.now() - t0;
  if (!okCodes.includes(r.status ?? -1)) throw new Error(`meshc ${args.join(" ")} exited ${r.status}:\n${r.stderr}`);
  const rss = hasTime ? Number(spawnSync("cat", [join(work, "rss")], { encoding: "utf8" }).stdout.trim().split("\n").at(-1)) / 1024 : undefined;
  return rss === undefined ? { ms, stdout: r.stdout } : { ms, rssMiB: rss, stdout: r.stdout };
}

const base = writeMesh("base", (f) => f);
const one = writeMesh("one", (f) => ({
  ...f,
  "services.ts": f["services.ts"]!.replace('"10.0.7.1"', '"10.0.7.201"').replace(/(\["svc-0003", .*, \[)/, `$1${services - 1}, `),
}));
const every = writeMesh("every", (f) => ({ ...f, "mesh.ts": f["mesh.ts"]!.replace("maxRequests: 1000", "maxRequests: 500") }));

const builds: Record<string, string> = {};
for (const [name, mesh] of Object.entries({ base, one, every })) {
  builds[name] = join(work, `build-${name}`);
  meshc(["build", mesh, "--out", builds[name]!]);
}

console.log(`meshc diff on ${services} services, ${runs} runs each (median wall time, peak RSS)\n`);
console.log("edit            sides                      blast radius                           wall      RSS");
for (const [edit, head] of [["one service", one], ["every service", every]] as const) {
  const key = edit === "one service" ? "one" : "every";
  const pairs: [string, string, string][] = [
    ["mesh.ts -> mesh.ts", base, head],
    ["build dir -> mesh.ts", builds.base!, head],
    ["build dir -> build dir", builds.base!, builds[key]!],
  ];
  for (const [label, a, b] of pairs) {
    const times: number[] = [];
    const rss: number[] = [];
    let radius = "";
    for (let i = 0; i < runs; i++) {
      const r = meshc(["diff", a, b, "--format", "json"], [1]);
      times.push(r.ms);
      if (r.rssMiB !== undefined) rss.push(r.rssMiB);
      const rep = JSON.parse(r.stdout) as { blastRadius: { proxies: { changed: number }; resources: { added: number; removed: number; changed: number } } };
      const x = rep.blastRadius;
      radius = `${x.proxies.changed} proxies, ~${x.resources.changed} +${x.resources.added} -${x.resources.removed}`;
    }
    console.log(
      `${edit.padEnd(15)} ${label.padEnd(26)} ${radius.padEnd(38)} ${(median(times) / 1000).toFixed(2).padStart(5)} s` +
        (rss.length ? ` ${median(rss).toFixed(0).padStart(5)} MiB` : ""),
    );
  }
}

console.log("\nstages (ms), one fresh process each");
for (const [edit, key, head] of [["one service", "one", one], ["every service", "every", every]] as const) {
  for (const [label, a, b] of [["build dir -> build dir", builds.base!, builds[key]!], ["mesh.ts -> mesh.ts", base, head]] as const) {
    const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "bench", "diff-stages.ts"), a, b], { encoding: "utf8", cwd: root });
    if (r.status !== 0) throw new Error(`diff-stages failed:\n${r.stderr}`);
    console.log(`${edit.padEnd(15)} ${label.padEnd(26)} ${r.stdout.trim().split("\n").at(-1)}`);
  }
}
