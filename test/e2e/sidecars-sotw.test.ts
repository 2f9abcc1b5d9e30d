// End-to-end scenario 1: real Envoy sidecars (meshc run, state-of-the-world ADS) for web, echo and flaky against
// `meshc serve`: routing, a weighted split moved by editing mesh.ts, retries, fault injection, a timeout.
// Ports 19400-19449. See lib/sidecar-scenario.ts.
import { test } from "node:test";
import { requireEnvoy } from "../helpers/envoy.js";
import { sidecarScenario } from "./lib/sidecar-scenario.js";

test("e2e scenario 1 (SotW): sidecars route, split shifts on edit without restart or failure, retries, fault abort, timeout", { timeout: 120_000 }, async (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  await sidecarScenario(t, { base: 19400, delta: false, envoy });
});
