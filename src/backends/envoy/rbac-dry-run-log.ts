// Dry-run authorization decisions are logged, not only counted (issue 9 test 1). When an inbound HTTP port has RBAC
// shadow rules (dryRun), its connection manager gets one more access log, written to Envoy's stdout, for exactly
// the requests the shadow engine would have denied. The RBAC filter records its shadow verdict as dynamic metadata
// in the "envoy.filters.http.rbac" namespace under `<shadow_rules_stat_prefix>shadow_engine_result` ("allowed" or
// "denied") and `<prefix>shadow_effective_policy_id` (the deciding policy = the rule's name); the log's filter
// matches that metadata, so enforced traffic that the dry-run rules would let through writes nothing.
// One line per such request, text, fixed prefix `meshc-authz-dry-run` (docs/dsl.md "Dry run").
import type { PortIR, ServiceIR } from "../../ir/types.js";
import { pack } from "./api/codec.js";
import { RBAC_FILTER, RBAC_STATS } from "./rbac.js";
import type { HttpConnectionManager } from "./xds-types.js";

type AccessLog = NonNullable<HttpConnectionManager["access_log"]>[number];
type AccessLogFilter = NonNullable<AccessLog["filter"]>;

export const DRY_RUN_LOG_PREFIX = "meshc-authz-dry-run";

const key = (prefix: string, field: "shadow_engine_result" | "shadow_effective_policy_id") => `${prefix}${field}`;

function deniedBy(prefix: string): AccessLogFilter {
  return {
    metadata_filter: {
      matcher: { filter: RBAC_FILTER.http, path: [{ key: key(prefix, "shadow_engine_result") }], value: { string_match: { exact: "denied" } } },
      match_if_key_not_found: { value: false },
    },
  };
}

/** The access log of a port whose RBAC layers have shadow rules (`deny`/`allow` say which), or undefined. */
export function dryRunAccessLog(service: ServiceIR, port: PortIR, layers: { deny: boolean; allow: boolean }): AccessLog | undefined {
  const prefixes = [...(layers.deny ? [RBAC_STATS.dryRunDeny] : []), ...(layers.allow ? [RBAC_STATS.dryRunAllow] : [])];
  if (prefixes.length === 0) return undefined;
  const filters = prefixes.map(deniedBy);
  const fields: [string, string][] = [
    ["service", service.name],
    ["port", String(port.port)],
    ["method", "%REQ(:METHOD)%"],
    ["path", "%REQ(:PATH)%"], // what the RBAC filter matched, not a header the caller may have set
    ["peer_identity", "%DOWNSTREAM_PEER_URI_SAN%"],
    ["response_code", "%RESPONSE_CODE%"],
    // The shadow engine holds the enforced rules too: a request an enforced rule refused is logged with its details
    // (rbac_access_denied_matched_policy[<rule>]), so it is not read as a dry-run rule's doing.
    ["response_code_details", "%RESPONSE_CODE_DETAILS%"],
    ...prefixes.map((p): [string, string] => [`${p === RBAC_STATS.dryRunDeny ? "deny" : "allow"}_layer`, `%DYNAMIC_METADATA(${RBAC_FILTER.http}:${key(p, "shadow_engine_result")})%`]),
    ...prefixes.map((p): [string, string] => [`${p === RBAC_STATS.dryRunDeny ? "deny" : "allow"}_policy`, `%DYNAMIC_METADATA(${RBAC_FILTER.http}:${key(p, "shadow_effective_policy_id")})%`]),
  ];
  const inline_string = `${DRY_RUN_LOG_PREFIX} start_time=%START_TIME% ${fields.map(([k, v]) => `${k}=${v}`).join(" ")}\n`;
  return {
    name: "envoy.access_loggers.stdout",
    filter: filters.length === 1 ? filters[0]! : { or_filter: { filters } },
    typed_config: pack("envoy.extensions.access_loggers.stream.v3.StdoutAccessLog", { log_format: { text_format_source: { inline_string } } }),
  };
}
