// Access logs of a sidecar's HTTP connection managers and TCP proxies (inbound and outbound): the documented field
// sets (docs/dsl.md "Access log fields"; TCP has its own, smaller one), as JSON (one object per line, numbers as
// numbers) or as text (the same fields as key=value pairs), to stdout, a file or an OpenTelemetry logs collector
// (OTLP/gRPC, Envoy's open_telemetry access logger: the fields become log-record attributes), behind the filters the
// mesh asks for. On TCP, errorsOnly can only test response flags (MESH0609) and sampling cannot follow x-request-id.
import type { AccessLogIR, ServiceIR } from "../../ir/types.js";
import { pack } from "./api/codec.js";
import { fractionalPercent } from "./values.js";
import type { EnvoyTypes } from "./api/codec.js";
import type { MeshIndex } from "./model.js";
import { collectorTarget } from "./telemetry-resources.js";
import type { HttpConnectionManager } from "./xds-types.js";

type AccessLog = NonNullable<HttpConnectionManager["access_log"]>[number];
type AccessLogFilter = NonNullable<AccessLog["filter"]>;

/**
 * inbound/outbound: a sidecar's two sides; ingress: a gateway's listeners (callers from outside the mesh, no mesh
 * identity, so no source service; the destination is the mesh service its route sent the request to, as outbound).
 */
export type Direction = "inbound" | "outbound" | "ingress";
/** What the log is attached to: an HTTP connection manager (one entry per request) or a tcp_proxy (per connection). */
export type Carrier = "http" | "tcp";

/**
 * The fields, in order (text lines and OpenTelemetry attributes keep it; Envoy writes a json_format object's keys
 * sorted). `source_service`/`destination_service`: the caller and the callee as far as this proxy knows them
 * (outbound: itself and the service of the upstream cluster; inbound: always "-", since nothing here maps a peer
 * certificate to a service: `peer_identity` is the caller's verified SPIFFE ID, and itself; ingress, at a gateway:
 * "-", the caller being outside the mesh, and the service of the upstream cluster). `path` is the path as forwarded
 * (inbound: what the app gets), `original_path` the one before a
 * route's rewrite (x-envoy-original-path: Envoy sets it when it rewrites; a client can set it too). `response_flags` are Envoy's (UH no healthy upstream, UF upstream connection failure, UO overflow,
 * URX retry/connect limit reached, UT upstream timeout, NR no route, LR local reset, UC upstream connection
 * termination, DI delay injected, FI fault injected, RL rate limited, …; "-" for none).
 */
export function accessLogFields(service: string, direction: Direction): [string, string][] {
  return [
    ["start_time", "%START_TIME%"],
    ["direction", direction],
    ...endpointFields(service, direction),
    ["method", "%REQ(:METHOD)%"],
    ["authority", "%REQ(:AUTHORITY)%"],
    // The path Envoy forwarded (after a route's rewrite): never a header's claim. x-envoy-original-path is set by the
    // router when a route rewrites, but a client may send it too (sidecars do not strip x-envoy-* headers), so it is
    // its own field, not the path.
    ["path", "%REQ(:PATH)%"],
    ["original_path", "%REQ(X-ENVOY-ORIGINAL-PATH)%"],
    ["protocol", "%PROTOCOL%"],
    ["response_code", "%RESPONSE_CODE%"],
    ["response_flags", "%RESPONSE_FLAGS%"],
    ["response_code_details", "%RESPONSE_CODE_DETAILS%"],
    ["duration_ms", "%DURATION%"],
    ["bytes_received", "%BYTES_RECEIVED%"],
    ["bytes_sent", "%BYTES_SENT%"],
    ["route", "%ROUTE_NAME%"],
    ["upstream_cluster", "%UPSTREAM_CLUSTER_RAW%"], // the name itself, not the alt_stat_name of a name with "."
    ["upstream_host", "%UPSTREAM_HOST%"],
    ["upstream_attempts", "%UPSTREAM_REQUEST_ATTEMPT_COUNT%"],
    ["peer_identity", "%DOWNSTREAM_PEER_URI_SAN%"],
    ["request_id", "%REQ(X-REQUEST-ID)%"],
    ["trace_id", "%TRACE_ID%"],
  ];
}

/**
 * The TCP field set (one entry per connection): no method, path, response code, route or request/trace id.
 * `duration_ms` is the connection's lifetime; `response_flags` as for HTTP (UF, UH, UO, …); `downstream_address`
 * is the connecting peer.
 */
export function tcpAccessLogFields(service: string, direction: Direction): [string, string][] {
  return [
    ["start_time", "%START_TIME%"],
    ["direction", direction],
    ...endpointFields(service, direction),
    ["response_flags", "%RESPONSE_FLAGS%"],
    ["duration_ms", "%DURATION%"],
    ["bytes_received", "%BYTES_RECEIVED%"],
    ["bytes_sent", "%BYTES_SENT%"],
    ["upstream_cluster", "%UPSTREAM_CLUSTER_RAW%"], // the name itself, not the alt_stat_name of a name with "."
    ["upstream_host", "%UPSTREAM_HOST%"],
    ["downstream_address", "%DOWNSTREAM_REMOTE_ADDRESS%"],
    ["peer_identity", "%DOWNSTREAM_PEER_URI_SAN%"],
  ];
}

/** source_service, destination_service, destination_subset for `direction` (see accessLogFields). */
function endpointFields(service: string, direction: Direction): [string, string][] {
  const upstream = direction !== "inbound"; // outbound and ingress: the service of the upstream cluster
  return [
    ["source_service", direction === "outbound" ? service : "-"],
    ["destination_service", upstream ? "%CLUSTER_METADATA(meshc:service)%" : service],
    ["destination_subset", upstream ? "%CLUSTER_METADATA(meshc:subset)%" : "-"],
  ];
}

type LogFormat = NonNullable<EnvoyTypes["envoy.extensions.access_loggers.stream.v3.StdoutAccessLog"]["log_format"]>;

/** google.protobuf.Struct of strings in the codec's input shape (protobufjs's own struct.proto: camelCase). */
export function struct(entries: [string, string][]): { fields: Record<string, { stringValue: string }> } {
  return { fields: Object.fromEntries(entries.map(([k, v]) => [k, { stringValue: v }])) };
}

function logFormat(fields: [string, string][], format: AccessLogIR["format"]): LogFormat {
  if (format === "json") return { json_format: struct(fields) };
  return { text_format_source: { inline_string: textLine(fields) } };
}

function textLine(fields: [string, string][]): string {
  return `${fields.map(([k, v]) => `${k}=${v}`).join(" ")}\n`;
}

function filter(a: AccessLogIR, carrier: Carrier): AccessLogFilter | undefined {
  const conditions: AccessLogFilter[] = [];
  const wanted: AccessLogFilter[] = [];
  if (a.errorsOnly) {
    // A TCP connection has no response code: only Envoy's response flags tell a failed one (MESH0609).
    if (carrier === "http") wanted.push({ status_code_filter: { comparison: { op: "GE", value: { default_value: 400, runtime_key: "meshc.access_log.error_status" } } } });
    wanted.push({ response_flag_filter: {} });
  }
  if (a.slowerThanMs !== undefined) {
    wanted.push({ duration_filter: { comparison: { op: "GE", value: { default_value: a.slowerThanMs, runtime_key: "meshc.access_log.slow_ms" } } } });
  }
  if (wanted.length === 1) conditions.push(wanted[0]!);
  else if (wanted.length > 1) conditions.push({ or_filter: { filters: wanted } });
  if (a.samplePercent < 100) {
    // HTTP samples on x-request-id (every hop logs the same requests); a TCP connection has none, so it draws at random.
    conditions.push({
      runtime_filter: { runtime_key: "meshc.access_log.sample", percent_sampled: fractionalPercent(a.samplePercent), ...(carrier === "tcp" && { use_independent_randomness: true }) },
    });
  }
  if (conditions.length === 0) return undefined;
  return conditions.length === 1 ? conditions[0] : { and_filter: { filters: conditions } };
}

/**
 * The access log of `svc`'s sidecar for one connection manager or TCP proxy; [] when it has none, or when its
 * collector cannot be reached (analysis reported it: MESH0607/0608).
 */
export function buildAccessLogs(mesh: MeshIndex, svc: ServiceIR, direction: Direction, carrier: Carrier = "http"): AccessLog[] {
  const a = svc.telemetry?.accessLog;
  if (!a) return [];
  const fields = carrier === "http" ? accessLogFields(svc.name, direction) : tcpAccessLogFields(svc.name, direction);
  const f = filter(a, carrier);
  const d = a.destination;
  if (d.kind === "otel") {
    const target = collectorTarget(mesh, d.collector);
    if (!target) return [];
    // Every field is an attribute of the log record (strings: OTLP attributes carry no JSON numbers); "text" also
    // puts the key=value line in the record's body. Envoy adds log_name, node_name, cluster_name and zone_name.
    const typed_config = pack("envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig", {
      common_config: {
        log_name: `meshc|${carrier}|${direction}`,
        transport_api_version: "V3",
        grpc_service: { envoy_grpc: { cluster_name: target.cluster, authority: target.authority }, timeout: { seconds: 1 } },
      },
      resource_attributes: { values: [{ key: "service.name", value: { string_value: svc.name } }] },
      ...(a.format === "text" && { body: { string_value: textLine(fields).trimEnd() } }),
      attributes: { values: fields.map(([key, v]) => ({ key, value: { string_value: v } })) },
    });
    return [{ name: "envoy.access_loggers.open_telemetry", ...(f && { filter: f }), typed_config }];
  }
  const log_format = logFormat(fields, a.format);
  const typed_config =
    d.kind === "file"
      ? pack("envoy.extensions.access_loggers.file.v3.FileAccessLog", { path: d.path, log_format })
      : pack("envoy.extensions.access_loggers.stream.v3.StdoutAccessLog", { log_format });
  const name = d.kind === "file" ? "envoy.access_loggers.file" : "envoy.access_loggers.stdout";
  return [{ name, ...(f && { filter: f }), typed_config }];
}
