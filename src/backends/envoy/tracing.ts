// OpenTelemetry tracing of a sidecar's HTTP connection managers: spans go over OTLP/gRPC to the mesh's collector
// (a cluster from telemetry-resources.ts), sampled at the tracing samplePercent, with W3C trace context
// (`traceparent`/`tracestate`, the OpenTelemetry tracer's propagation), custom tags from request headers and the
// caller's route name on every outbound span (decorator, and a `route` tag read from route metadata), plus
// per-route sampling.
import type { CollectorIR, HttpRouteIR, ServiceIR } from "../../ir/types.js";
import { pack } from "./api/codec.js";
import { collectorTarget } from "./telemetry-resources.js";
import type { HttpConnectionManager, Route } from "./xds-types.js";
import { fractionalPercent } from "./values.js";
import { struct } from "./access-log.js";
import type { MeshIndex } from "./model.js";

export function buildTracing(mesh: MeshIndex, svc: ServiceIR): HttpConnectionManager["tracing"] | undefined {
  const t = svc.telemetry?.tracing;
  if (!t) return undefined;
  const target = collectorTarget(mesh, t.collector);
  if (!target) return undefined;
  return {
    provider: {
      name: "envoy.tracers.opentelemetry",
      typed_config: pack("envoy.config.trace.v3.OpenTelemetryConfig", {
        grpc_service: { envoy_grpc: { cluster_name: target.cluster, authority: target.authority }, timeout: { seconds: 1 } },
        service_name: svc.name,
      }),
    },
    random_sampling: { value: t.samplePercent },
    // 0 % means no spans at all from this sidecar, whatever the request carries (x-request-id trace status,
    // a sampled traceparent): overall_sampling applies after every other decision.
    ...(t.samplePercent === 0 && { overall_sampling: { value: 0 } }),
    custom_tags: [ROUTE_TAG, ...t.tagsFromHeaders.map((x) => ({ tag: x.tag, request_header: { name: x.header } }))],
  };
}

/**
 * Per-route span name (decorator) and the route's name as route metadata, which the connection manager's `route`
 * custom tag reads. A route-level `tracing` block only when the route sets its own sampling: Envoy's route-level
 * percentages replace the connection manager's (each unset one counts as 100 %), so an empty block would sample
 * every request whatever the caller's samplePercent.
 */
export function routeTracing(r: HttpRouteIR, untraced = false): Pick<Route, "decorator" | "tracing" | "metadata"> {
  return {
    decorator: { operation: r.name },
    metadata: { filter_metadata: { meshc: struct([["route", r.name]]) } },
    // Not for a caller at 0 %: its overall_sampling 0 would be replaced too (docs/dsl.md: 0 sends no spans at all).
    ...(r.traceSamplePercent !== undefined && !untraced && { tracing: { random_sampling: fractionalPercent(r.traceSamplePercent) } }),
  };
}

/** The `route` span tag: the matched route's name from its metadata (set by routeTracing). */
const ROUTE_TAG = { tag: "route", metadata: { kind: { route: {} }, metadata_key: { key: "meshc", path: [{ key: "route" }] } } };

export type { CollectorIR };
