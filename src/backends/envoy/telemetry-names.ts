// Resource names and stats tags of meshc's telemetry. Names are part of the output contract like names.ts:
//
//   Listener  prometheus|<port>                the sidecar's Prometheus endpoint (GET /stats/prometheus)
//   Cluster   prometheus|admin                 that endpoint's way to the admin interface on 127.0.0.1
//             otlp|<service>|<port>            an OTLP/gRPC collector declared as a mesh service
//             otlp|<host>|<port>               an OTLP/gRPC collector given as an address
//
// The stats tags turn parts of meshc's stat names into Prometheus labels (bootstrap stats_config.stats_tags: the
// first capture group is cut from the metric name, the second is the label value):
//   cluster.outbound|<port>|<subset>|<service>.<stat>   -> port, destination_subset, destination_service
//   cluster.inbound|<port>.<stat>                        -> port
//   vhost.<service>:<port>.route.<route>.<stat>          -> destination_service, port, route
//   …_rq_<code>                                          -> response_code
// plus a fixed `source_service` (the service whose sidecar reports the stat). So
//   sum by (destination_service, response_code) (envoy_cluster_upstream_rq)
// needs no regex in PromQL.

export const PROMETHEUS_ADMIN_CLUSTER = "prometheus|admin";

export function prometheusListenerName(port: number): string {
  return `prometheus|${port}`;
}

export function collectorClusterName(hostOrService: string, port: number): string {
  return `otlp|${hostOrService}|${port}`;
}

export interface StatsTag {
  name: string;
  regex: string;
}

/** Regex stats tags, in the order Envoy applies them (each sees the whole stat name). */
export const STATS_TAGS: readonly StatsTag[] = [
  { name: "destination_service", regex: String.raw`^(?:cluster\.outbound\|\d+\|[^|]*\||vhost\.)(([a-z0-9-]+)[.:])` },
  { name: "destination_subset", regex: String.raw`^cluster\.outbound\|\d+\|(([^|]*)\|)` },
  { name: "port", regex: String.raw`^(?:cluster\.(?:inbound|outbound)\||vhost\.[a-z0-9-]+:)((\d+)[|.])` },
  { name: "route", regex: String.raw`^vhost\.[^.]+\.route\.(([^.]+)\.)` },
  { name: "response_code", regex: String.raw`_rq(_(\d{3}))$` },
];
