// The codec's fast paths (issue 12, `meshc build` speed) must be invisible: toWireFast (api/strict-fast.ts) accepts
// exactly what toWire accepts and returns the same wire object, and the canonical form read from the built message
// (canonicalize(..., built), no decode) equals the one decoded from the bytes. Checked on every message the
// translator encodes for the backend golden cases and the synthetic mesh, and on inputs that must fail or differ.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { canonicalize, NOT_WIRE_EXACT } from "../../src/backends/envoy/api/canonical.js";
import { decodeMessage, encodeMessage } from "../../src/backends/envoy/api/codec.js";
import { messageType } from "../../src/backends/envoy/api/registry.js";
import { toWire } from "../../src/backends/envoy/api/strict.js";
import { FAIL, toWireFast } from "../../src/backends/envoy/api/strict-fast.js";
import { RESOURCE_TYPES, ResourceEncoder } from "../../src/backends/envoy/encode.js";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import type { ResourceKind } from "../../src/snapshot/types.js";
import { syntheticMesh } from "../../bench/synthetic-ir.js";
import { caseNames, loadCase } from "../backend/cases.js";
import { samples } from "./sample-resources.js";

const show = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? `bytes:${Buffer.from(x).toString("hex")}` : x));

/** Every (type, message) the translator hands the encoder, for the golden cases and a small synthetic mesh. */
function translatedMessages(): [string, unknown][] {
  const out: [string, unknown][] = [];
  const enc = ResourceEncoder.prototype.encode;
  const part = ResourceEncoder.prototype.encodePart;
  ResourceEncoder.prototype.encode = function (this: ResourceEncoder, kind: ResourceKind, name: string, msg: never) {
    out.push([RESOURCE_TYPES[kind], msg]);
    return enc.call(this, kind, name, msg);
  } as typeof enc;
  ResourceEncoder.prototype.encodePart = function (this: ResourceEncoder, typeName: never, key: string, msg: never, label: string) {
    out.push([typeName, msg]);
    return part.call(this, typeName, key, msg, label);
  } as typeof part;
  try {
    for (const name of caseNames()) translateMesh(loadCase(name));
    translateMesh(syntheticMesh({ services: 30 }));
  } finally {
    ResourceEncoder.prototype.encode = enc;
    ResourceEncoder.prototype.encodePart = part;
  }
  return out;
}

describe("codec fast paths", () => {
  const messages = [...translatedMessages(), ...samples().map((s) => [s.typeName, s.msg] as [string, unknown])];

  test("toWireFast returns toWire's wire object for every translated message", () => {
    assert.ok(messages.length > 500, `only ${messages.length} messages`);
    for (const [typeName, msg] of messages) {
      const type = messageType(typeName);
      const issues: never[] = [];
      const slow = toWire(type, msg, "", { resource: "R", issues });
      assert.deepEqual(issues, []);
      const fast = toWireFast(type, msg);
      assert.notEqual(fast, FAIL, `${typeName} refused by the fast path`);
      assert.equal(show(fast), show(slow), typeName);
    }
  });

  test("the canonical form without decoding equals the decoded one", () => {
    for (const [typeName, msg] of messages) {
      const r = encodeMessage(typeName, msg, "R");
      assert.ok(r.ok);
      assert.deepEqual(r.message.canonical, decodeMessage(typeName, r.message.bytes), typeName);
    }
  });

  test("floats read back as 32-bit values; a lone surrogate is refused with its path, not encoded", () => {
    const f = encodeMessage("google.protobuf.FloatValue", { value: 0.1 }, "R");
    assert.ok(f.ok);
    assert.equal(f.message.canonical.value, Math.fround(0.1));
    assert.notEqual(f.message.canonical.value, 0.1);
    // Such a string does not survive UTF-8: the codec decodes the bytes as it always did (protobufjs's strict
    // UTF-8 read refuses them), rather than returning a canonical form the bytes do not hold.
    const sv = messageType("google.protobuf.StringValue");
    assert.throws(() => canonicalize(sv, sv.fromObject({ value: "a\uD800b" }), true), NOT_WIRE_EXACT);
    // The encoder refuses it as an issue with its path (it used to throw protobufjs's UTF-8 error: exit 2, no position).
    const lone = encodeMessage("google.protobuf.StringValue", { value: "a\uD800b" }, "R");
    assert.ok(!lone.ok);
    assert.deepEqual(lone.issues.map((i) => [i.path, i.message]), [["value", "text with a lone surrogate (\\uD800 at index 1) has no UTF-8 form"]]);
    const key = encodeMessage("google.protobuf.Struct", { fields: { "k\uDC00": { stringValue: "v" } } }, "R");
    assert.ok(!key.ok, "a map key too");
    const ok = encodeMessage("google.protobuf.StringValue", { value: "a\uD83D\uDE00b" }, "R");
    assert.ok(ok.ok);
    assert.equal(ok.message.canonical.value, "a\uD83D\uDE00b");
  });

  test("whatever toWire reports an issue for, the fast path refuses (and the issues still come with paths)", () => {
    const cluster = "envoy.config.cluster.v3.Cluster";
    const bad: unknown[] = [
      { name: "c", nosuch: 1 },
      { name: 5 },
      { name: "c", type: "NOT_A_TYPE" },
      { name: "c", per_connection_buffer_limit_bytes: { value: -1 } },
      { name: "c", per_connection_buffer_limit_bytes: { value: 2 ** 32 } },
      { name: "c", connect_timeout: { seconds: "1.5" } },
      { name: "c", type: "STATIC", cluster_discovery_type: "type", cluster_type: { name: "x" } },
      { name: "c", metadata: { filter_metadata: { a: 1 } } },
      { name: "c", typed_extension_protocol_options: { x: { "@type": "type.googleapis.com/no.such.Type" } } },
      { name: "c", typed_extension_protocol_options: { x: { "@type": "type.googleapis.com/google.protobuf.StringValue", valu: "x" } } },
      { name: "c", load_assignment: { cluster_name: "c", endpoints: {} } },
      [],
      null,
    ];
    for (const msg of bad) {
      const issues: { path: string }[] = [];
      toWire(messageType(cluster), msg, "", { resource: "R", issues: issues as never });
      assert.ok(issues.length > 0, `toWire accepted ${show(msg)}`);
      assert.equal(toWireFast(messageType(cluster), msg), FAIL, show(msg));
      const r = encodeMessage(cluster, msg, "R");
      assert.ok(!r.ok);
    }
    const r = encodeMessage(cluster, { name: "c", load_assignment: { cluster_name: "c", endpoints: [{ lb_endpoints: [{ nosuch: 1 }] }] } }, "R");
    assert.ok(!r.ok);
    assert.equal(r.issues[0]!.path, "load_assignment.endpoints[0].lb_endpoints[0].nosuch");
  });
});
