// start -> ready of `meshc serve` (issue 12): the time from spawning the server to its "meshc serve ready" log line
// (ADS answering with a snapshot), for the 1,000-service synthetic mesh (data style), in three cases:
//   build-dir           `meshc serve <dir>` on a `meshc build` output (encoded.json present: read without re-encoding)
//   build-dir, no index the same directory without encoded.json (every resource parsed, checked and encoded)
//   warm start          `meshc serve mesh.ts` with the state directory a previous run left (served before compiling)
// Each case is run --runs times (fresh process each); medians are printed, with the server's CPU time.
// Usage: npm run build && unshare -n bash -c 'ip link set lo up && node --import tsx bench/serve-start.ts [--runs 3]'
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { syntheticMeshFiles } from "./synthetic-mesh.js";

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const runs = Number(arg("runs", "3"));
const services = Number(arg("services", "1000"));
const root = resolve(import.meta.dirname, "..");
const cli = join(root, "dist", "cli.js");
const dir = join(root, ".tmp", `bench-serve-start-${services}`);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
for (const [name, text] of Object.entries(syntheticMeshFiles({ services, style: "data" }))) writeFileSync(join(dir, name), text);
const mesh = join(dir, "mesh.ts");
const out = join(dir, "out");
const built = spawnSync(process.execPath, [cli, "build", mesh, "--out", out], { encoding: "utf8" });
if (built.status !== 0) throw new Error(built.stderr);
const bare = join(dir, "out-no-index");
cpSync(out, bare, { recursive: true });
rmSync(join(bare, "encoded.json"));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Spawns `meshc serve`, resolves at its ready line with the wall time, then stops it and adds its CPU time. */
async function startOnce(args: string[], until = "meshc serve ready", linger: () => Promise<void> = async () => undefined): Promise<{ ms: number; cpuMs: number }> {
  const t0 = performance.now();
  const p = spawn(process.execPath, [cli, "serve", ...args, "--xds", "127.0.0.1:18700", "--admin", "127.0.0.1:18701"], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  p.stderr!.on("data", (d) => (stderr += String(d)));
  const ms = await new Promise<number>((res, rej) => {
    createInterface({ input: p.stdout! }).on("line", (line) => {
      if (line.includes(`"msg":"${until}"`)) res(performance.now() - t0);
    });
    p.on("exit", (code) => rej(new Error(`serve exited (${code}) before "${until}":\n${stderr}`)));
  });
  // CPU time (user + system) from /proc, in clock ticks (100 Hz), just before the server is stopped.
  const stat = readFileSync(`/proc/${p.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  const cpuMs = (Number(stat[11]) + Number(stat[12])) * 10;
  await linger();
  const exited = new Promise((r) => p.on("exit", r));
  p.kill("SIGTERM");
  await exited;
  return { ms, cpuMs };
}

// A first compile leaves the warm-start state beside the mesh (.meshc/); the later starts serve it at once.
await startOnce([mesh], "snapshot loaded", async () => {
  for (let i = 0; i < 600 && !existsSync(join(dir, ".meshc", "state.json")); i++) await new Promise((r) => setTimeout(r, 1000));
});

const cases: [string, string[]][] = [
  ["serve <build dir> (encoded.json)", [out]],
  ["serve <build dir> (no encoded.json: full validation)", [bare]],
  ["serve mesh.ts, warm start (state from the previous run)", [mesh]],
];
const results = new Map<string, { ms: number; cpuMs: number }[]>(cases.map(([name]) => [name, []]));
for (let i = 0; i < runs; i++) {
  for (const [name, args] of cases) {
    const r = await startOnce(args);
    results.get(name)!.push(r);
    console.log(`run ${i + 1}: ${name}: ready after ${(r.ms / 1000).toFixed(2)} s (server CPU until ready ${(r.cpuMs / 1000).toFixed(2)} s)`);
  }
}
console.log(`\nstart -> ready, medians of ${runs} (${services} services, ${spawnSync("nproc").stdout} cores):`);
for (const [name, rs] of results) console.log(`  ${name}: ${(median(rs.map((r) => r.ms)) / 1000).toFixed(2)} s, CPU ${(median(rs.map((r) => r.cpuMs)) / 1000).toFixed(2)} s`);
