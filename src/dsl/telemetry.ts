// Telemetry options of the DSL: access logs, Prometheus metrics and OpenTelemetry traces from every sidecar.
// `defineMesh({ telemetry })` sets them mesh-wide; `mesh.telemetry(service, ...)` overrides them per service,
// section by section (accessLog, metrics, tracing). Everything here is plain data (the model copies it as given).
import { hasBrand, PORT_REF, SERVICE_REF } from "./brand.js";
import type { PortRef, ServiceRef } from "./service.js";
import type { Duration, Percent, PortNumber } from "./types.js";

/**
 * Where an OTLP/gRPC collector is: a mesh service (its first grpc or http2 port, or the port given with
 * `svc.port("otlp")`) or an address `"host:port"` outside the mesh.
 */
export type Collector = ServiceRef | PortRef | `${string}:${number}`;

/** Where access-log lines go. */
export type AccessLogDestination =
  /** Envoy's standard output (the sidecar's log). */
  | "stdout"
  /** Append to this file; the path must be absolute. */
  | { file: string }
  /** Send each entry as an OpenTelemetry log record over OTLP/gRPC to this collector (a service or "host:port"). */
  | { otel: Collector };

/** Which requests are logged. Every given condition must hold (errorsOnly and slowerThan: either one). */
export interface AccessLogFilter {
  /** Only requests answered with a status of 400 or more, or that Envoy flagged (see response flags). @default false */
  errorsOnly?: boolean;
  /** Only requests that took at least this long. With errorsOnly, a request that is an error OR slow is logged. */
  slowerThan?: Duration;
  /** Log this share of the requests (decided on x-request-id, so every hop logs the same requests). @default 100 */
  samplePercent?: Percent;
}

export interface AccessLogOptions {
  /** `json`: one JSON object per line with the documented fields; `text`: the same fields space-separated. @default "json" */
  format?: "json" | "text";
  /** @default "stdout" */
  to?: AccessLogDestination;
  filter?: AccessLogFilter;
}

export interface MetricsOptions {
  /** Port of the sidecar's Prometheus endpoint (`http://<inboundAddress>:<port>/stats/prometheus`); sidecars sharing a host need distinct ones (MESH0204). @default 15090 */
  port?: PortNumber;
  /** Upper bounds (milliseconds) of the latency histograms' buckets. @default Envoy's (0.5 ms … 3,600,000 ms) */
  histogramBuckets?: readonly number[];
}

export interface TracingOptions {
  /** The OTLP/gRPC collector spans are sent to. */
  collector: Collector;
  /** Share of new traces that are sampled (a request that arrives with a sampled `traceparent` stays sampled). @default 100 */
  samplePercent?: Percent;
  /** Span tags taken from request headers: `{ "user.tier": "x-user-tier" }`. @default {} */
  tagsFromHeaders?: Readonly<Record<string, string>>;
}

/** Telemetry of the sidecars. Unset sections are off; `true` turns a section on with its defaults. */
export interface TelemetryOptions {
  accessLog?: AccessLogOptions | boolean;
  metrics?: MetricsOptions | boolean;
  tracing?: TracingOptions | false;
}

/** The model form of telemetry options: a collector reference becomes `{ service, port? }`; the rest as given. */
export function telemetryModel(options: unknown): unknown {
  if (options === null || typeof options !== "object") return options;
  const o = options as Record<string, unknown>;
  const out: Record<string, unknown> = { ...o };
  const accessLog = o.accessLog;
  if (accessLog !== null && typeof accessLog === "object") {
    const a = accessLog as Record<string, unknown>;
    const to = a.to;
    if (to !== null && typeof to === "object" && "otel" in to) out.accessLog = { ...a, to: { ...to, otel: collectorModel((to as { otel: unknown }).otel) } };
  }
  const tracing = o.tracing;
  if (tracing === null || typeof tracing !== "object") return out;
  const t = tracing as Record<string, unknown>;
  return { ...out, tracing: { ...t, collector: collectorModel(t.collector) } };
}

function collectorModel(c: unknown): unknown {
  if (hasBrand(c, SERVICE_REF)) return { service: (c as { name: string }).name };
  if (hasBrand(c, PORT_REF)) return { service: (c as { service: string }).service, port: (c as { port: string }).port };
  return c;
}
