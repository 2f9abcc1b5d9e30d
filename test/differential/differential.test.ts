// The differential property: every mesh meshc accepts, Envoy accepts. fast-check generates meshes over the DSL's
// whole value space (test/differential/arbitraries.ts), meshc compiles them (1 in 10 from mesh.ts source through
// compileMesh, the rest through the DSL builders in-process and the same later stages), and the real
// `envoy --mode validate` checks every distinct proxy's static bootstrap, 2 at a time. CI budget: 300 meshes from a
// fixed seed, printed; FC_SEED / FC_RUNS (and FC_PATH to replay a shrink) override it. On failure the message holds
// the seed and the shrunk mesh as mesh.ts. Longer runs: node --import tsx bench/differential.ts --runs 5000.
import assert from "node:assert/strict";
import { test } from "node:test";
import { requireEnvoy } from "../helpers/envoy.js";
import { envSettings, runDifferential } from "./run.js";

const CI_SEED = 20261202;
const CI_RUNS = 300;

test("meshc accepts => Envoy accepts (fast-check, real envoy --mode validate)", { timeout: 1_800_000 }, async (t) => {
  const envoyPath = requireEnvoy(t);
  if (!envoyPath) return;
  const { seed, runs, path } = envSettings({ seed: CI_SEED, runs: CI_RUNS });
  t.diagnostic(`differential: seed ${seed}, ${runs} meshes (FC_SEED/FC_RUNS override)`);
  console.log(`differential: seed ${seed}, ${runs} meshes`);
  const r = await runDifferential({ envoyPath, seed, runs, ...(path !== undefined && { path }) });
  t.diagnostic(JSON.stringify(r.stats));
  console.log(`differential: ${JSON.stringify(r.stats)}`);
  assert.ok(r.ok, r.report);
  // The budget is real: meshes ran, a fair share compiled and reached Envoy, some went through mesh.ts.
  assert.equal(r.stats.runs, runs);
  assert.ok(r.stats.accepted >= runs / 4, `only ${r.stats.accepted} of ${runs} meshes were accepted by meshc: the generator is too often invalid`);
  assert.ok(r.stats.viaSource > 0, "no mesh went through mesh.ts");
  assert.ok(r.stats.proxiesValidated >= r.stats.accepted, "every accepted mesh had its proxies validated");
});
