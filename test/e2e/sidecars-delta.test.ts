// End-to-end scenario 4: scenario 1 again with `meshc run --delta` (DELTA_GRPC bootstraps). Ports 19450-19499.
import { test } from "node:test";
import { requireEnvoy } from "../helpers/envoy.js";
import { sidecarScenario } from "./lib/sidecar-scenario.js";

test("e2e scenario 4 (Delta): sidecars route, split shifts on edit without restart or failure, retries, fault abort, timeout", { timeout: 120_000 }, async (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  await sidecarScenario(t, { base: 19450, delta: true, envoy });
});
