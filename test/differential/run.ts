// Runs the differential property (meshc accepts => Envoy accepts) with fast-check: a fixed budget of meshes from a
// seed that is always printed, about one mesh in ten compiled from its mesh.ts rendering (the rest through the DSL
// builders in-process), and on failure the seed, the replay path and the shrunk mesh as mesh.ts source. Shared by
// test/differential/differential.test.ts (CI budget) and bench/differential.ts (long runs).
import fc from "fast-check";
import { meshSpec } from "./arbitraries.js";
import { check, type Outcome } from "./oracle.js";
import { renderMeshTs, type MeshSpec } from "./spec.js";

export interface DifferentialOptions {
  envoyPath: string;
  seed: number;
  runs: number;
  /** One mesh in `sourceEvery` goes through mesh.ts (type check, bundle, evaluate). @default 10 */
  sourceEvery?: number;
  /** fast-check replay path (FC_PATH) of a reported failure. */
  path?: string;
  log?: (line: string) => void;
}

export interface DifferentialStats {
  seed: number;
  runs: number;
  accepted: number;
  rejected: number;
  viaSource: number;
  proxiesValidated: number;
  ms: number;
}

export interface DifferentialResult {
  ok: boolean;
  stats: DifferentialStats;
  /** Seed, replay path, failure and the shrunk mesh.ts, ready to print. */
  report?: string;
}

export async function runDifferential(opts: DifferentialOptions): Promise<DifferentialResult> {
  const every = opts.sourceEvery ?? 10;
  const stats: DifferentialStats = { seed: opts.seed, runs: 0, accepted: 0, rejected: 0, viaSource: 0, proxiesValidated: 0, ms: 0 };
  const t0 = performance.now();
  const last = new WeakMap<MeshSpec, Outcome>();
  let shrinking = false;
  const arb = differentialArbitrary(every);
  const property = fc.asyncProperty(arb, async ([spec, via]) => {
    const outcome = await check(spec, via, opts.envoyPath);
    last.set(spec, outcome);
    if (!shrinking) {
      stats.runs++;
      if (via === "source") stats.viaSource++;
      if (outcome.meshc.accepted) stats.accepted++;
      else stats.rejected++;
      stats.proxiesValidated += outcome.envoy?.reduce((n, v) => n + v.services.length, 0) ?? 0;
      if (opts.log && stats.runs % 50 === 0) opts.log(`differential: ${stats.runs}/${opts.runs} meshes, ${stats.accepted} accepted by meshc`);
    }
    if (outcome.failure) shrinking = true;
    return outcome.failure === undefined;
  });
  const details = await fc.check(property, { seed: opts.seed, numRuns: opts.runs, ...(opts.path !== undefined && { path: opts.path }) });
  stats.ms = Math.round(performance.now() - t0);
  if (!details.failed || !details.counterexample) return { ok: true, stats };
  const [spec, via] = details.counterexample[0];
  const outcome = last.get(spec) ?? (await check(spec, via, opts.envoyPath));
  const report = [
    `meshc accepts => Envoy accepts: FAILED after ${details.numRuns} meshes (${details.numShrinks} shrinks)`,
    `seed: ${details.seed}   path: ${details.counterexamplePath}   (replay: FC_SEED=${details.seed} FC_PATH=${details.counterexamplePath})`,
    `compiled via: ${via === "source" ? "mesh.ts (compileMesh)" : "DSL builders in-process"}`,
    outcome.failure ?? String(details.errorInstance ?? "property returned false"),
    `shrunk mesh:`,
    "```ts",
    renderMeshTs(spec).trimEnd(),
    "```",
  ].join("\n");
  return { ok: false, stats, report };
}

/** A mesh and how to compile it: one in `every` through mesh.ts (shrinking prefers the in-process builders). */
export function differentialArbitrary(every: number): fc.Arbitrary<[MeshSpec, "model" | "source"]> {
  return fc.tuple(meshSpec, fc.nat({ max: every - 1 }).map((n): "model" | "source" => (n === every - 1 ? "source" : "model")));
}

/** FC_SEED / FC_RUNS from the environment, else the given defaults. */
export function envSettings(defaults: { seed: number; runs: number }): { seed: number; runs: number; path?: string } {
  const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : defaults.seed;
  const runs = process.env.FC_RUNS ? Number(process.env.FC_RUNS) : defaults.runs;
  if (!Number.isInteger(seed)) throw new Error(`FC_SEED must be an integer, got ${process.env.FC_SEED}`);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`FC_RUNS must be a positive integer, got ${process.env.FC_RUNS}`);
  return { seed, runs, ...(process.env.FC_PATH && { path: process.env.FC_PATH }) };
}
