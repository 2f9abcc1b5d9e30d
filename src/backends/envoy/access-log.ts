// Access logs of a sidecar's HTTP connection managers (inbound and outbound): the documented field set (docs/dsl.md
// "Access log fields"), as JSON (one object per line, numbers as numbers) or as text (the same fields as
// key=value pairs), to stdout or a file, behind the filters the mesh asks for.
import type { AccessLogIR, ServiceIR } from "../../ir/types.js";
import { pack } from "./api/codec.js";
import { fractionalPercent } from "./values.js";
import type { EnvoyTypes } from "./api/codec.js";
import type { HttpConnectionManager } from "./xds-types.js";

type AccessLog = NonNullable<HttpConnectionManager["access_log"]>[number];
type AccessLogFilter = NonNullable<AccessLog["filter"]>;

export type Direction = "inbound" | "outbound";

/**
 * The fields, in order. `source_service`/`destination_service`: the caller and the callee as far as this sidecar
 * knows them (outbound: itself and the service of the upstream cluster; inbound: "-" until mTLS names the peer,
 * and itself). `response_flags` are Envoy's (UH no healthy upstream, UF upstream connection failure, UO overflow,
 * URX retry/connect limit reached, UT upstream timeout, NR no route, LR local reset, UC upstream connection
 * termination, DI delay injected, FI fault injected, RL rate limited, …; "-" for none).
 */
export function accessLogFields(service: string, direction: Direction): [string, string][] {
  return [
    ["start_time", "%START_TIME%"],
    ["direction", direction],
    ["source_service", direction === "outbound" ? service : "-"],
    ["destination_service", direction === "outbound" ? "%CLUSTER_METADATA(meshc:service)%" : service],
    ["destination_subset", direction === "outbound" ? "%CLUSTER_METADATA(meshc:subset)%" : "-"],
    ["method", "%REQ(:METHOD)%"],
    ["authority", "%REQ(:AUTHORITY)%"],
    ["path", "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%"],
    ["protocol", "%PROTOCOL%"],
    ["response_code", "%RESPONSE_CODE%"],
    ["response_flags", "%RESPONSE_FLAGS%"],
    ["response_code_details", "%RESPONSE_CODE_DETAILS%"],
    ["duration_ms", "%DURATION%"],
    ["bytes_received", "%BYTES_RECEIVED%"],
    ["bytes_sent", "%BYTES_SENT%"],
    ["route", "%ROUTE_NAME%"],
    ["upstream_cluster", "%UPSTREAM_CLUSTER%"],
    ["upstream_host", "%UPSTREAM_HOST%"],
    ["upstream_attempts", "%UPSTREAM_REQUEST_ATTEMPT_COUNT%"],
    ["peer_identity", "%DOWNSTREAM_PEER_URI_SAN%"],
    ["request_id", "%REQ(X-REQUEST-ID)%"],
    ["trace_id", "%TRACE_ID%"],
  ];
}

type LogFormat = NonNullable<EnvoyTypes["envoy.extensions.access_loggers.stream.v3.StdoutAccessLog"]["log_format"]>;

/** google.protobuf.Struct of strings in the codec's input shape (protobufjs's own struct.proto: camelCase). */
export function struct(entries: [string, string][]): { fields: Record<string, { stringValue: string }> } {
  return { fields: Object.fromEntries(entries.map(([k, v]) => [k, { stringValue: v }])) };
}

function logFormat(fields: [string, string][], format: AccessLogIR["format"]): LogFormat {
  if (format === "json") return { json_format: struct(fields) };
  return { text_format_source: { inline_string: `${fields.map(([k, v]) => `${k}=${v}`).join(" ")}\n` } };
}

function filter(a: AccessLogIR): AccessLogFilter | undefined {
  const conditions: AccessLogFilter[] = [];
  const wanted: AccessLogFilter[] = [];
  if (a.errorsOnly) {
    wanted.push({ status_code_filter: { comparison: { op: "GE", value: { default_value: 400, runtime_key: "meshc.access_log.error_status" } } } });
    wanted.push({ response_flag_filter: {} });
  }
  if (a.slowerThanMs !== undefined) {
    wanted.push({ duration_filter: { comparison: { op: "GE", value: { default_value: a.slowerThanMs, runtime_key: "meshc.access_log.slow_ms" } } } });
  }
  if (wanted.length === 1) conditions.push(wanted[0]!);
  else if (wanted.length > 1) conditions.push({ or_filter: { filters: wanted } });
  if (a.samplePercent < 100) {
    conditions.push({ runtime_filter: { runtime_key: "meshc.access_log.sample", percent_sampled: fractionalPercent(a.samplePercent) } });
  }
  if (conditions.length === 0) return undefined;
  return conditions.length === 1 ? conditions[0] : { and_filter: { filters: conditions } };
}

export function buildAccessLogs(svc: ServiceIR, direction: Direction): AccessLog[] {
  const a = svc.telemetry?.accessLog;
  if (!a) return [];
  const log_format = logFormat(accessLogFields(svc.name, direction), a.format);
  const typed_config =
    a.destination.kind === "file"
      ? pack("envoy.extensions.access_loggers.file.v3.FileAccessLog", { path: a.destination.path, log_format })
      : pack("envoy.extensions.access_loggers.stream.v3.StdoutAccessLog", { log_format });
  const name = a.destination.kind === "file" ? "envoy.access_loggers.file" : "envoy.access_loggers.stdout";
  const f = filter(a);
  return [{ name, ...(f && { filter: f }), typed_config }];
}
