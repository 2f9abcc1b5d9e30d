// Outbound TCP: each TCP port of each called upstream gets its own listener on 127.0.0.1:<local port>, proxied
// with tcp_proxy to the upstream's cluster (or split across clusters per the upstream's tcpRoute), with the
// route's idle timeout. Connect timeouts live on the clusters.
//
// Local ports come from `sidecar.tcpOutbound["<service>:<port name>"]`. Without an entry the default is
// outboundPort + 1, + 2, … handed out in (service, port name) order, skipping every port the sidecar already binds
// (inbound ports, admin, outbound HTTP, explicit tcpOutbound entries). Defaults shift when the set of TCP upstreams
// changes, so meshes whose apps hard-code these ports should set them explicitly.
import type { PortIR, ServiceIR } from "../../ir/types.js";
import type { EnvoyIssue } from "./api/issues.js";
import { pack } from "./api/codec.js";
import { type ClusterRef, clusterRefName } from "./clusters.js";
import { PLAINTEXT_CHAIN } from "./listeners-inbound.js";
import { backendPort, isHttpFamily, type MeshIndex, tcpPorts } from "./model.js";
import { FILTER, outboundTcpListenerName, statPrefix, tcpOutboundKey } from "./names.js";
import { integerWeights } from "./routes.js";
import { duration, socketAddress } from "./values.js";
import type { Listener, TcpProxy } from "./xds-types.js";

export interface TcpUpstream {
  upstream: ServiceIR;
  port: PortIR;
  localPort: number;
}

/**
 * The TCP upstream ports of `caller`, each with its local port. A service reached only as a split backend of
 * another upstream's TCP route (redis-next behind redis) gets no listener of its own unless tcpOutbound names it:
 * the app connects to the routed upstream, and the split happens in that upstream's tcp_proxy.
 */
export function tcpUpstreams(caller: ServiceIR, upstreams: ServiceIR[]): TcpUpstream[] {
  const sc = caller.sidecar;
  const splitOnly = new Set(upstreams.flatMap((u) => (u.tcpRoute?.backends ?? []).map((b) => b.service).filter((s) => s !== u.name)));
  const pairs = upstreams
    .flatMap((u) => tcpPorts(u).map((p) => ({ upstream: u, port: p, key: tcpOutboundKey(u.name, p.name) })))
    .filter((x) => !splitOnly.has(x.upstream.name) || sc.tcpOutbound[x.key] !== undefined);
  pairs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const taken = new Set<number>([sc.outboundPort, sc.adminPort, ...caller.ports.map((p) => p.port), ...Object.values(sc.tcpOutbound)]);
  let next = sc.outboundPort + 1;
  return pairs.map(({ upstream, port, key }) => {
    let localPort = sc.tcpOutbound[key];
    if (localPort === undefined) {
      while (taken.has(next)) next++;
      localPort = next++;
    }
    return { upstream, port, localPort };
  });
}

export interface TcpListenerBuild {
  listener: Listener;
  refs: ClusterRef[];
  issues: EnvoyIssue[];
}

export function buildTcpListener(mesh: MeshIndex, t: TcpUpstream): TcpListenerBuild {
  const refs: ClusterRef[] = [];
  const issues: EnvoyIssue[] = [];
  const name = outboundTcpListenerName(t.localPort, t.upstream.name);
  const route = t.upstream.tcpRoute;
  const backends = (route?.backends ?? [{ service: t.upstream.name, weight: 100 }]).flatMap((b) => {
    const svc = mesh.service(b.service);
    const p = svc && (b.port !== undefined ? svc.ports.find((x) => x.name === b.port && !isHttpFamily(x)) : backendPort(svc, t.port));
    if (!svc || !p) {
      issues.push({ resource: `Listener ${JSON.stringify(name)}`, path: "", message: `TCP backend "${b.service}" ${svc ? "has no TCP port" : "is not a service of this mesh"}; skipped` });
      return [];
    }
    const ref: ClusterRef = b.subset !== undefined ? { service: svc, port: p, subset: b.subset } : { service: svc, port: p };
    refs.push(ref);
    return [{ name: clusterRefName(ref), weight: b.weight }];
  });
  const tcp: TcpProxy = { stat_prefix: statPrefix("outbound", t.localPort, t.upstream.name) };
  if (backends.length === 1) tcp.cluster = backends[0]!.name;
  else if (backends.length > 1) {
    const weights = integerWeights(backends.map((b) => b.weight));
    tcp.weighted_clusters = { clusters: backends.map((b, i) => ({ name: b.name, weight: weights[i]! })) };
  }
  // Consistent hashing on TCP can only hash the source address; without a hash policy ring hash/maglev pick at random.
  const lb = t.upstream.policy.loadBalancer;
  if ((lb.kind === "ring-hash" || lb.kind === "maglev") && lb.hashOn.some((k) => k.kind === "source-ip")) tcp.hash_policy = [{ source_ip: {} }];
  const idle = route?.idleTimeoutMs ?? t.upstream.policy.idleTimeoutMs;
  if (idle !== undefined) tcp.idle_timeout = duration(idle);
  const listener: Listener = {
    name,
    address: socketAddress("127.0.0.1", t.localPort),
    traffic_direction: "OUTBOUND",
    filter_chains: [{ name: PLAINTEXT_CHAIN, filters: [{ name: FILTER.tcpProxy, typed_config: pack("envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy", tcp) }] }],
  };
  return { listener, refs, issues };
}
