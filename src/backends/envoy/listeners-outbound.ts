// Outbound HTTP: one listener on 127.0.0.1:<outboundPort> whose RDS route configuration holds a virtual host per
// reachable HTTP upstream port, matched by Host/:authority: `name`, `name.<mesh>` (for the upstream's first
// declared HTTP port), and `name:<port>`, `name.<mesh>:<port>` (for every HTTP port). The listener itself names only the route
// configuration, so it is the same resource in every sidecar with that outbound port.
import type { EgressMode, MeshIR, PortIR, ServiceIR } from "../../ir/types.js";
import { egressHttpFilters, egressLocalReply, externalDomains } from "./external.js";
import { corsHttpFilters } from "./cors.js";
import { pack } from "./api/codec.js";
import { outboundHttpFilters } from "./filters.js";
import { PLAINTEXT_CHAIN } from "./listeners-inbound.js";
import { defaultHttpPort } from "./model.js";
import { FILTER, outboundHttpListenerName, outboundRouteName, statPrefix } from "./names.js";
import { adsConfigSource, socketAddress } from "./values.js";
import type { Listener } from "./xds-types.js";

export function buildOutboundHttpListener(service: ServiceIR, egress?: EgressMode, cors = false): Listener {
  const port = service.sidecar.outboundPort;
  // CORS first (a preflight is answered before faults or limits apply), only in meshes that use it.
  const filters = [...corsHttpFilters(cors), ...outboundHttpFilters("sidecar")];
  // The egress filters go right before the router (the last filter).
  filters.splice(filters.length - 1, 0, ...egressHttpFilters(egress));
  const localReply = egressLocalReply(egress);
  const hcm = pack("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager", {
    stat_prefix: statPrefix("outbound", port),
    rds: { route_config_name: outboundRouteName(port), config_source: adsConfigSource() },
    http_filters: filters,
    ...(localReply && { local_reply_config: localReply }),
  });
  return {
    name: outboundHttpListenerName(port),
    address: socketAddress("127.0.0.1", port),
    traffic_direction: "OUTBOUND",
    filter_chains: [{ name: PLAINTEXT_CHAIN, filters: [{ name: FILTER.hcm, typed_config: hcm }] }],
  };
}

/** Host/:authority names a caller may use for `upstream` on `port`. */
export function upstreamDomains(mesh: MeshIR, upstream: ServiceIR, port: PortIR): string[] {
  const n = upstream.name;
  const withPort = [`${n}:${port.port}`, `${n}.${mesh.name}:${port.port}`];
  const isDefault = defaultHttpPort(upstream)?.name === port.name;
  // An external service also answers to the hosts it was declared with (issue 13).
  const external = externalDomains(upstream, port, isDefault);
  return isDefault ? [n, `${n}.${mesh.name}`, ...withPort, ...external] : [...withPort, ...external];
}
