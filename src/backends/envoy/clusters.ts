// Clusters: one per upstream port and per subset of it (`outbound|<port>|<subset>|<service>`), carrying the
// upstream's resilience policy: connect timeout, circuit breakers and retry budget, outlier detection, active
// health checks, load-balancing policy and, for http2/grpc ports, HTTP/2 to the upstream. Plus the `inbound|<port>`
// clusters that lead a sidecar to its local app.
import type { HealthCheckIR, LoadBalancerIR, PortIR, ServiceIR, UpstreamPolicyIR } from "../../ir/types.js";
import { pack } from "./api/codec.js";
import { clusterPolicy, endpointPort, isHttp2, isHttpFamily } from "./model.js";
import { HTTP_PROTOCOL_OPTIONS, inboundClusterName, outboundClusterName } from "./names.js";
import { proxylessUpstreamTlsSocket, upstreamMtls, upstreamTlsSocket } from "./tls.js";
import { adsConfigSource, duration, socketAddress, u32 } from "./values.js";
import { originationTlsSocket } from "./external.js";
import type { Cluster } from "./xds-types.js";
import { clusterStatName } from "./telemetry-names.js";

/** Who consumes a cluster: an Envoy sidecar, or a proxyless gRPC client (which NACKs some values Envoy accepts). */
export type Flavor = "sidecar" | "proxyless";

/** One outbound cluster: a service's port, optionally narrowed to a subset. */
export interface ClusterRef {
  service: ServiceIR;
  port: PortIR;
  subset?: string;
}

export function clusterRefName(ref: ClusterRef): string {
  return outboundClusterName(ref.service.name, ref.port.port, ref.subset);
}

/**
 * How the cluster finds its endpoints. Static instances: EDS over ADS. A DNS-named service: Envoy resolves it
 * (STRICT_DNS; LOGICAL_DNS for gRPC, which supports no other DNS type). A subset of a DNS service matches the name
 * only if it selects no labels; otherwise it is EDS with an empty assignment (a DNS name carries no labels).
 */
export function usesEds(ref: ClusterRef): boolean {
  const inst = ref.service.instances;
  if (inst.kind !== "dns") return true;
  if (ref.subset === undefined) return false;
  const def = ref.service.subsets.find((s) => s.name === ref.subset);
  return !def || Object.keys(def.labels).length > 0;
}

/**
 * Whether a caller of this flavor sends mTLS to the cluster: the upstream port accepts it and, for a proxyless
 * client, the client uses xDS security (its mtls is not "off"; MESH0502 reports it against a strict port).
 */
export function clusterMtls(ref: ClusterRef, flavor: Flavor, callerMtls: boolean): boolean {
  return upstreamMtls(ref.service, ref.port) && (flavor === "sidecar" || callerMtls);
}

/**
 * `leastRequest`: the proxyless caller's gRPC implementation implements least-request (the capability table,
 * src/proxyless/capabilities.ts: grpc-go); other proxyless callers get round robin for it.
 */
export function buildOutboundCluster(ref: ClusterRef, flavor: Flavor, mtls = false, leastRequest = false): Cluster {
  const name = clusterRefName(ref);
  // A subset's own cluster settings (mesh.policy(svc.subset(…))) replace the service's on its clusters.
  const policy = clusterPolicy(ref.service, ref.subset);
  const statName = flavor === "sidecar" ? clusterStatName(name) : undefined; // gRPC keeps no Envoy stats
  const cluster: Cluster = {
    name,
    ...(statName && { alt_stat_name: statName }),
    ...discovery(ref, flavor, name),
    // A TCP port's connect timeout may be set on the service's tcpRoute; everything else comes from its policy.
    connect_timeout: duration((!isHttpFamily(ref.port) && ref.service.tcpRoute?.connectTimeoutMs) || policy.connectTimeoutMs),
    lb_policy: lbPolicy(policy.loadBalancer, flavor, leastRequest),
  };
  const cb = circuitBreakers(policy);
  if (cb) cluster.circuit_breakers = cb;
  const od = outlierDetection(policy);
  if (od) cluster.outlier_detection = od;
  if (policy.healthCheck) cluster.health_checks = [healthCheck(policy.healthCheck, healthCheckHost(ref.service), ref.port)];
  // As Istio (minHealthPercent 0): hosts that are ejected or failing their health checks stay out even when that
  // leaves none, so callers get a fast 503 "no healthy upstream" (response flag UH) instead of Envoy's panic mode
  // (below 50 % healthy) sending to them anyway. (Kuma keeps Envoy's 50 % unless its healthyPanicThreshold says
  // otherwise; meshc has no such option, and its docs promise UH.)
  if ((od || policy.healthCheck) && flavor === "sidecar") cluster.common_lb_config = { healthy_panic_threshold: { value: 0 } };
  const proto = httpProtocolOptions(ref.port, policy.idleTimeoutMs);
  if (proto) cluster.typed_extension_protocol_options = proto;
  if (mtls) cluster.transport_socket = (flavor === "proxyless" ? proxylessUpstreamTlsSocket : upstreamTlsSocket)(ref.service, ref.port, ref.subset);
  else if (ref.service.external?.tls) cluster.transport_socket = originationTlsSocket(ref.service.external)!;
  return cluster;
}

function discovery(ref: ClusterRef, flavor: Flavor, name: string): Partial<Cluster> {
  const inst = ref.service.instances;
  if (usesEds(ref) || inst.kind !== "dns") {
    return { type: "EDS", eds_cluster_config: { eds_config: adsConfigSource() } };
  }
  return {
    type: flavor === "proxyless" ? "LOGICAL_DNS" : "STRICT_DNS",
    // Apps behind meshc commonly listen on IPv4 loopback/addresses only; AUTO would try AAAA first.
    dns_lookup_family: "V4_PREFERRED",
    load_assignment: {
      cluster_name: name,
      // The DNS port of this cluster's service port, by name (never by position).
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(inst.hostname, endpointPort(inst, ref.port) ?? 0) } }] }],
    },
  };
}

function lbPolicy(lb: LoadBalancerIR, flavor: Flavor, leastRequest: boolean): Cluster["lb_policy"] {
  if (flavor === "proxyless") {
    // grpc-go implements LEAST_REQUEST (gRFC A48, choice_count 2 by default); grpc-js-xds NACKs it.
    if (lb.kind === "least-request" && leastRequest) return "LEAST_REQUEST";
    // gRPC NACKs LEAST_REQUEST, RANDOM and MAGLEV as lb_policy values; ring hash is its one consistent hash (A42).
    return lb.kind === "ring-hash" || lb.kind === "maglev" ? "RING_HASH" : "ROUND_ROBIN";
  }
  switch (lb.kind) {
    case "round-robin":
      return "ROUND_ROBIN";
    case "least-request":
      return "LEAST_REQUEST";
    case "random":
      return "RANDOM";
    case "ring-hash":
      return "RING_HASH";
    case "maglev":
      return "MAGLEV";
  }
}

function circuitBreakers(policy: UpstreamPolicyIR): Cluster["circuit_breakers"] {
  const cb = policy.circuitBreaker;
  if (!cb) return undefined;
  type Thresholds = NonNullable<NonNullable<Cluster["circuit_breakers"]>["thresholds"]>[number];
  const t: Thresholds = {};
  if (cb.maxConnections !== undefined) t.max_connections = u32(cb.maxConnections);
  if (cb.maxPendingRequests !== undefined) t.max_pending_requests = u32(cb.maxPendingRequests);
  if (cb.maxRequests !== undefined) t.max_requests = u32(cb.maxRequests);
  if (cb.maxRetries !== undefined) t.max_retries = u32(cb.maxRetries);
  if (cb.retryBudgetPercent !== undefined || cb.retryBudgetMinConcurrency !== undefined) {
    // With a budget Envoy ignores max_retries: the budget bounds concurrent retries as a share of active requests.
    t.retry_budget = {
      ...(cb.retryBudgetPercent !== undefined && { budget_percent: { value: cb.retryBudgetPercent } }),
      ...(cb.retryBudgetMinConcurrency !== undefined && { min_retry_concurrency: u32(cb.retryBudgetMinConcurrency) }),
    };
  }
  return { thresholds: [t] };
}

function outlierDetection(policy: UpstreamPolicyIR): Cluster["outlier_detection"] {
  const od = policy.outlierDetection;
  if (!od) return undefined;
  // Success-rate ejection (on by default in Envoy) is statistical and nobody asked for it: off, as in Istio.
  // Consecutive 5xx keeps Envoy's default (5, enforced), as documented and as in Istio; 0 turns it off (for
  // instance to eject on gateway errors only), which Istio also spells as enforcement 0.
  const out: NonNullable<Cluster["outlier_detection"]> = { enforcing_success_rate: u32(0) };
  if (od.consecutive5xx !== undefined) out.consecutive_5xx = u32(od.consecutive5xx);
  if (od.consecutive5xx === 0) out.enforcing_consecutive_5xx = u32(0);
  if (od.intervalMs !== undefined) out.interval = duration(od.intervalMs);
  if (od.baseEjectionMs !== undefined) out.base_ejection_time = duration(od.baseEjectionMs);
  if (od.maxEjectionPercent !== undefined) out.max_ejection_percent = u32(od.maxEjectionPercent);
  // Envoy ejects a host only while (ejected + 1) / hosts stays within max_ejection_percent (default 10 %), so a
  // pool of fewer than 10 hosts would never eject anything: the first ejection ignores the share. An explicit 0
  // means "never eject" and stays so.
  if (od.maxEjectionPercent !== 0) out.always_eject_one_host = { value: true };
  if (od.consecutiveGatewayErrors !== undefined) {
    out.consecutive_gateway_failure = u32(od.consecutiveGatewayErrors);
    // Envoy counts gateway failures but ejects for them only when enforcing (default 0 %).
    out.enforcing_consecutive_gateway_failure = u32(100);
  }
  return out;
}

/**
 * The Host/:authority of a health check: Envoy's default is the cluster name, whose "|" the upstream sidecar's
 * connection manager rejects, so every check would fail. A mesh service is checked as its name; an external one as
 * its first declared host (its name is known to nobody outside the mesh, and a virtual-hosted API answers only to
 * its own host).
 */
function healthCheckHost(service: ServiceIR): string {
  return service.external?.hosts[0] ?? service.name;
}

function healthCheck(hc: HealthCheckIR, host: string, port: PortIR): NonNullable<Cluster["health_checks"]>[number] {
  const base = {
    timeout: duration(hc.timeoutMs),
    interval: duration(hc.intervalMs),
    // Envoy checks a cluster that has not carried traffic yet only every 60 s (no_traffic_interval), so a host
    // failing its check would stay in for a minute after a quiet start: check at the configured interval always.
    no_traffic_interval: duration(hc.intervalMs),
    healthy_threshold: u32(hc.healthyThreshold),
    unhealthy_threshold: u32(hc.unhealthyThreshold),
  };
  switch (hc.kind) {
    case "http":
      // HTTP/1 checks on a fresh connection each: with Envoy's default (reuse), an app that closes its connection
      // after a response (Connection: close) makes every other check time out on the closed one, and the host flaps
      // (test/e2e/instance-localities.test.ts, once checks ran at the configured interval with no traffic).
      return { ...base, ...(!isHttp2(port) && { reuse_connection: { value: false } }), http_health_check: { host, path: hc.path, ...(isHttp2(port) && { codec_client_type: "HTTP2" as const }) } };
    case "grpc":
      return { ...base, grpc_health_check: { authority: host, ...(hc.serviceName !== undefined && { service_name: hc.serviceName }) } };
    case "tcp":
      return { ...base, tcp_health_check: {} };
  }
}

/** Upstream HTTP settings: HTTP/2 for http2/grpc ports, and the connection idle timeout. */
function httpProtocolOptions(port: PortIR, idleTimeoutMs: number | undefined): Cluster["typed_extension_protocol_options"] {
  if (!isHttpFamily(port)) return undefined;
  if (!isHttp2(port) && idleTimeoutMs === undefined) return undefined;
  return {
    [HTTP_PROTOCOL_OPTIONS]: pack("envoy.extensions.upstreams.http.v3.HttpProtocolOptions", {
      ...(idleTimeoutMs !== undefined && { common_http_protocol_options: { idle_timeout: duration(idleTimeoutMs) } }),
      explicit_http_config: isHttp2(port) ? { http2_protocol_options: {} } : { http_protocol_options: {} },
    }),
  };
}

/** `inbound|<port>`: the local app behind the sidecar, on 127.0.0.1:<appPort>. */
export function buildInboundCluster(service: ServiceIR, port: PortIR): Cluster {
  const name = inboundClusterName(port.port);
  const cluster: Cluster = {
    name,
    type: "STATIC",
    connect_timeout: duration(service.policy.connectTimeoutMs),
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress("127.0.0.1", port.appPort) } }] }],
    },
  };
  const proto = httpProtocolOptions(port, undefined);
  if (proto) cluster.typed_extension_protocol_options = proto;
  return cluster;
}
