// OpenTelemetry tracing of a sidecar's HTTP connection managers: spans go over OTLP/gRPC to the mesh's collector
// (a cluster from telemetry-resources.ts), with W3C trace context (`traceparent`/`tracestate`, the OpenTelemetry
// tracer's propagation), custom tags from request headers and the caller's route name on every outbound span
// (decorator, and a `route` tag read from route metadata).
//
// Who decides sampling: the OpenTelemetry tracer's own sampler, parent-based: a request with a `traceparent` keeps
// its sampled flag (a trace started upstream keeps its mesh spans, and every hop of a sampled trace is sampled);
// one without starts a new trace, sampled when its trace id falls in samplePercent (trace_id_ratio_based). Envoy's
// own decision is off (UuidRequestIdConfig.use_request_id_for_trace_sampling false, pack_trace_reason false,
// client_sampling 0): left on, it is the x-request-id's trace-reason nibble, `x-client-trace-id` (client_sampling,
// 100 % by default) and `x-envoy-force-trace`, which any caller can send to get every request traced, while a
// sampled `traceparent` is ignored. At 0 % the sampler is trace_id_ratio_based 0 alone: no spans, whatever the
// request carries.
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
        sampler: sampler(t.samplePercent),
      }),
    },
    // Not read while use_request_id_for_trace_sampling is false; 0 so that x-client-trace-id could force nothing
    // even if it were.
    client_sampling: { value: 0 },
    custom_tags: [ROUTE_TAG, ...t.tagsFromHeaders.map((x) => ({ tag: x.tag, request_header: { name: x.header } }))],
  };
}

/** The tracer's sampler for a samplePercent (see the top of this file). */
function sampler(percent: number) {
  const ratio = {
    name: "envoy.tracers.opentelemetry.samplers.trace_id_ratio_based",
    typed_config: pack("envoy.extensions.tracers.opentelemetry.samplers.v3.TraceIdRatioBasedSamplerConfig", { sampling_percentage: fractionalPercent(percent) }),
  };
  if (percent === 0) return ratio;
  return {
    name: "envoy.tracers.opentelemetry.samplers.parent_based",
    typed_config: pack("envoy.extensions.tracers.opentelemetry.samplers.v3.ParentBasedSamplerConfig", { wrapped_sampler: ratio }),
  };
}

/**
 * The request-id extension of a connection manager that traces: x-request-id carries no trace decision (neither
 * read nor written), so a caller cannot force sampling with it; it stays the request's id (access-log sampling
 * and the request_id field still use it).
 */
export function tracingRequestIdExtension(): NonNullable<HttpConnectionManager["request_id_extension"]> {
  return {
    typed_config: pack("envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig", {
      pack_trace_reason: { value: false },
      use_request_id_for_trace_sampling: { value: false },
    }),
  };
}

/**
 * Per-route span name (decorator) and the route's name as route metadata, which the connection manager's `route`
 * custom tag reads. No route-level `tracing` block: with the tracer's sampler deciding (above), Envoy 1.40 reads no
 * route-level percentage, so a route's traceSampling has no effect (MESH0426) and is not emitted.
 */
export function routeTracing(r: Pick<HttpRouteIR, "name">, _untraced = false): Pick<Route, "decorator" | "metadata"> {
  return {
    decorator: { operation: r.name },
    metadata: { filter_metadata: { meshc: struct([["route", r.name]]) } },
  };
}

/** The `route` span tag: the matched route's name from its metadata (set by routeTracing). */
const ROUTE_TAG = { tag: "route", metadata: { kind: { route: {} }, metadata_key: { key: "meshc", path: [{ key: "route" }] } } };

export type { CollectorIR };
