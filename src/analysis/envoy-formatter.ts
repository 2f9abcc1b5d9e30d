// Envoy's substitution formatter as it parses a header value to add or set (request_headers_to_add and
// response_headers_to_add go through it): "%%" is a literal "%", any other "%" must start a command
// %NAME%, %NAME(param)% or %NAME(param):N%, and NAME must be a command Envoy 1.40 knows, with a parameter when it
// needs one. The tokenizer mirrors Envoy's (source/common/formatter/substitution_format_utility and
// http_formatter_context parsers); the command list was taken from the Envoy 1.40 binary by asking
// `envoy --mode validate` about every upper-case identifier in it (see test/analysis/envoy-rules.test.ts, which
// checks every entry against the real Envoy). Commands meshc does not list (CEL, METADATA, COMMON_DURATION, ...)
// are refused here even where Envoy might take them: meshc cannot check their arguments.

/** Commands that take no parameter. */
const PLAIN = new Set([
  "BYTES_RECEIVED", "BYTES_RETRANSMITTED", "BYTES_SENT", "CONNECTION_ID", "CONNECTION_TERMINATION_DETAILS",
  "CUSTOM_FLAGS", "DOWNSTREAM_CX_RTT", "DOWNSTREAM_DECOMPRESSED_HEADER_BYTES_SENT", "DOWNSTREAM_DETECTED_CLOSE_TYPE",
  "DOWNSTREAM_DIRECT_LOCAL_ADDRESS", "DOWNSTREAM_DIRECT_LOCAL_PORT", "DOWNSTREAM_DIRECT_REMOTE_ADDRESS",
  "DOWNSTREAM_DIRECT_REMOTE_PORT", "DOWNSTREAM_HANDSHAKE_DURATION", "DOWNSTREAM_HEADER_BYTES_RECEIVED",
  "DOWNSTREAM_HEADER_BYTES_SENT", "DOWNSTREAM_LOCAL_ADDRESS", "DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT",
  "DOWNSTREAM_LOCAL_DNS_SAN", "DOWNSTREAM_LOCAL_PORT", "DOWNSTREAM_LOCAL_SUBJECT", "DOWNSTREAM_LOCAL_URI_SAN",
  "DOWNSTREAM_PEER_CERT", "DOWNSTREAM_PEER_DNS_SAN", "DOWNSTREAM_PEER_FINGERPRINT_1", "DOWNSTREAM_PEER_FINGERPRINT_256",
  "DOWNSTREAM_PEER_ISSUER", "DOWNSTREAM_PEER_SERIAL", "DOWNSTREAM_PEER_SUBJECT", "DOWNSTREAM_PEER_URI_SAN",
  "DOWNSTREAM_REMOTE_ADDRESS", "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT", "DOWNSTREAM_REMOTE_PORT",
  "DOWNSTREAM_TLS_CIPHER", "DOWNSTREAM_TLS_SESSION_ID", "DOWNSTREAM_TLS_VERSION", "DOWNSTREAM_TRANSPORT_FAILURE_REASON",
  "DOWNSTREAM_WIRE_BYTES_RECEIVED", "DOWNSTREAM_WIRE_BYTES_SENT", "DURATION", "FILTER_CHAIN_NAME", "HOSTNAME",
  "LISTENER_NAME", "PROTOCOL", "REQUESTED_SERVER_NAME", "REQUEST_DURATION", "REQUEST_HEADERS_BYTES",
  "REQUEST_TX_DURATION", "RESPONSE_CODE", "RESPONSE_CODE_DETAILS", "RESPONSE_DURATION", "RESPONSE_FLAGS",
  "RESPONSE_FLAGS_LONG", "RESPONSE_HEADERS_BYTES", "RESPONSE_TRAILERS_BYTES", "RESPONSE_TX_DURATION",
  "ROUNDTRIP_DURATION", "ROUTE_NAME", "STREAM_ID", "UNIQUE_ID", "UPSTREAM_CLUSTER", "UPSTREAM_HOST",
  "UPSTREAM_LOCAL_ADDRESS", "UPSTREAM_LOCAL_ADDRESS_WITHOUT_PORT", "UPSTREAM_LOCAL_PORT", "UPSTREAM_PROTOCOL",
  "UPSTREAM_REMOTE_ADDRESS", "UPSTREAM_REMOTE_ADDRESS_WITHOUT_PORT", "UPSTREAM_REMOTE_PORT",
  "UPSTREAM_TRANSPORT_FAILURE_REASON", "VIRTUAL_CLUSTER_NAME",
]);
/** Commands whose parameter is an optional strftime-like time format. */
const TIME = new Set(["START_TIME", "START_TIME_LOCAL", "EMIT_TIME", "EMIT_TIME_LOCAL", "DOWNSTREAM_PEER_CERT_V_START", "DOWNSTREAM_PEER_CERT_V_END"]);
/** Header-like commands: a required "name" or "name?alternative" parameter, an optional :N length. */
const HEADER = new Set(["REQ", "RESP", "TRAILER", "REQUEST_HEADER", "RESPONSE_HEADER", "RESPONSE_TRAILER"]);
/** Commands with a required, free-form parameter and an optional :N length. */
const PARAM = new Set(["ENVIRONMENT", "QUERY_PARAM", "DYNAMIC_METADATA", "CLUSTER_METADATA", "UPSTREAM_METADATA", "FILTER_STATE", "UPSTREAM_FILTER_STATE"]);

/** Every command meshc accepts, for tests and messages. */
export const FORMATTER_COMMANDS = { plain: [...PLAIN], time: [...TIME], header: [...HEADER], param: [...PARAM] };

// Envoy: ^%([A-Z]|[0-9]|_)+(\([^)]*?\))?(:[0-9]+)?%  (the parameter is matched lazily up to the first ")" + ":N"? + "%").
const COMMAND = /^%([A-Z0-9_]+)(?:\((.*?)\))?(?::([0-9]+))?%/s;

/** Why Envoy's formatter refuses `value`, or undefined when it accepts it. */
export function formatterProblem(value: string): string | undefined {
  for (let pos = 0; pos < value.length; ) {
    if (value[pos] !== "%") {
      pos++;
      continue;
    }
    if (value[pos + 1] === "%") {
      pos += 2;
      continue;
    }
    const m = COMMAND.exec(value.slice(pos));
    if (!m) return `no valid command at offset ${pos} (a lone "%")`;
    const [whole, name, param, length] = m as unknown as [string, string, string | undefined, string | undefined];
    const problem = commandProblem(name, param, length);
    if (problem) return problem;
    pos += whole.length;
  }
  return undefined;
}

function commandProblem(name: string, param: string | undefined, length: string | undefined): string | undefined {
  if (PLAIN.has(name)) {
    if (param !== undefined || length !== undefined) return `%${name}% takes no parameter or length`;
    return undefined;
  }
  if (TIME.has(name)) {
    if (length !== undefined) return `%${name}% takes no length`;
    return undefined;
  }
  if (HEADER.has(name) || PARAM.has(name)) {
    if (param === undefined || param === "") return `%${name}(...)% needs a parameter`;
    if (HEADER.has(name) && param.split("?").length > 2) return `%${name}(${param})% names more than one alternative header`;
    if (HEADER.has(name) && param.split("?").some((h) => h === "")) return `%${name}(${param})% has an empty header name`;
    if (name.endsWith("FILTER_STATE")) {
      const [key, type, field] = param.split(":");
      if (key === "") return `%${name}(${param})% has an empty key`;
      if (type !== undefined && !["PLAIN", "TYPED", "FIELD"].includes(type)) return `%${name}(${param})%: the serialization after the key must be PLAIN, TYPED or FIELD`;
      if (type === "FIELD" && !field) return `%${name}(${param})%: FIELD needs a field name`;
    }
    return undefined;
  }
  return `%${name}% is not a substitution command meshc knows Envoy 1.40 accepts`;
}
