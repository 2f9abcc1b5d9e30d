// Prometheus metrics of the xDS server, registered on the registry the caller injects (the admin server exposes it).
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export interface XdsMetrics {
  connected: Gauge<"api">;
  pushes: Counter<"type">;
  nacks: Counter<"type">;
  pushAck: Histogram<"type">;
  /** NACKs by the proxy's service and resource type. */
  nacksByService: Counter<"service" | "type">;
  /** Open TCP connections on the xDS port. */
  connections: Gauge;
  /** Connections closed by the server before any stream: over the limit, no HTTP/2 preface in time, not HTTP/2. */
  connectionsRefused: Counter<"reason">;
  /** New ADS streams refused: rate limit (optional token bucket), initial-sync queue full, or shutting down. */
  streamsRefused: Counter<"reason">;
  /** Requests that ended their stream for what they carried: undecodable, node too large, too many names. */
  requestsRejected: Counter<"reason">;
  /** Streams closed because their client stopped reading (unflushed responses, no progress). */
  stalledStreams: Counter;
  /** Responses larger than the clients' receive limit, by type (sent anyway, but never silently). */
  oversizedResponses: Counter<"type">;
  /** New ADS streams in their initial sync (holding an admission slot) and waiting for one (./admission.ts). */
  admission: Gauge<"state">;
  /** Proxies of a service with locality variants whose node.locality matched none (they got the default), issue 13. */
  localityFallbacks: Counter<"service">;
}

export function createXdsMetrics(registry: Registry): XdsMetrics {
  // Reuse metrics already on the registry so two servers (tests, restarts in one process) can share it.
  const existing = <M>(name: string): M | undefined => registry.getSingleMetric(name) as M | undefined;
  const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
    existing<Counter<L>>(name) ?? new Counter({ name, help, labelNames, registers: [registry] });
  return {
    connected:
      existing<Gauge<"api">>("xds_connected_proxies") ??
      new Gauge({ name: "xds_connected_proxies", help: "Connected ADS streams, by API (sotw, delta)", labelNames: ["api"], registers: [registry] }),
    pushes:
      existing<Counter<"type">>("xds_pushes_total") ??
      new Counter({ name: "xds_pushes_total", help: "xDS responses sent, by resource type", labelNames: ["type"], registers: [registry] }),
    nacks:
      existing<Counter<"type">>("xds_nacks_total") ??
      new Counter({ name: "xds_nacks_total", help: "NACKs received (error_detail set), by resource type", labelNames: ["type"], registers: [registry] }),
    pushAck:
      existing<Histogram<"type">>("xds_push_ack_seconds") ??
      new Histogram({
        name: "xds_push_ack_seconds",
        help: "Time from sending an xDS response to its ACK, by resource type",
        labelNames: ["type"],
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [registry],
      }),
    nacksByService:
      existing<Counter<"service" | "type">>("meshc_xds_nacks_total") ??
      new Counter({ name: "meshc_xds_nacks_total", help: "NACKs received, by the proxy's service and resource type", labelNames: ["service", "type"], registers: [registry] }),
    connections:
      existing<Gauge>("xds_connections") ?? new Gauge({ name: "xds_connections", help: "Open TCP connections on the xDS port", registers: [registry] }),
    connectionsRefused: counter(
      "xds_connections_refused_total",
      "Connections closed before any stream, by reason (limit, handshake_timeout, not_http2)",
      ["reason"],
    ),
    streamsRefused: counter("xds_streams_refused_total", "New ADS streams refused, by reason (rate_limit, sync_limit, shutting_down: UNAVAILABLE; version_skew: FAILED_PRECONDITION, R15)", ["reason"]),
    requestsRejected: counter(
      "xds_requests_rejected_total",
      "Requests that ended their stream, by reason (undecodable, node_too_large, too_many_names)",
      ["reason"],
    ),
    stalledStreams: counter("xds_stalled_streams_closed_total", "Streams closed because the client stopped reading", []),
    oversizedResponses: counter("xds_oversized_responses_total", "Responses larger than the clients' receive limit, by resource type", ["type"]),
    admission:
      existing<Gauge<"state">>("xds_streams_admission") ??
      new Gauge({ name: "xds_streams_admission", help: "New ADS streams in their initial sync (state=syncing) and waiting for a slot (state=waiting)", labelNames: ["state"], registers: [registry] }),
    localityFallbacks: counter(
      "meshc_xds_locality_fallback_total",
      "Proxies bound to their service's default snapshot because their node.locality is none the service declares (its EDS priorities then follow the failover list as written)",
      ["service"],
    ),
  };
}

const children = new WeakMap<object, Map<string, unknown>>();

/**
 * The metric's child for one label value, made once: `inc({ type })` / `observe({ type }, v)` hash the label object
 * on every call, which a full sync does for every response and every ACK. (Children stay valid as long as nothing
 * resets the metric; the xDS metrics are never reset.)
 */
export function labelled<C>(metric: { labels(...values: string[]): C }, value: string): C {
  let byValue = children.get(metric);
  if (!byValue) children.set(metric, (byValue = new Map()));
  let c = byValue.get(value) as C | undefined;
  if (c === undefined) byValue.set(value, (c = metric.labels(value)));
  return c;
}
