// Prometheus metrics of the xDS server, registered on the registry the caller injects (the admin server exposes it).
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export interface XdsMetrics {
  connected: Gauge<"api">;
  pushes: Counter<"type">;
  nacks: Counter<"type">;
  pushAck: Histogram<"type">;
  /** NACKs by the proxy's service and resource type. */
  nacksByService: Counter<"service" | "type">;
}

export function createXdsMetrics(registry: Registry): XdsMetrics {
  // Reuse metrics already on the registry so two servers (tests, restarts in one process) can share it.
  const existing = <M>(name: string): M | undefined => registry.getSingleMetric(name) as M | undefined;
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
  };
}
