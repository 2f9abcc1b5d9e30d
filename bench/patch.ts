// mesh.patch() cost (issue 13): the synthetic mesh (bench/synthetic-mesh.ts, "data" style) compiled in a fresh
// process per run (bench/build-stages.ts), without a patch and with one patch on every cluster of every proxy
// (the worst case: every cluster is sent to the evaluation worker, patched, re-encoded and re-checked). Prints the
// median per stage of each variant; "patch" is the whole patch stage (selection, the worker round trip, re-checks).
// Usage: node --import tsx bench/patch.ts [--services 200] [--runs 3]
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { syntheticMeshFiles } from "./synthetic-mesh.js";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const services = arg("services", 200);
const runs = arg("runs", 3);
const root = resolve(import.meta.dirname, "..");
const work = join(root, ".tmp", `bench-patch-${services}`);
rmSync(work, { recursive: true, force: true });

const PATCH = `    mesh.patch({ proxies: refs, kind: "cluster" }, (c) => {
      c.per_connection_buffer_limit_bytes = { value: 65536 };
    });
  },
);
`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

for (const variant of ["plain", "patched"] as const) {
  const dir = join(work, variant);
  mkdirSync(dir, { recursive: true });
  const files = syntheticMeshFiles({ services, style: "data" });
  if (variant === "patched") files["mesh.ts"] = files["mesh.ts"]!.replace(/  },\n\);\n$/, PATCH);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const samples: Record<string, number>[] = [];
  for (let i = 0; i < runs; i++) {
    const out = join(dir, `out-${i}`);
    const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "bench", "build-stages.ts"), join(dir, "mesh.ts"), out], { encoding: "utf8", cwd: root });
    if (r.status !== 0) throw new Error(`${variant}: ${r.stderr}`);
    samples.push(JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, number>);
  }
  const stages = ["typecheck", "bundle", "evaluate", "validate", "lower", "analyze", "translate", "patch", "total", "peakRssMiB"];
  const row = stages.filter((s) => samples[0]![s] !== undefined).map((s) => `${s} ${median(samples.map((x) => x[s]!))}`);
  console.log(`${variant} (${services} services, median of ${runs}): ${row.join(", ")}`);
}
