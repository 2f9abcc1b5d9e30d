// HTTP filters of the connection managers, in Envoy's order of execution: fault injection, then local rate
// limiting, then the router, which must be last. The outbound listener carries fault and local_ratelimit as
// inert placeholders whose behaviour each route switches on through typed_per_filter_config, so the listener
// (shared by every sidecar with the same outbound port) never changes when a route's fault or limit does.
// Inbound, a service's own rate limit applies to everything its sidecar accepts.
import type { FaultIR, RateLimitIR, ServiceIR } from "../../ir/types.js";
import { pack } from "./api/codec.js";
import type { Flavor } from "./clusters.js";
import { FILTER } from "./names.js";
import { duration, fractionalPercent, u32 } from "./values.js";
import type { HTTPFault, HttpFilter, LocalRateLimit, Route } from "./xds-types.js";

const router = (): HttpFilter => ({ name: FILTER.router, typed_config: pack("envoy.extensions.filters.http.router.v3.Router", {}) });

/**
 * Outbound filters. A proxyless gRPC client implements fault and router but not local_ratelimit (an unknown
 * non-optional filter would be NACKed), so its connection managers omit the limiter and its routes' limits.
 */
export function outboundHttpFilters(flavor: Flavor): HttpFilter[] {
  const filters: HttpFilter[] = [{ name: FILTER.fault, typed_config: pack("envoy.extensions.filters.http.fault.v3.HTTPFault", {}) }];
  if (flavor === "sidecar") {
    // No token bucket here: the filter does nothing unless a route's typed_per_filter_config brings one.
    filters.push({ name: FILTER.localRateLimit, typed_config: pack("envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit", { stat_prefix: "outbound_rate_limit" }) });
  }
  filters.push(router());
  return filters;
}

/** Inbound filters: the service's own token bucket (when it has one), then the router. */
export function inboundHttpFilters(service: ServiceIR): HttpFilter[] {
  const filters: HttpFilter[] = [];
  if (service.rateLimit) {
    filters.push({
      name: FILTER.localRateLimit,
      typed_config: pack("envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit", localRateLimit(service.rateLimit, "inbound_rate_limit")),
    });
  }
  filters.push(router());
  return filters;
}

export function localRateLimit(rl: RateLimitIR, statPrefix: string): LocalRateLimit {
  const always = { default_value: fractionalPercent(100) };
  return {
    stat_prefix: statPrefix,
    token_bucket: { max_tokens: rl.maxTokens, tokens_per_fill: u32(rl.tokensPerFill), fill_interval: duration(rl.fillIntervalMs) },
    // Both default to 0 % "for safety": a configured limit is meant to be enforced on every request.
    filter_enabled: always,
    filter_enforced: always,
  };
}

export function httpFault(f: FaultIR): HTTPFault {
  const out: HTTPFault = {};
  if (f.delay) out.delay = { fixed_delay: duration(f.delay.ms), percentage: fractionalPercent(f.delay.percent) };
  if (f.abort) {
    const code = f.abort.grpcStatus !== undefined ? { grpc_status: f.abort.grpcStatus } : { http_status: f.abort.httpStatus ?? 503 };
    out.abort = { ...code, percentage: fractionalPercent(f.abort.percent) };
  }
  return out;
}

/** A route's fault and rate limit, as per-filter overrides of the placeholders above. */
export function routeFilterConfig(
  route: { fault?: FaultIR; rateLimit?: RateLimitIR },
  flavor: Flavor,
  statPrefix: string,
): Route["typed_per_filter_config"] {
  const out: NonNullable<Route["typed_per_filter_config"]> = {};
  if (route.fault) out[FILTER.fault] = pack("envoy.extensions.filters.http.fault.v3.HTTPFault", httpFault(route.fault));
  if (route.rateLimit && flavor === "sidecar") {
    out[FILTER.localRateLimit] = pack("envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit", localRateLimit(route.rateLimit, statPrefix));
  }
  return Object.keys(out).length ? out : undefined;
}
