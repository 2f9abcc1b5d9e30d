// Snapshot consistency, after go-control-plane's Snapshot.Consistent(): every EDS cluster has its
// ClusterLoadAssignment and every RDS name a listener uses has its RouteConfiguration, within one proxy's
// snapshot. Also checked, because Envoy would otherwise answer 503 NC at run time: every cluster a route or
// tcp_proxy names exists. Works on any ProxySnapshot (canonical forms come from the encoder's side table or are
// decoded), so the xDS server can run it on snapshots read from a build directory too.
import type { ProxySnapshot } from "../../snapshot/types.js";
import type { Canonical, CanonicalValue } from "./api/canonical.js";
import type { EnvoyIssue } from "./api/issues.js";
import { typeUrl } from "./api/registry.js";
import { canonicalOf, resourceLabel } from "./encode.js";

const HCM = typeUrl("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager");
const TCP_PROXY = typeUrl("envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy");

const list = (v: CanonicalValue | undefined): Canonical[] => (Array.isArray(v) ? (v as Canonical[]) : []);
const obj = (v: CanonicalValue | undefined): Canonical | undefined =>
  v !== undefined && typeof v === "object" && !Array.isArray(v) ? (v as Canonical) : undefined;

export function checkConsistency(proxy: ProxySnapshot): EnvoyIssue[] {
  const issues: EnvoyIssue[] = [];
  const names = (kind: "cluster" | "endpoint" | "route") => new Set(proxy.resources[kind].map((r) => r.name));
  const clusters = names("cluster");
  const endpoints = names("endpoint");
  const routes = names("route");
  const missing = (resource: string, path: string, what: string, name: string) =>
    issues.push({ resource, path, message: `proxy "${proxy.service}": ${what} "${name}" is not in its snapshot` });

  for (const r of proxy.resources.cluster) {
    const c = canonicalOf("cluster", r);
    if (c.type !== "EDS") continue;
    const eds = obj(c.eds_cluster_config);
    const want = (eds?.service_name as string | undefined) || r.name;
    if (!endpoints.has(want)) missing(resourceLabel("cluster", r.name), "eds_cluster_config", "ClusterLoadAssignment", want);
  }

  // Clusters named by a route table, inline (path prefix given) or by RDS.
  const checkRouteTable = (label: string, base: string, rc: Canonical) => {
    list(rc.virtual_hosts).forEach((vh, i) => {
      list(vh.routes).forEach((route, j) => {
        const action = obj(route.route);
        if (!action) return;
        const at = `${base}virtual_hosts[${i}].routes[${j}].route`;
        if (typeof action.cluster === "string" && !clusters.has(action.cluster)) missing(label, `${at}.cluster`, "Cluster", action.cluster);
        list(obj(action.weighted_clusters)?.clusters).forEach((w, k) => {
          const n = w.name as string;
          if (!clusters.has(n)) missing(label, `${at}.weighted_clusters.clusters[${k}]`, "Cluster", n);
        });
        list(action.request_mirror_policies).forEach((m, k) => {
          const n = m.cluster as string;
          if (n && !clusters.has(n)) missing(label, `${at}.request_mirror_policies[${k}]`, "Cluster", n);
        });
      });
    });
  };

  const checkNetworkFilter = (label: string, path: string, cfg: Canonical | undefined) => {
    if (!cfg) return;
    if (cfg["@type"] === HCM) {
      const rds = obj(cfg.rds);
      const name = rds?.route_config_name as string | undefined;
      if (rds && name !== undefined && !routes.has(name)) missing(label, `${path}.rds.route_config_name`, "RouteConfiguration", name);
      const inline = obj(cfg.route_config);
      if (inline) checkRouteTable(label, `${path}.route_config.`, inline);
    } else if (cfg["@type"] === TCP_PROXY) {
      if (typeof cfg.cluster === "string" && !clusters.has(cfg.cluster)) missing(label, `${path}.cluster`, "Cluster", cfg.cluster);
      list(obj(cfg.weighted_clusters)?.clusters).forEach((w, k) => {
        const n = w.name as string;
        if (!clusters.has(n)) missing(label, `${path}.weighted_clusters.clusters[${k}]`, "Cluster", n);
      });
    }
  };

  for (const r of proxy.resources.listener) {
    const l = canonicalOf("listener", r);
    const label = resourceLabel("listener", r.name);
    const chains: [string, Canonical][] = list(l.filter_chains).map((fc, i) => [`filter_chains[${i}]`, fc]);
    const dflt = obj(l.default_filter_chain);
    if (dflt) chains.push(["default_filter_chain", dflt]);
    for (const [at, fc] of chains) {
      list(fc.filters).forEach((f, k) => checkNetworkFilter(label, `${at}.filters[${k}].typed_config`, obj(f.typed_config)));
    }
    const api = obj(obj(l.api_listener)?.api_listener);
    if (api) checkNetworkFilter(label, "api_listener.api_listener", api);
  }

  for (const r of proxy.resources.route) checkRouteTable(resourceLabel("route", r.name), "", canonicalOf("route", r));
  return issues;
}
