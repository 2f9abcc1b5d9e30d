// TypeScript 6 against TypeScript 7 on the check `meshc build` runs (issue 12 item 5): the synthetic 1,000-service
// mesh in both styles, checked by each compiler's own `tsc --noEmit` with meshc's compiler options (the same
// options src/frontend/typecheck.ts passes, "meshc" mapped to src/dsl), each run in a fresh process, alternating.
// It prints wall and CPU time (children's rusage) and whether both report the same errors, on the mesh as
// generated and after an edit that names a subset the service lacks. This measures a decision (the project pins
// TypeScript ~6.0 for its compiler API), not something meshc does today.
// Usage: node --import tsx bench/typecheck-tsc7.ts --tsc7 <path to TypeScript 7's bin/tsc> [--runs 3] [--services 1000]
//   (TypeScript 7 outside the project: `npm i --prefix /tmp/ts7 typescript@7`, then --tsc7 /tmp/ts7/node_modules/.bin/tsc)
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { syntheticMeshFiles, type MeshStyle } from "./synthetic-mesh.js";

const root = resolve(import.meta.dirname, "..");
const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const tsc7 = arg("tsc7");
if (!tsc7) throw new Error("--tsc7 <path to TypeScript 7's bin/tsc> is required");
const runs = Number(arg("runs") ?? 3);
const services = Number(arg("services") ?? 1000);
const tsc6 = createRequire(join(root, "package.json")).resolve("typescript/lib/tsc.js");
const work = join(root, ".tmp", `bench-tsc7-${services}`);

function tsconfig(): string {
  const dsl = join(root, "src", "dsl");
  return JSON.stringify({
    compilerOptions: {
      strict: true, noEmit: true, skipLibCheck: true, types: [], lib: ["es2022"], target: "es2022", module: "esnext",
      moduleResolution: "bundler", allowImportingTsExtensions: true, resolveJsonModule: true, isolatedModules: true,
      noFallthroughCasesInSwitch: true, forceConsistentCasingInFileNames: true,
      paths: { meshc: [join(dsl, "index.ts")], "meshc/test": [join(dsl, "testing.ts")] },
    },
    files: ["mesh.ts"],
  });
}

interface Run { wall: number; cpu: number; errors: string[] }

function run(argv: string[], dir: string): Run {
  const t0 = performance.now();
  // The child's CPU (user + system) from bash's `times` (its second line: the shell's children), as spawnSync gives none.
  const r = spawnSync("bash", ["-c", `"$@" > out.txt 2>&1; s=$?; times > cpu.txt; exit $s`, "bash", ...argv], { cwd: dir, encoding: "utf8" });
  const wall = performance.now() - t0;
  const [user, sys] = readFileSync(join(dir, "cpu.txt"), "utf8").trim().split("\n")[1]!.split(/\s+/).map((t) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(t);
    return m ? Number(m[1]) * 60_000 + Number(m[2]) * 1000 : NaN;
  });
  const errors = readFileSync(join(dir, "out.txt"), "utf8").split("\n").filter((l) => /error TS\d+/.test(l)).map((l) => l.trim());
  if (r.status !== 0 && errors.length === 0) throw new Error(`${argv.join(" ")} failed:\n${readFileSync(join(dir, "out.txt"), "utf8")}`);
  return { wall, cpu: user! + sys!, errors };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const compilers = { "TypeScript 6": [process.execPath, tsc6, "-p", "."], "TypeScript 7": [tsc7, "-p", "."] };

for (const style of ["data", "statements"] as MeshStyle[]) {
  for (const variant of ["as generated", "with a type error"] as const) {
    const dir = join(work, style);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(syntheticMeshFiles({ services, style }))) writeFileSync(join(dir, name), text);
    writeFileSync(join(dir, "tsconfig.json"), tsconfig());
    if (variant === "with a type error") {
      const text = readFileSync(join(dir, "mesh.ts"), "utf8");
      const edited = text.replace(/subset\("v2"\)/, 'subset("v3")');
      if (edited === text) throw new Error("no subset reference to edit");
      writeFileSync(join(dir, "mesh.ts"), edited);
    }
    const results: Record<string, Run[]> = { "TypeScript 6": [], "TypeScript 7": [] };
    for (let i = 0; i < runs; i++) for (const [name, argv] of Object.entries(compilers)) results[name]!.push(run(argv, dir));
    console.log(`\n=== ${style} style, ${variant} (${services} services, medians of ${runs})`);
    for (const [name, rs] of Object.entries(results)) {
      console.log(`${name}: wall ${median(rs.map((r) => r.wall)).toFixed(0)} ms, CPU ${median(rs.map((r) => r.cpu)).toFixed(0)} ms, errors ${rs[0]!.errors.length}`);
    }
    const [a, b] = [results["TypeScript 6"]![0]!.errors, results["TypeScript 7"]![0]!.errors];
    console.log(JSON.stringify(a) === JSON.stringify(b) ? "same errors" : `errors differ:\n  6: ${a.join("\n     ")}\n  7: ${b.join("\n     ")}`);
  }
}
