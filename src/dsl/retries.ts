// Ready-made retry policies. `istioRetries` is the policy Istio applies to every HTTP route that sets none, so
// teams moving from Istio can keep that behaviour with one line: `defineMesh({ ..., defaults: { retries:
// istioRetries } }, ...)`. meshc itself retries nothing unless asked (see docs/dsl.md, "Retries by default").
import type { RetryOptions } from "./types.js";

/**
 * Istio's default retry policy (pilot's retry.DefaultPolicy): 2 retries on connect-failure, refused-stream,
 * gRPC unavailable and cancelled, and retriable-status-codes (the codes a request names in
 * `x-envoy-retriable-status-codes`); retries go to hosts not tried yet (previous_hosts) with up to 5
 * host-selection attempts.
 */
export const istioRetries: RetryOptions = Object.freeze({
  attempts: 2,
  on: Object.freeze(["connect-failure", "refused-stream", "retriable-status-codes"] as const),
  grpcCodes: Object.freeze(["unavailable", "cancelled"] as const),
  otherHosts: true,
  hostSelectionAttempts: 5,
});
