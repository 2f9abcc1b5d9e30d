// Envoy's (validate.rules) enforcement: the rejections the foundation issue names (through codec.encodeMessage, with
// exact field paths), the presence semantics (oneofs, defaults, message fields), one failing case for every rule
// kind the loaded protos use, and the rarer PGV kinds on a small synthetic proto.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import protobuf from "protobufjs";
import { canonicalize } from "../../src/backends/envoy/api/canonical.js";
import { decodeMessage, encodeMessage, type EncodeResult } from "../../src/backends/envoy/api/codec.js";
import { formatIssue, type EnvoyIssue } from "../../src/backends/envoy/api/issues.js";
import { envoyRoot, messageType } from "../../src/backends/envoy/api/registry.js";
import { re2ToRegExp } from "../../src/backends/envoy/api/re2.js";
import { validateMessage } from "../../src/backends/envoy/api/validate.js";
import { compileFieldRules, fieldRulesOf, ruleKindsOf, SUPPORTED_RULE_KINDS } from "../../src/backends/envoy/api/validate-rules.js";
import { edsCluster, HCM, httpConnectionManager, listener, routeConfig, samples } from "./sample-resources.js";

/** `path: message` lines of a failed encode (or a failure if it passed). */
function rejected(r: EncodeResult): string[] {
  if (r.ok) assert.fail("expected the message to be rejected, but it passed validation");
  return lines(r.issues);
}

/** Issues as `path: message` (just the message for the message itself), resource left out. */
function lines(issues: EnvoyIssue[]): string[] {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
}

/** Validates a plain object as `typeName` after a real encode/decode, so the input is genuine canonical form. */
function check(typeName: string, obj: Record<string, unknown>): string[] {
  const t = messageType(typeName);
  const c = canonicalize(t, t.decode(t.encode(t.fromObject(obj)).finish()));
  return lines(validateMessage(t, c, "X"));
}

const CLUSTER = "envoy.config.cluster.v3.Cluster";
const LISTENER = "envoy.config.listener.v3.Listener";
const ROUTES = "envoy.config.route.v3.RouteConfiguration";
const IN_HCM = "filter_chains[0].filters[0].typed_config";

describe("the foundation's rejections, through codec.encodeMessage", () => {
  test("a Cluster with an empty name", () => {
    const r = encodeMessage(CLUSTER, { ...edsCluster(), name: "" }, 'Cluster "payments"');
    assert.deepEqual(rejected(r), ["name: value must be at least 1 characters"]);
  });

  test("a Cluster with connect_timeout 0s, formatted with resource and path", () => {
    const r = encodeMessage(CLUSTER, { ...edsCluster(), connect_timeout: { seconds: 0 } }, 'Cluster "payments"');
    assert.equal(r.ok, false);
    assert.deepEqual(!r.ok && r.issues.map(formatIssue), ['Cluster "payments": connect_timeout: must be greater than 0s']);
  });

  test("a virtual host with no domains", () => {
    const rc = routeConfig();
    rc.virtual_hosts![0]!.domains = [];
    assert.deepEqual(rejected(encodeMessage(ROUTES, rc, "RouteConfiguration")), ["virtual_hosts[0].domains: must have at least 1 item(s)"]);
  });

  test("a Route with no action", () => {
    const rc = routeConfig();
    rc.virtual_hosts![0]!.routes![1] = { match: { prefix: "/" } };
    assert.deepEqual(rejected(encodeMessage(ROUTES, rc, "RouteConfiguration")), [
      "virtual_hosts[0].routes[1]: exactly one of route, redirect, direct_response, filter_action, non_forwarding_action must be set",
    ]);
  });

  test("a Listener carrying an unknown field", () => {
    const l = { ...listener(), bind_to_prot: true };
    assert.deepEqual(rejected(encodeMessage(LISTENER, l, "Listener")), ['bind_to_prot: unknown field "bind_to_prot" in Listener']);
  });

  test("an HttpConnectionManager with an undefined codec_type, by name and by number", () => {
    for (const [codec, shown] of [["HTTP9", '"HTTP9"'], [99, "number 99"]] as const) {
      const l = listener({ ...httpConnectionManager(), codec_type: codec as "AUTO" });
      assert.deepEqual(rejected(encodeMessage(LISTENER, l, "Listener")), [
        `${IN_HCM}.codec_type: ${shown} is not a value of enum CodecType (one of AUTO, HTTP1, HTTP2, HTTP3)`,
      ]);
    }
  });

  test("an undefined enum number that reached the wire is caught by enum.defined_only", () => {
    // protobufjs keeps unknown enum numbers when decoding, so bytes from elsewhere can carry them.
    const t = messageType(HCM);
    const bytes = t.encode(t.fromObject({ stat_prefix: "in", codec_type: 99, rds: { route_config_name: "r", config_source: { ads: {} } } })).finish();
    assert.deepEqual(lines(validateMessage(t, decodeMessage(HCM, bytes), "X")), ["codec_type: 99 is not a defined value of enum CodecType"]);
  });

  test("an HTTP filter whose typed_config has an unknown type URL", () => {
    const hcm = httpConnectionManager();
    hcm.http_filters![0]!.typed_config = { "@type": "type.googleapis.com/envoy.extensions.filters.http.nope.v3.Nope" };
    assert.deepEqual(rejected(encodeMessage(LISTENER, listener(hcm), "Listener")), [
      `${IN_HCM}.http_filters[0].typed_config["@type"]: cannot resolve type URL "type.googleapis.com/envoy.extensions.filters.http.nope.v3.Nope": not a message type meshc knows`,
    ]);
  });

  test("an HCM inside the Listener's Any that misses stat_prefix (recursion through Any)", () => {
    const { stat_prefix: _, ...hcm } = httpConnectionManager();
    assert.deepEqual(rejected(encodeMessage(LISTENER, listener(hcm), "Listener")), [`${IN_HCM}.stat_prefix: value must be at least 1 characters`]);
  });

  test("a header name containing a newline, two Anys deep", () => {
    const { rds: _, ...hcm } = httpConnectionManager();
    const rc = routeConfig();
    rc.request_headers_to_add = [{ header: { key: "x-ok", value: "1" } }, { header: { key: "x-bad\n", value: "1" } }];
    const r = encodeMessage(LISTENER, listener({ ...hcm, route_config: rc }), "Listener");
    assert.deepEqual(rejected(r), [
      `${IN_HCM}.route_config.request_headers_to_add[1].header.key: must be a valid HTTP header name (no NUL, CR or LF characters)`,
    ]);
  });

  test("valid resources of each kind pass", () => {
    for (const s of samples()) {
      const r = encodeMessage(s.typeName, s.msg, s.label);
      assert.equal(r.ok, true, `${s.label}: ${r.ok ? "" : r.issues.map(formatIssue).join("; ")}`);
    }
  });
});

describe("presence semantics", () => {
  test("rules on unset oneof members are skipped; a set member is checked even at its default", () => {
    const rc = routeConfig();
    rc.virtual_hosts![0]!.routes![1]!.route = { cluster: "" };
    assert.deepEqual(rejected(encodeMessage(ROUTES, rc, "R")), ["virtual_hosts[0].routes[1].route.cluster: value must be at least 1 characters"]);
    // cluster_header / weighted_clusters (other members of the same oneof) carry rules too; unset, they are silent.
    assert.equal(encodeMessage(ROUTES, routeConfig(), "R").ok, true);
  });

  test("absent scalars are checked as their default value", () => {
    assert.deepEqual(check("envoy.config.route.v3.DirectResponseAction", {}), ["status: must be inside range [200, 600)"]);
    assert.deepEqual(check("envoy.config.route.v3.DirectResponseAction", { status: 700 }), ["status: must be inside range [200, 600)"]);
    assert.deepEqual(check("envoy.config.route.v3.DirectResponseAction", { status: 503 }), []);
  });

  test("message-typed fields are checked only when set, except `required`", () => {
    const { connect_timeout: _, ...noTimeout } = edsCluster();
    assert.equal(encodeMessage(CLUSTER, noTimeout, "C").ok, true);
    const rc = routeConfig();
    delete rc.virtual_hosts![0]!.routes![0]!.match;
    assert.deepEqual(rejected(encodeMessage(ROUTES, rc, "R")), ["virtual_hosts[0].routes[0].match: is required"]);
  });

  test("wrapper rules read the wrapped value, absent value = default, only when the wrapper is set", () => {
    const withRatio = (ratio: object | undefined) => ({ ...edsCluster(), preconnect_policy: { per_upstream_preconnect_ratio: ratio } });
    assert.deepEqual(rejected(encodeMessage(CLUSTER, withRatio({ value: 5 }), "C")), [
      "preconnect_policy.per_upstream_preconnect_ratio: must be inside range [1, 3]",
    ]);
    assert.deepEqual(rejected(encodeMessage(CLUSTER, withRatio({}), "C")), ["preconnect_policy.per_upstream_preconnect_ratio: must be inside range [1, 3]"]);
    assert.equal(encodeMessage(CLUSTER, withRatio(undefined), "C").ok, true);
    assert.equal(encodeMessage(CLUSTER, withRatio({ value: 2.5 }), "C").ok, true);
  });

  test("every issue in a resource is reported, in field order", () => {
    const r = encodeMessage(CLUSTER, { ...edsCluster(), name: "", connect_timeout: { nanos: 0 }, dns_refresh_rate: { nanos: 5 } }, "C");
    assert.deepEqual(rejected(r), [
      "name: value must be at least 1 characters",
      "connect_timeout: must be greater than 0s",
      "dns_refresh_rate: must be greater than 0.001s",
    ]);
  });

  test("repeated items, unique and map keys carry index and key in the path", () => {
    assert.deepEqual(check("envoy.config.metrics.v3.HistogramBucketSettings", { match: { exact: "x" }, buckets: [0.5, 0.5, -1] }), [
      "buckets[1]: must be unique: repeats item [0]",
      "buckets[2]: must be greater than 0",
    ]);
    assert.deepEqual(check("envoy.config.core.v3.Metadata", { filter_metadata: { "": {}, "envoy.lb": {} } }), [
      'filter_metadata[""]: key value must be at least 1 characters',
    ]);
  });
});

/** For every rule kind the loaded protos use: an Envoy message breaking it, and the exact issue. */
const KIND_CASES: { kinds: string[]; type: string; obj: Record<string, unknown>; want: string[] }[] = [
  { kinds: ["any.required"], type: "envoy.config.core.v3.TypedExtensionConfig", obj: { name: "x" }, want: ["typed_config: is required"] },
  {
    kinds: ["bool.const"],
    type: "envoy.config.bootstrap.v3.Bootstrap",
    obj: { stats_flush_on_admin: false },
    want: ["stats_flush_on_admin: must be true"],
  },
  {
    kinds: ["bytes.min_len", "bytes.max_len"],
    type: "envoy.config.core.v3.HeaderValue",
    obj: { key: "k", raw_value: Buffer.alloc(16385) },
    want: ["raw_value: value must be at most 16384 bytes"],
  },
  {
    kinds: ["double.gt", "double.lte"],
    type: "envoy.data.accesslog.v3.AccessLogCommon",
    obj: { sample_rate: 1.5 },
    want: ["sample_rate: must be inside range (0, 1]"],
  },
  {
    kinds: ["double.gte"],
    type: "envoy.config.cluster.v3.Cluster.PreconnectPolicy",
    obj: { predictive_preconnect_ratio: { value: 0.5 } },
    want: ["predictive_preconnect_ratio: must be inside range [1, 3]"],
  },
  {
    kinds: ["duration.gt", "duration.required"],
    type: "envoy.config.core.v3.HealthCheck",
    obj: { interval: { seconds: 1 }, unhealthy_threshold: { value: 1 }, healthy_threshold: { value: 1 }, tcp_health_check: {} },
    want: ["timeout: is required"],
  },
  {
    kinds: ["duration.gte", "duration.lt"],
    type: "envoy.config.bootstrap.v3.Bootstrap",
    obj: { stats_flush_interval: { nanos: 500_000 } },
    want: ["stats_flush_interval: must be inside range [0.001s, 300s)"],
  },
  {
    kinds: ["duration.lte"],
    type: "envoy.config.core.v3.QuicProtocolOptions",
    obj: { idle_network_timeout: { seconds: 601 } },
    want: ["idle_network_timeout: must be inside range [1s, 600s]"],
  },
  {
    kinds: ["enum.defined_only", "enum.not_in"],
    type: "envoy.config.core.v3.HealthCheck.HttpHealthCheck",
    obj: { path: "/healthz", method: "CONNECT" },
    want: ["method: must not be one of [CONNECT]"],
  },
  {
    kinds: ["map.keys"],
    type: "envoy.config.core.v3.Metadata",
    obj: { typed_filter_metadata: { "": { type_url: "type.googleapis.com/google.protobuf.Empty", value: Buffer.alloc(0) } } },
    want: ['typed_filter_metadata[""]: key value must be at least 1 characters'],
  },
  { kinds: ["map.min_pairs"], type: "xds.type.matcher.v3.Matcher.MatcherTree.MatchMap", obj: {}, want: ["map: must have at least 1 pair(s)"] },
  { kinds: ["message.required"], type: "envoy.config.route.v3.Route", obj: { route: { cluster: "c" } }, want: ["match: is required"] },
  {
    kinds: ["repeated.min_items", "repeated.items", "string.well_known_regex", "string.strict"],
    type: "envoy.config.route.v3.VirtualHost",
    obj: { name: "v", domains: ["ok", "b\r"] },
    want: ["domains[1]: must be a valid HTTP header value (no NUL, CR or LF characters)"],
  },
  {
    kinds: ["repeated.max_items"],
    type: "envoy.config.route.v3.VirtualHost",
    obj: { name: "v", domains: ["*"], request_headers_to_add: Array.from({ length: 1001 }, () => ({ header: { key: "k", value: "v" } })) },
    want: ["request_headers_to_add: must have at most 1000 item(s)"],
  },
  {
    kinds: ["repeated.unique"],
    type: "envoy.config.route.v3.InternalRedirectPolicy",
    obj: { response_headers_to_copy: ["x-a", "x-a"] },
    want: ["response_headers_to_copy[1]: must be unique: repeats item [0]"],
  },
  {
    kinds: ["string.ignore_empty"],
    type: "envoy.config.core.v3.UpstreamHttpProtocolOptions",
    obj: { override_auto_sni_header: "bad header" },
    want: ["override_auto_sni_header: must be a valid HTTP header name (RFC 7230 token characters)"],
  },
  {
    kinds: ["string.in"],
    type: "envoy.config.core.v3.SchemeHeaderTransformation",
    obj: { scheme_to_overwrite: "ftp" },
    want: ['scheme_to_overwrite: must be one of ["http", "https"]'],
  },
  {
    kinds: ["string.max_bytes", "string.min_len"],
    type: "envoy.config.core.v3.HeaderValue",
    obj: { key: "k", value: "é".repeat(8193) },
    want: ["value: value must be at most 16384 bytes"],
  },
  {
    kinds: ["string.pattern"],
    type: "envoy.config.route.v3.RouteMatch",
    obj: { path_separated_prefix: "/api/" },
    want: ['path_separated_prefix: value does not match regex pattern "^[^?#]+[^?#/]$"'],
  },
  {
    kinds: ["uint32.gt", "uint32.lt"],
    type: "envoy.config.core.v3.AlternateProtocolsCacheOptions.AlternateProtocolsCacheEntry",
    obj: { hostname: "h", port: 65535 },
    want: ["port: must be inside range (0, 65535)"],
  },
  {
    kinds: ["uint32.gte", "uint32.lte"],
    type: "envoy.config.listener.v3.FilterChainMatch",
    obj: { destination_port: { value: 0 }, source_ports: [80, 70000] },
    want: ["source_ports[1]: must be inside range [1, 65535]", "destination_port: must be inside range [1, 65535]"], // field-number order
  },
  {
    kinds: ["uint64.gt"],
    type: "envoy.config.metrics.v3.DogStatsdSink",
    obj: { address: { pipe: { path: "/p" } }, max_bytes_per_datagram: { value: 0 } },
    want: ["max_bytes_per_datagram: must be greater than 0"],
  },
  {
    kinds: ["uint64.gte", "uint64.lte"],
    type: "envoy.extensions.load_balancing_policies.ring_hash.v3.RingHash",
    obj: { minimum_ring_size: { value: 8388609 } },
    want: ["minimum_ring_size: must be inside range [1, 8388608]"],
  },
  {
    kinds: ["uint64.lt"],
    type: "envoy.config.core.v3.UdpSocketConfig",
    obj: { max_rx_datagram_size: { value: 65536 } },
    want: ["max_rx_datagram_size: must be inside range (0, 65536)"],
  },
];

describe("every rule kind in the loaded protos", () => {
  function kindsInProtos(): Map<string, string> {
    const kinds = new Map<string, string>(); // kind -> one field using it
    const visit = (ns: protobuf.NamespaceBase) => {
      for (const o of ns.nestedArray) {
        if (o instanceof protobuf.Type) {
          for (const f of o.fieldsArray) {
            const rules = fieldRulesOf(f);
            if (rules) for (const k of ruleKindsOf(rules)) if (!kinds.has(k)) kinds.set(k, `${o.fullName}.${f.name}`);
          }
        }
        if (o instanceof protobuf.Namespace || o instanceof protobuf.Type) visit(o);
      }
    };
    visit(envoyRoot());
    return kinds;
  }

  test("is implemented, and every field's rules compile without problems", () => {
    const kinds = kindsInProtos();
    assert.ok(kinds.size >= 30, `expected the Envoy protos to use many rule kinds, found ${kinds.size}`);
    const unsupported = [...kinds].filter(([k]) => !SUPPORTED_RULE_KINDS.has(k)).map(([k, f]) => `${k} (${f})`);
    assert.deepEqual(unsupported, []);
    const problems: string[] = [];
    const visit = (ns: protobuf.NamespaceBase) => {
      for (const o of ns.nestedArray) {
        if (o instanceof protobuf.Type) for (const f of o.fieldsArray) for (const p of compileFieldRules(f)?.problems ?? []) problems.push(`${o.fullName}.${f.name}: ${p}`);
        if (o instanceof protobuf.Namespace || o instanceof protobuf.Type) visit(o);
      }
    };
    visit(envoyRoot());
    assert.deepEqual(problems, []);
  });

  test("has a case here (so a proto upgrade adding a kind fails until it is tested)", () => {
    const covered = new Set(KIND_CASES.flatMap((c) => c.kinds));
    assert.deepEqual([...kindsInProtos().keys()].filter((k) => !covered.has(k)).sort(), []);
  });

  for (const c of KIND_CASES) {
    test(`${c.kinds.join(", ")} on ${c.type.split(".").pop()}`, () => {
      assert.deepEqual(check(c.type, c.obj), c.want);
    });
  }
});

// ---- the PGV kinds Envoy's protos do not (yet) use, on a synthetic proto ------------------------------------------

const SYNTHETIC = `
syntax = "proto3";
package t;
enum Color { RED = 0; GREEN = 1; BLUE = 2; }
message Leaf { string id = 1 [(validate.rules).string.min_len = 1]; }
message K {
  optional float f = 1 [(validate.rules).float = {gte: 0.5}];
  optional double d = 2 [(validate.rules).double = {in: [1.5, 2.5]}];
  optional int32 i32 = 3 [(validate.rules).int32 = {not_in: [3, 4]}];
  optional int64 i64 = 4 [(validate.rules).int64 = {gt: 10, lt: 5}];
  optional uint32 u32 = 5 [(validate.rules).uint32.const = 7];
  optional sint32 s32 = 6 [(validate.rules).sint32 = {gt: -1, lte: 5}];
  optional sint64 s64 = 7 [(validate.rules).sint64.lt = -2];
  optional fixed32 fx32 = 8 [(validate.rules).fixed32 = {gte: 10, lte: 2}];
  optional fixed64 fx64 = 9 [(validate.rules).fixed64.gte = 100];
  optional sfixed32 sfx32 = 10 [(validate.rules).sfixed32.lte = -1];
  optional sfixed64 sfx64 = 11 [(validate.rules).sfixed64.const = -3];
  optional uint32 u_ie = 12 [(validate.rules).uint32 = {gte: 10, ignore_empty: true}];
  optional bool b = 13 [(validate.rules).bool.const = false];
  optional string s_len = 20 [(validate.rules).string = {len: 3}];
  optional string s_lenb = 21 [(validate.rules).string = {len_bytes: 4}];
  optional string s_minb = 22 [(validate.rules).string = {min_bytes: 3}];
  optional string s_max = 23 [(validate.rules).string = {max_len: 2}];
  optional string s_const = 24 [(validate.rules).string.const = "x"];
  optional string s_affix = 25 [(validate.rules).string = {prefix: "a", suffix: "z", contains: "m", not_contains: "q"}];
  optional string s_not_in = 26 [(validate.rules).string = {not_in: ["no"]}];
  optional string s_email = 27 [(validate.rules).string.email = true];
  optional string s_host = 28 [(validate.rules).string.hostname = true];
  optional string s_ip = 29 [(validate.rules).string.ip = true];
  optional string s_ipv4 = 30 [(validate.rules).string.ipv4 = true];
  optional string s_ipv6 = 31 [(validate.rules).string.ipv6 = true];
  optional string s_uri = 32 [(validate.rules).string.uri = true];
  optional string s_uri_ref = 33 [(validate.rules).string.uri_ref = true];
  optional string s_addr = 34 [(validate.rules).string.address = true];
  optional string s_uuid = 35 [(validate.rules).string.uuid = true];
  optional string s_hname = 36 [(validate.rules).string.well_known_regex = HTTP_HEADER_NAME];
  optional string s_hval = 37 [(validate.rules).string.well_known_regex = HTTP_HEADER_VALUE];
  optional string s_re2 = 38 [(validate.rules).string.pattern = "(?i)\\\\Aab\\\\z"];
  optional string s_emoji = 39 [(validate.rules).string = {min_len: 2}];
  optional bytes y_len = 40 [(validate.rules).bytes = {len: 2}];
  optional bytes y_affix = 41 [(validate.rules).bytes = {prefix: "\\x01", suffix: "\\xff", contains: "b"}];
  optional bytes y_const = 42 [(validate.rules).bytes.const = "ok"];
  optional bytes y_in = 43 [(validate.rules).bytes = {in: ["a", "b"]}];
  optional bytes y_ipv4 = 44 [(validate.rules).bytes.ipv4 = true];
  optional bytes y_pattern = 45 [(validate.rules).bytes.pattern = "^[a-z]+$"];
  optional bytes y_min = 46 [(validate.rules).bytes.min_len = 2];
  optional Color e_const = 50 [(validate.rules).enum.const = 2];
  optional Color e_in = 51 [(validate.rules).enum = {in: [0, 1]}];
  google.protobuf.Duration du_const = 60 [(validate.rules).duration.const = {seconds: 2}];
  google.protobuf.Duration du_in = 61 [(validate.rules).duration = {in: [{seconds: 1}, {nanos: 5}]}];
  google.protobuf.Duration du_not_in = 62 [(validate.rules).duration = {not_in: [{}]}];
  google.protobuf.Timestamp ts_range = 70 [(validate.rules).timestamp = {gt: {seconds: 1000}, lte: {seconds: 2000}}];
  google.protobuf.Timestamp ts_const = 71 [(validate.rules).timestamp.const = {seconds: 5}];
  google.protobuf.Timestamp ts_past = 72 [(validate.rules).timestamp.lt_now = true];
  google.protobuf.Timestamp ts_future = 73 [(validate.rules).timestamp.gt_now = true];
  google.protobuf.Timestamp ts_within = 74 [(validate.rules).timestamp.within = {seconds: 60}];
  google.protobuf.Any any_in = 80 [(validate.rules).any = {in: ["type.googleapis.com/google.protobuf.Empty"]}];
  google.protobuf.Any any_not_in = 81 [(validate.rules).any = {not_in: ["type.googleapis.com/google.protobuf.Empty"]}];
  repeated string r_ie = 90 [(validate.rules).repeated = {min_items: 2, ignore_empty: true}];
  map<string, Leaf> m_pairs = 91 [(validate.rules).map = {max_pairs: 1, values: {message: {required: true}}}];
  map<uint32, string> m_keys = 92 [(validate.rules).map = {keys: {uint32: {lt: 10}}, values: {string: {min_len: 1}}}];
  Leaf skipped = 93 [(validate.rules).message.skip = true];
  Leaf checked = 94;
  repeated Leaf leaves = 95 [(validate.rules).repeated.items.message.skip = true];
  google.protobuf.UInt32Value w = 96 [(validate.rules).uint32.gt = 1];
  Off off = 97;
  optional string bogus = 98 [(validate.rules).string.frobnicate = 1];
  optional string bad_re = 99 [(validate.rules).string.pattern = "a(?i)b"];
  optional int32 wrong_kind = 100 [(validate.rules).string.min_len = 1];
  optional string new_kind = 101 [(validate.rules).cel = {expression: "true"}];
}
message Off { option (validate.disabled) = true; string x = 1 [(validate.rules).string.min_len = 1]; }
message Req {
  google.protobuf.Timestamp ts = 1 [(validate.rules).timestamp.required = true];
  oneof pick { option (validate.required) = true; string a = 2; int32 b = 3; }
}
`;

function syntheticRoot(): protobuf.Root {
  const root = new protobuf.Root();
  for (const f of ["any", "duration", "timestamp", "wrappers", "empty"]) {
    root.addJSON((protobuf.common as unknown as Record<string, { nested: protobuf.INamespace["nested"] }>)[`google/protobuf/${f}.proto`]!.nested!);
  }
  protobuf.parse(SYNTHETIC, root, { keepCase: true });
  root.resolveAll();
  return root;
}

describe("PGV rule kinds beyond the loaded protos (synthetic proto)", () => {
  const root = syntheticRoot();
  const K = root.lookupType("t.K");
  const run = (type: protobuf.Type, obj: Record<string, unknown>) =>
    lines(validateMessage(type, canonicalize(type, type.decode(type.encode(type.fromObject(obj)).finish())), "T"));
  const k = (obj: Record<string, unknown>) => run(K, obj);
  const now = Math.floor(Date.now() / 1000);

  const cases: [string, Record<string, unknown>, string[]][] = [
    ["float.gte", { f: 0.25 }, ["f: must be greater than or equal to 0.5"]],
    ["float.gte ok", { f: 0.5 }, []],
    ["double.in", { d: 2 }, ["d: must be one of [1.5, 2.5]"]],
    ["double.in ok", { d: 2.5 }, []],
    ["int32.not_in", { i32: 4 }, ["i32: must not be one of [3, 4]"]],
    ["int64 gt>lt is an excluded range", { i64: "7" }, ["i64: must be outside range [5, 10]"]],
    ["int64 outside ok", { i64: "11" }, []],
    ["int64 outside ok (low side)", { i64: "-9007199254740993" }, []],
    ["uint32.const", { u32: 8 }, ["u32: must equal 7"]],
    ["sint32 (gt, lte]", { s32: -1 }, ["s32: must be inside range (-1, 5]"]],
    ["sint64.lt", { s64: "-2" }, ["s64: must be less than -2"]],
    ["fixed32 gte>lte is an excluded range", { fx32: 5 }, ["fx32: must be outside range (2, 10)"]],
    ["fixed64.gte", { fx64: "99" }, ["fx64: must be greater than or equal to 100"]],
    ["sfixed32.lte", { sfx32: 0 }, ["sfx32: must be less than or equal to -1"]],
    ["sfixed64.const", { sfx64: "3" }, ["sfx64: must equal -3"]],
    ["uint32.ignore_empty skips 0", { u_ie: 0 }, []],
    ["uint32.ignore_empty checks others", { u_ie: 5 }, ["u_ie: must be greater than or equal to 10"]],
    ["bool.const", { b: true }, ["b: must be false"]],
    ["string.len counts characters", { s_len: "a😀" }, ["s_len: value must be exactly 3 characters"]],
    ["string.len ok with astral", { s_len: "a😀b" }, []],
    ["string.len_bytes", { s_lenb: "abc" }, ["s_lenb: value must be exactly 4 bytes"]],
    ["string.len_bytes ok", { s_lenb: "a😀".slice(1) }, []],
    ["string.min_bytes", { s_minb: "é" }, ["s_minb: value must be at least 3 bytes"]],
    ["string.max_len", { s_max: "abc" }, ["s_max: value must be at most 2 characters"]],
    ["string.const", { s_const: "y" }, ['s_const: must equal "x"']],
    ["string affixes", { s_affix: "bqz" }, ['s_affix: value must start with "a"', 's_affix: value must contain "m"', 's_affix: value must not contain "q"']],
    ["string affixes ok", { s_affix: "amz" }, []],
    ["string.not_in", { s_not_in: "no" }, ['s_not_in: must not be one of ["no"]']],
    ["string.email", { s_email: "nobody" }, ["s_email: must be a valid email address"]],
    ["string.email ok", { s_email: "Ops <ops@example.com>" }, []],
    ["string.hostname", { s_host: "-bad.example" }, ["s_host: must be a valid hostname"]],
    ["string.hostname ok", { s_host: "api.example.com." }, []],
    ["string.ip", { s_ip: "300.1.1.1" }, ["s_ip: must be a valid IP address"]],
    ["string.ipv4", { s_ipv4: "::1" }, ["s_ipv4: must be a valid IPv4 address"]],
    ["string.ipv6", { s_ipv6: "10.0.0.1" }, ["s_ipv6: must be a valid IPv6 address"]],
    ["string.ipv6 ok", { s_ipv6: "fe80::1" }, []],
    ["string.uri", { s_uri: "/relative" }, ["s_uri: must be a valid absolute URI"]],
    ["string.uri ok", { s_uri: "https://example.com/x?y" }, []],
    ["string.uri_ref", { s_uri_ref: "a b" }, ["s_uri_ref: must be a valid URI reference"]],
    ["string.uri_ref ok", { s_uri_ref: "../x?y#z" }, []],
    ["string.address", { s_addr: "not an address" }, ["s_addr: must be a valid IP address or hostname"]],
    ["string.address ok", { s_addr: "::1" }, []],
    ["string.uuid", { s_uuid: "1234" }, ["s_uuid: must be a valid UUID"]],
    ["string.uuid ok", { s_uuid: "123e4567-e89b-12d3-a456-426614174000" }, []],
    ["strict HTTP_HEADER_NAME", { s_hname: "x y" }, ["s_hname: must be a valid HTTP header name (RFC 7230 token characters)"]],
    ["strict HTTP_HEADER_NAME ok (pseudo-header)", { s_hname: ":authority" }, []],
    ["strict HTTP_HEADER_VALUE", { s_hval: "a\tb\u0001" }, ["s_hval: must be a valid HTTP header value (no control characters)"]],
    ["RE2 (?i), \\A, \\z", { s_re2: "AB\n" }, ['s_re2: value does not match regex pattern "(?i)\\\\Aab\\\\z"']],
    ["RE2 ok", { s_re2: "aB" }, []],
    ["string.min_len counts code points", { s_emoji: "😀" }, ["s_emoji: value must be at least 2 characters"]],
    ["bytes.len", { y_len: Buffer.from([1]) }, ["y_len: value must be exactly 2 bytes"]],
    ["bytes affixes", { y_affix: Buffer.from([2, 0xfe]) }, ["y_affix: value must start with the bytes 0x01", "y_affix: value must end with the bytes 0xff", "y_affix: value must contain the bytes 0x62"]],
    ["bytes affixes ok", { y_affix: Buffer.from([1, 0x62, 0xff]) }, []],
    ["bytes.const", { y_const: Buffer.from("no") }, ["y_const: must equal the bytes 0x6f6b"]],
    ["bytes.in", { y_in: Buffer.from("c") }, ["y_in: must be one of [0x61, 0x62]"]],
    ["bytes.ipv4", { y_ipv4: Buffer.from([1, 2, 3]) }, ["y_ipv4: must be a valid IPv4 address in bytes"]],
    ["bytes.pattern", { y_pattern: Buffer.from("A") }, ['y_pattern: value does not match regex pattern "^[a-z]+$"']],
    ["bytes.min_len", { y_min: Buffer.from([7]) }, ["y_min: value must be at least 2 bytes"]],
    ["enum.const", { e_const: "GREEN" }, ["e_const: must be BLUE"]],
    ["enum.in", { e_in: "BLUE" }, ["e_in: must be one of [RED, GREEN]"]],
    ["duration.const", { du_const: { seconds: 1 } }, ["du_const: must equal 2s"]],
    ["duration.in", { du_in: { seconds: 2 } }, ["du_in: must be one of [1s, 0.000000005s]"]],
    ["duration.in ok", { du_in: { nanos: 5 } }, []],
    ["duration.not_in", { du_not_in: {} }, ["du_not_in: must not be one of [0s]"]],
    ["timestamp gt/lte", { ts_range: { seconds: 1000 } }, ["ts_range: must be inside range (1970-01-01T00:16:40.000Z, 1970-01-01T00:33:20.000Z]"]],
    ["timestamp.const", { ts_const: { seconds: 6 } }, ["ts_const: must equal 1970-01-01T00:00:05.000Z"]],
    ["timestamp.lt_now", { ts_past: { seconds: now + 3600 } }, ["ts_past: must be in the past"]],
    ["timestamp.gt_now", { ts_future: { seconds: now - 3600 } }, ["ts_future: must be in the future"]],
    ["timestamp.within", { ts_within: { seconds: now - 3600 } }, ["ts_within: must be within 60s of the current time"]],
    ["timestamp.within ok", { ts_within: { seconds: now } }, []],
    ["any.in", { any_in: { type_url: "type.googleapis.com/google.protobuf.Duration", value: Buffer.alloc(0) } }, ["any_in: type URL must be one of [type.googleapis.com/google.protobuf.Empty]"]],
    ["any.not_in", { any_not_in: { type_url: "type.googleapis.com/google.protobuf.Empty", value: Buffer.alloc(0) } }, ["any_not_in: type URL must not be one of [type.googleapis.com/google.protobuf.Empty]"]],
    ["repeated.ignore_empty: empty is fine", { r_ie: [] }, []],
    ["repeated.ignore_empty: non-empty is checked", { r_ie: ["a"] }, ["r_ie: must have at least 2 item(s)"]],
    ["map.max_pairs and nested values", { m_pairs: { a: { id: "1" }, b: {} } }, ["m_pairs: must have at most 1 pair(s)", "m_pairs.b.id: value must be at least 1 characters"]],
    ["map keys (uint32) and values", { m_keys: { 3: "x", 12: "" } }, ['m_keys["12"]: key must be less than 10', 'm_keys["12"]: value must be at least 1 characters']],
    ["message.skip, and nested messages are checked otherwise", { skipped: {}, checked: {} }, ["checked.id: value must be at least 1 characters"]],
    ["repeated.items.message.skip", { leaves: [{}] }, []],
    ["wrapper gt", { w: { value: 1 } }, ["w: must be greater than 1"]],
    ["(validate.disabled) message", { off: {} }, []],
  ];
  for (const [name, obj, want] of cases) test(name, () => assert.deepEqual(k(obj).filter(notProblem), want));

  test("unknown kinds, uncheckable patterns and misplaced kinds are reported, never skipped", () => {
    assert.deepEqual(k({}).filter((l) => !notProblem(l)), [
      'bogus: cannot check (validate.rules): rule "string.frobnicate" is not supported',
      "bad_re: cannot check (validate.rules): string.pattern \"a(?i)b\" cannot be checked: inline flag groups have no JavaScript equivalent",
      'wrong_kind: cannot check (validate.rules): rule kind "string" does not apply to a field of type int32',
      'new_kind: cannot check (validate.rules): rule kind "cel" is not supported',
    ]);
  });

  test("timestamp.required and a required oneof", () => {
    assert.deepEqual(run(root.lookupType("t.Req"), {}), ["ts: is required", "exactly one of a, b must be set"]);
    assert.deepEqual(run(root.lookupType("t.Req"), { ts: { seconds: 1 }, b: 0 }), []);
  });
});

describe("RE2 patterns as JavaScript RegExps", () => {
  const cases: [string, string[], string[]][] = [
    ["^[0-9a-zA-Z_\\-\\.~:]+$", ["a-b.c~d:e_1"], ["a/b", ""]], // xds.core: RE2 escapes in a class
    ["^[^?#]+[^?#/]$", ["/api"], ["/api/", "/a?b"]],
    ["[[:digit:]]{3}", ["x123"], ["12"]],
    ["\\Qa.b\\E", ["a.b"], ["axb"]],
    ["^(?P<word>\\pL+)$", ["héllo"], ["h3llo"]],
    ["^\\x{1F600}$", ["😀"], ["x"]],
    ["^a\\s$", ["a "], ["a\u00a0"]], // RE2's \s is ASCII-only
    ["[]a]", ["]"], ["b"]],
  ];
  for (const [pattern, yes, no] of cases) {
    test(pattern, () => {
      const re = re2ToRegExp(pattern);
      for (const s of yes) assert.ok(re.test(s), `${pattern} should match ${JSON.stringify(s)}`);
      for (const s of no) assert.ok(!re.test(s), `${pattern} should not match ${JSON.stringify(s)}`);
    });
  }
  test("constructs JavaScript cannot express are refused, not approximated", () => {
    for (const p of ["a(?i)b", "(?U)a+", "\\C", "[[:nope:]]", "a\\Z"]) assert.throws(() => re2ToRegExp(p), Error, p);
  });
});

function notProblem(line: string): boolean {
  return !line.includes("cannot check (validate.rules)");
}
