// Resource names and stats tags of meshc's telemetry. Names are part of the output contract like names.ts:
//
//   Listener  prometheus|<port>                the sidecar's Prometheus endpoint (GET /stats/prometheus)
//   Cluster   prometheus|admin                 that endpoint's way to the admin interface on 127.0.0.1
//             otlp|<service>|<port>            an OTLP/gRPC collector declared as a mesh service
//             otlp|<host>|<port>               an OTLP/gRPC collector given as an address
// A cluster whose name has a "." gets alt_stat_name, the name with "_" for each "." (clusterStatName), so that its
// stats (and envoy_cluster_name) carry the whole name: Envoy's default tags cut a cluster name at its first ".".
//
// The stats tags turn parts of meshc's stat names into Prometheus labels (bootstrap stats_config.stats_tags: the
// first capture group is cut from the metric name, the second is the label value):
//   cluster.outbound|<port>|<subset>|<service>.<stat>   -> port, destination_subset, destination_service
//   cluster.inbound|<port>.<stat>                        -> port
//   vhost.<service>:<port>.route.<route>.<stat>          -> destination_service, port, route (the route's name)
//   …_rq_<code>                                          -> response_code
// plus a fixed `source_service` (the service whose sidecar reports the stat). So
//   sum by (destination_service, response_code) (envoy_cluster_upstream_rq)
// needs no regex in PromQL.

/**
 * The name a cluster's stats go by (Cluster.alt_stat_name) when its own name would not survive Envoy's stats tags:
 * Envoy's default `envoy.cluster_name` tag ends the cluster name at its first "." (`^cluster\.((.*?)\.)`), so a
 * cluster named after an address (`otlp|10.0.9.1|4317`) or a subset with a dot (`outbound|80|v1.2|api`) would lose
 * its tail to the metric's name (envoy_cluster_0_9_1_4317_upstream_rq). Each "." becomes "_"
 * (`otlp|10_0_9_1|4317`, `outbound|80|v1_2|api`): the label is then the whole name, with "_" for ".".
 * Undefined for a name without ".": its stats already carry it. Service names are DNS labels (no "."), so only
 * subsets and collector hosts need one.
 */
export function clusterStatName(name: string): string | undefined {
  return name.includes(".") ? name.replaceAll(".", "_") : undefined;
}

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
  // A route's stat_prefix is its name, which may contain "." (names are letters, digits, "-", "_", "."); Envoy's
  // route stats (upstream_rq_*) have none, so the name runs to the last ".".
  { name: "route", regex: String.raw`^vhost\.[^.]+\.route\.((.+)\.)[^.]+$` },
  { name: "response_code", regex: String.raw`_rq(_(\d{3}))$` },
];
