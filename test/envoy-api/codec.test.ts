// The codec façade: typed -> bytes -> canonical -> Envoy JSON -> bytes is lossless and byte-identical for valid
// resources of every kind; Any carries the packed type's URL; typos inside an Any payload are errors (protobufjs
// alone would drop them); the JSON door applies the same strictness and (validate.rules) as the typed one.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { decodeMessage, encodeJson, encodeMessage, messageToJson, pack, type EncodedMessage } from "../../src/backends/envoy/api/codec.js";
import { formatIssue } from "../../src/backends/envoy/api/issues.js";
import type { Json } from "../../src/backends/envoy/api/json.js";
import { edsCluster, HCM, httpConnectionManager, listener, ROUTER, routeConfig, samples } from "./sample-resources.js";

function encoded(typeName: string, msg: unknown, label = "R"): EncodedMessage {
  const r = encodeMessage(typeName, msg, label);
  if (!r.ok) assert.fail(r.issues.map(formatIssue).join("\n"));
  return r.message;
}

type Obj = { [k: string]: Json };
const at = (j: Json, ...keys: (string | number)[]): Json => keys.reduce<Json>((x, k) => (x as Obj)[k]!, j);

describe("round trip typed -> bytes -> canonical -> JSON -> bytes", () => {
  for (const s of samples()) {
    test(s.label, () => {
      const m = encoded(s.typeName, s.msg, s.label);
      assert.deepEqual(decodeMessage(s.typeName, m.bytes), m.canonical);
      // Through text, as a build directory's JSON file would be.
      const json = JSON.parse(JSON.stringify(messageToJson(s.typeName, m.canonical))) as Json;
      const back = encodeJson(s.typeName, json, s.label);
      if (!back.ok) assert.fail(back.issues.map(formatIssue).join("\n"));
      assert.deepEqual(Buffer.from(back.message.bytes), Buffer.from(m.bytes));
      assert.deepEqual(back.message.canonical, m.canonical);
      assert.equal(back.message.typeUrl, `type.googleapis.com/${s.typeName}`);
    });
  }
});

describe("Envoy JSON form", () => {
  test("durations read like 1.5s; wrappers are bare values; int64 as strings", () => {
    const c = messageToJson("envoy.config.cluster.v3.Cluster", encoded("envoy.config.cluster.v3.Cluster", edsCluster()).canonical);
    assert.equal(at(c, "connect_timeout"), "1.5s");
    const rc = messageToJson("envoy.config.route.v3.RouteConfiguration", encoded("envoy.config.route.v3.RouteConfiguration", routeConfig()).canonical);
    const route = at(rc, "virtual_hosts", 0, "routes", 0, "route");
    assert.equal(at(route, "timeout"), "15s");
    assert.deepEqual(at(route, "weighted_clusters", "clusters"), [
      { name: "payments-v1", weight: 90 },
      { name: "payments-v2", weight: 10 },
    ]);
  });

  test("pack() sets the type URL of the message it packs, and JSON keeps it", () => {
    assert.deepEqual(pack(ROUTER, {}), { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" });
    const hcm = pack(HCM, { stat_prefix: "in" });
    assert.equal(hcm["@type"], `type.googleapis.com/${HCM}`);
    assert.equal(hcm.stat_prefix, "in");
    const l = messageToJson("envoy.config.listener.v3.Listener", encoded("envoy.config.listener.v3.Listener", listener()).canonical);
    const tc = at(l, "filter_chains", 0, "filters", 0, "typed_config");
    assert.equal(at(tc, "@type"), `type.googleapis.com/${HCM}`);
    assert.equal(at(tc, "stat_prefix"), "ingress_http");
    assert.deepEqual(at(tc, "http_filters", 0, "typed_config"), { "@type": `type.googleapis.com/${ROUTER}` });
  });

  test("a well-known type inside an Any nests under value", () => {
    const b = encoded("envoy.config.core.v3.TypedExtensionConfig", {
      name: "d",
      typed_config: { "@type": "type.googleapis.com/google.protobuf.Duration", seconds: 2 },
    });
    const json = messageToJson("envoy.config.core.v3.TypedExtensionConfig", b.canonical);
    assert.deepEqual(at(json, "typed_config"), { "@type": "type.googleapis.com/google.protobuf.Duration", value: "2s" });
    const back = encodeJson("envoy.config.core.v3.TypedExtensionConfig", json, "R");
    assert.ok(back.ok && Buffer.from(back.message.bytes).equals(Buffer.from(b.bytes)));
  });
});

describe("strictness inside Any payloads", () => {
  test("a typo in a typed Any payload is an error, not dropped", () => {
    const hcm = { ...httpConnectionManager(), stat_prefx: "typo" };
    const r = encodeMessage("envoy.config.listener.v3.Listener", listener(hcm as ReturnType<typeof httpConnectionManager>), 'Listener "l"');
    assert.equal(r.ok, false);
    assert.deepEqual(!r.ok && r.issues.map(formatIssue), [
      'Listener "l": filter_chains[0].filters[0].typed_config.stat_prefx: unknown field "stat_prefx" in HttpConnectionManager',
    ]);
  });

  test("a typo in a JSON Any payload is an error too", () => {
    const m = encoded("envoy.config.listener.v3.Listener", listener());
    const json = messageToJson("envoy.config.listener.v3.Listener", m.canonical) as Obj;
    const tc = at(json, "filter_chains", 0, "filters", 0, "typed_config") as Obj;
    tc.http_filterz = tc.http_filters!;
    delete tc.http_filters;
    const r = encodeJson("envoy.config.listener.v3.Listener", json, "L");
    assert.deepEqual(!r.ok && r.issues.map((i) => `${i.path}: ${i.message}`), [
      'filter_chains[0].filters[0].typed_config.http_filterz: unknown field "http_filterz" in HttpConnectionManager',
    ]);
  });

  test("JSON goes through the same (validate.rules) as typed input", () => {
    const json = messageToJson("envoy.config.cluster.v3.Cluster", encoded("envoy.config.cluster.v3.Cluster", edsCluster()).canonical) as Obj;
    const r = encodeJson("envoy.config.cluster.v3.Cluster", { ...json, connect_timeout: "0s" }, 'Cluster "payments"');
    assert.deepEqual(!r.ok && r.issues.map(formatIssue), ['Cluster "payments": connect_timeout: must be greater than 0s']);
  });
});
