// MESH0402 RetryNonIdempotent: retrying after the upstream may have processed a request (5xx, gateway-error,
// reset, retriable-4xx, listed status codes, gRPC cancelled/deadline-exceeded/internal, …) repeats its side
// effects when the method is not idempotent. Conditions that fire before the request reached the application are
// safe: connect-failure, refused-stream, reset-before-request, envoy-ratelimited, and gRPC unavailable and
// resource-exhausted. A route can match a non-idempotent method when it has no method match, lists POST, PATCH
// or any method outside GET HEAD OPTIONS TRACE PUT DELETE, or is gRPC (always POST).
import type { HttpRouteIR, RetryIR, ServiceIR } from "../../ir/types.js";
import type { Analyzer } from "../context.js";
import { listing, q } from "../format.js";
import { retrySites } from "../retry-policy.js";

const SAFE_ON = new Set(["connect-failure", "refused-stream", "reset-before-request", "envoy-ratelimited"]);
const SAFE_GRPC = new Set(["unavailable", "resource-exhausted"]);
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

export const retryIdempotency: Analyzer = {
  name: "retry-idempotency",
  codes: ["RetryNonIdempotent"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      if (s.ports.length > 0 && s.ports.every((p) => p.protocol === "tcp")) continue; // HTTP retries never apply
      for (const site of retrySites(s, ctx.ir.source)) {
        if (!site.retry || !site.ownRetry || site.routes.length === 0) continue; // inherited: reported once, at the policy
        const conditions = unsafeConditions(site.retry);
        if (conditions.length === 0) continue;
        const methods = site.routes.map((r) => nonIdempotentMethods(s, r)).find((m) => m !== undefined);
        if (methods === undefined) continue;
        ctx.report("RetryNonIdempotent", site.at, site.retryPath, {
          where: site.where,
          conditions: listing(conditions),
          methods,
        });
      }
    }
  },
};

export function unsafeConditions(r: RetryIR): string[] {
  // Bare retriable-status-codes retries only the codes the request itself names (x-envoy-retriable-status-codes).
  const out = r.on.filter((c) => !SAFE_ON.has(c) && !(c === "retriable-status-codes" && r.statusCodes.length === 0)).map(q);
  if (r.statusCodes.length > 0 && !r.on.includes("retriable-status-codes")) out.push(`status ${r.statusCodes.join(", ")}`);
  out.push(...r.grpcCodes.filter((c) => !SAFE_GRPC.has(c)).map((c) => `gRPC ${q(c)}`));
  return out;
}

/** How the route can match non-idempotent requests, or undefined if it cannot. `r` undefined: the catch-all. */
function nonIdempotentMethods(s: ServiceIR, r: HttpRouteIR | undefined): string | undefined {
  const grpcOnly = s.ports.length > 0 && s.ports.every((p) => p.protocol === "grpc");
  if (r?.match.grpc || grpcOnly) return "gRPC calls (always POST)";
  const methods = r?.match.methods ?? [];
  if (methods.length === 0) return "requests of any method, POST and PATCH included";
  const bad = [...new Set(methods.map((m) => m.toUpperCase()))].filter((m) => !IDEMPOTENT.has(m));
  return bad.length ? `${listing(bad)} requests` : undefined;
}
