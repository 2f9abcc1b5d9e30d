// Hooks that add telemetry to what the other builders produce, so they stay unaware of it: access logs and
// tracing on a sidecar's HTTP connection managers, per-route stats prefixes and span names in route tables,
// cluster metadata naming the upstream (for the access log's destination fields), and the extra resources
// (Prometheus listener and cluster, collector clusters of tracing and OpenTelemetry access logs). Access logs cover
// tcp_proxy filters too (inbound TCP ports and outbound TCP listeners). Proxyless gRPC clients get none of it (MESH0605).
import type { MeshIR, ServiceIR } from "../../ir/types.js";
import { buildAccessLogs, struct, type Direction } from "./access-log.js";
import type { ClusterRef } from "./clusters.js";
import type { MeshIndex } from "./model.js";
import { FILTER } from "./names.js";
import { buildCollectorCluster, buildPrometheusCluster, buildPrometheusListener, collectorTarget } from "./telemetry-resources.js";
import { buildTracing, routeTracing, tracingRequestIdExtension } from "./tracing.js";
import type { Cluster, HttpConnectionManager, Listener, TcpProxy, VirtualHost } from "./xds-types.js";

/** Mesh-wide switches for what shared resources (route tables, clusters) carry. */
export interface TelemetryFlags {
  /** Some sidecar serves metrics: routes get a stat_prefix (per-route stats with a `route` label). */
  metrics: boolean;
  /** Some sidecar traces: routes get a span name and a `route` tag. */
  tracing: boolean;
  /** Some sidecar logs: outbound clusters carry metadata naming their service and subset. */
  accessLog: boolean;
}

export function telemetryFlags(ir: MeshIR): TelemetryFlags {
  const on = (k: "metrics" | "tracing" | "accessLog") => ir.services.some((s) => !s.proxyless && s.telemetry?.[k] !== undefined);
  return { metrics: on("metrics"), tracing: on("tracing"), accessLog: on("accessLog") };
}

/** A key part for caches of resources that differ by the service's HCM telemetry ("" when it has none). */
export function hcmTelemetryKey(svc: ServiceIR): string {
  const t = svc.telemetry;
  return t && (t.accessLog || t.tracing) ? `|telemetry:${svc.name}` : "";
}

/**
 * Adds the service's access logs and tracing to every HttpConnectionManager of `listener`, and its access logs (the
 * TCP field set) to every tcp_proxy.
 */
export function withHcmTelemetry(listener: Listener, mesh: MeshIndex, svc: ServiceIR, direction: Direction): Listener {
  if (svc.proxyless || hcmTelemetryKey(svc) === "") return listener;
  const access_log = buildAccessLogs(mesh, svc, direction);
  const tcpLog = buildAccessLogs(mesh, svc, direction, "tcp");
  const tracing = buildTracing(mesh, svc);
  return {
    ...listener,
    filter_chains: listener.filter_chains?.map((fc) => ({
      ...fc,
      filters: fc.filters?.map((f) => {
        if (f.name === FILTER.tcpProxy && f.typed_config && tcpLog.length > 0) {
          return { ...f, typed_config: { ...(f.typed_config as TcpProxy & { "@type": string }), access_log: tcpLog } };
        }
        if (f.name !== FILTER.hcm || !f.typed_config) return f;
        const hcm = f.typed_config as HttpConnectionManager & { "@type": string };
        // The request-id extension goes with tracing: it takes x-request-id out of the sampling decision (tracing.ts).
        return { ...f, typed_config: { ...hcm, ...(access_log.length > 0 && { access_log }), ...(tracing && { tracing, request_id_extension: tracingRequestIdExtension() }) } };
      }),
    })),
  };
}

/** Route stats prefixes (metrics) and span names, `route` tags and sampling (tracing) in a sidecar route table. */
/** `untraced`: the caller's samplePercent is 0, so no route of its may sample on its own (tracing.ts). */
export function withRouteTelemetry(vh: VirtualHost, upstream: ServiceIR, flags: TelemetryFlags, untraced = false): VirtualHost {
  if (!flags.metrics && !flags.tracing) return vh;
  const byName = new Map(upstream.routes.map((r) => [r.name, r]));
  return {
    ...vh,
    routes: vh.routes?.map((route) => {
      const name = route.name ?? "";
      const ir = byName.get(name) ?? { name, traceSamplePercent: undefined };
      return {
        ...route,
        // The route's own name, dots included: the `route` stats tag takes everything up to the stat's last "."
        // (telemetry-names.ts), so the label is the name logs and spans carry, and distinct names stay distinct.
        ...(flags.metrics && name && { stat_prefix: name }),
        ...(flags.tracing && name && routeTracing(ir as never, untraced)),
      };
    }),
  };
}

/** Outbound cluster metadata read by the access log (`%CLUSTER_METADATA(meshc:service)%`). */
export function withClusterMetadata(cluster: Cluster, ref: ClusterRef, flags: TelemetryFlags): Cluster {
  if (!flags.accessLog) return cluster;
  return {
    ...cluster,
    metadata: {
      filter_metadata: {
        meshc: struct([
          ["service", ref.service.name],
          ["subset", ref.subset ?? ""],
          ["port", String(ref.port.port)],
        ]),
      },
    },
  };
}

/** Listeners and clusters a sidecar's telemetry adds: the Prometheus endpoint and the tracing collector. */
export function telemetryResources(mesh: MeshIndex, svc: ServiceIR): { listeners: Listener[]; clusters: Cluster[] } {
  const out = { listeners: [] as Listener[], clusters: [] as Cluster[] };
  if (svc.proxyless || !svc.telemetry) return out;
  const l = buildPrometheusListener(svc);
  if (l) out.listeners.push(l);
  const c = buildPrometheusCluster(svc);
  if (c) out.clusters.push(c);
  // The tracing collector and the access-log collector (one cluster when they are the same).
  const d = svc.telemetry.accessLog?.destination;
  const targets = [svc.telemetry.tracing?.collector, d?.kind === "otel" ? d.collector : undefined].map((c) => c && collectorTarget(mesh, c));
  const seen = new Set<string>();
  for (const target of targets) {
    if (!target || seen.has(target.cluster)) continue;
    seen.add(target.cluster);
    out.clusters.push(buildCollectorCluster(target));
  }
  return out;
}
