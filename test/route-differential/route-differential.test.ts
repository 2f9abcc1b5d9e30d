// The route evaluator (src/route/, what `meshc test` and `meshc explain route` answer with) agrees with real
// Envoy. fast-check generates routing scenarios (scenario.ts): small meshes over every match kind and action
// meshc emits, and requests drawn to hit and miss them. For each, meshc compiles the mesh, the evaluator
// predicts every request from the caller's compiled resources, and the caller's real Envoy sidecar serves the
// same requests to echo apps (run.ts); the verdicts must agree request by request. CI budget: a fixed seed,
// printed, at least 30 meshes meshc accepts and at least 500 requests; FC_SEED / FC_RUNS override. On failure the
// message names the seed, the scenario and the first disagreeing request with the evaluator's route trace.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { startHttpApp, type HttpApp } from "../apps/http-app.js";
import { requireEnvoy } from "../helpers/envoy.js";
import { runScenario } from "./run.js";
import { scenario } from "./scenario.js";

const CI_SEED = 15_2026;
const CI_RUNS = 34;

test("route evaluator = real Envoy, request by request (fast-check)", { timeout: 1_800_000 }, async (t) => {
  const envoyPath = requireEnvoy(t);
  if (!envoyPath) return;
  const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : CI_SEED;
  const runs = process.env.FC_RUNS ? Number(process.env.FC_RUNS) : CI_RUNS;
  console.log(`route differential: seed ${seed}, ${runs} scenarios (FC_SEED/FC_RUNS override)`);
  // Echo apps: service i, version v (up to 3 services x 2 versions), on ephemeral ports.
  const apps: HttpApp[][] = [];
  for (let i = 0; i < 3; i++) apps.push([await startHttpApp({ service: `svc${i}`, version: "v1", port: 0 }), await startHttpApp({ service: `svc${i}`, version: "v2", port: 0 })]);
  const echoPorts = apps.map((a) => a.map((x) => x.port));
  const stats = { scenarios: 0, accepted: 0, requests: 0, refusals: [] as string[] };
  let lastFailure: string | undefined;
  try {
    const details = await fc.check(
      fc.asyncProperty(scenario, async (s) => {
        const r = await runScenario(s, envoyPath, echoPorts);
        if (!lastFailure) {
          stats.scenarios++;
          if (r.accepted) stats.accepted++;
          else stats.refusals.push(r.refusal ?? "");
          stats.requests += r.requests;
        }
        if (r.failure) lastFailure = r.failure;
        return r.failure === undefined;
      }),
      { seed, numRuns: runs, endOnFailure: true },
    );
    console.log(`route differential: ${JSON.stringify({ ...stats, refusals: stats.refusals.length })}`);
    if (details.failed) {
      assert.fail(
        [
          `route evaluator != Envoy (seed ${details.seed}, path ${details.counterexamplePath}; replay with FC_SEED=${details.seed})`,
          lastFailure ?? String(details.errorInstance),
          `scenario: ${JSON.stringify(details.counterexample?.[0])}`,
        ].join("\n"),
      );
    }
    assert.ok(stats.accepted >= 30, `only ${stats.accepted} of ${stats.scenarios} meshes were accepted by meshc (seed ${seed}); refusals:\n${stats.refusals.slice(0, 5).join("\n---\n")}`);
    assert.ok(stats.requests >= 500, `only ${stats.requests} requests compared (seed ${seed})`);
  } finally {
    for (const a of apps.flat()) await a.close();
  }
});
