// The hand-written ADS request decoder (src/xds/request-decode.ts) against protobufjs's reflection of Envoy's
// discovery.proto (what the server used before): the same requests decode to the same values, including fields the
// server skips (metadata, extensions, locators, unknown fields), and what protobufjs refuses (truncated data, invalid
// UTF-8, bad wire types) the decoder refuses too.
import assert from "node:assert/strict";
import { test } from "node:test";
import protobuf from "protobufjs";
import { messageType } from "../../src/backends/envoy/api/registry.js";
import { readDeltaRequest, readSotwRequest } from "../../src/xds/request-decode.js";
import type { DeltaRequest, NodeInfo, SotwRequest } from "../../src/xds/wire.js";

// ---- the reference: protobufjs decoding, mapped the way src/xds/wire.ts did before ----

interface PbNode {
  id: string;
  cluster: string;
  user_agent_name: string;
  user_agent_version?: string;
  user_agent_build_version?: { version?: { major_number?: number; minor_number?: number; patch?: number } } | null;
  locality?: { region: string; zone: string; sub_zone: string } | null;
  client_features: string[];
}

function refNode(n: PbNode | null | undefined): NodeInfo | undefined {
  if (!n) return undefined;
  const bv = n.user_agent_build_version?.version;
  const version = n.user_agent_version || (bv ? `${bv.major_number ?? 0}.${bv.minor_number ?? 0}.${bv.patch ?? 0}` : "");
  const info: NodeInfo = { id: n.id ?? "", cluster: n.cluster ?? "", userAgentName: n.user_agent_name ?? "", userAgentVersion: version, clientFeatures: [...(n.client_features ?? [])] };
  if (n.locality) info.locality = { region: n.locality.region ?? "", zone: n.locality.zone ?? "", sub_zone: n.locality.sub_zone ?? "" };
  return info;
}

const refStatus = (s: { code?: number; message?: string } | null | undefined) => (s ? { code: s.code ?? 0, message: s.message ?? "" } : undefined);

function refSotw(buf: Uint8Array): SotwRequest {
  const m = messageType("envoy.service.discovery.v3.DiscoveryRequest").decode(buf) as unknown as { version_info: string; node: PbNode | null; resource_names: string[]; type_url: string; response_nonce: string; error_detail: { code: number; message: string } | null };
  const req: SotwRequest = { versionInfo: m.version_info ?? "", resourceNames: [...(m.resource_names ?? [])], typeUrl: m.type_url ?? "", responseNonce: m.response_nonce ?? "" };
  const node = refNode(m.node);
  if (node) req.node = node;
  const err = refStatus(m.error_detail);
  if (err) req.errorDetail = err;
  return req;
}

function refDelta(buf: Uint8Array): DeltaRequest {
  const m = messageType("envoy.service.discovery.v3.DeltaDiscoveryRequest").decode(buf) as unknown as { node: PbNode | null; type_url: string; resource_names_subscribe: string[]; resource_names_unsubscribe: string[]; initial_resource_versions: Record<string, string> | null; response_nonce: string; error_detail: { code: number; message: string } | null };
  const req: DeltaRequest = { typeUrl: m.type_url ?? "", subscribe: [...(m.resource_names_subscribe ?? [])], unsubscribe: [...(m.resource_names_unsubscribe ?? [])], initialResourceVersions: { ...(m.initial_resource_versions ?? {}) }, responseNonce: m.response_nonce ?? "" };
  const node = refNode(m.node);
  if (node) req.node = node;
  const err = refStatus(m.error_detail);
  if (err) req.errorDetail = err;
  return req;
}

// ---- requests: a seeded generator covering every field of Node, both request types and error details ----

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}
const words = ["", "svc-0001", "web", "é→✓ünïcode", "replacement \uFFFD char", "😀", "type.googleapis.com/envoy.config.cluster.v3.Cluster", "x".repeat(300), "a b\tc"];

function randomNode(r: () => number): object {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const n: Record<string, unknown> = { id: pick(words), cluster: pick(words), user_agent_name: pick(words) };
  if (r() < 0.5) n.metadata = { fields: { team: { string_value: pick(words) }, n: { number_value: 3 }, nested: { struct_value: { fields: { a: { bool_value: true } } } } } };
  if (r() < 0.5) n.locality = { region: pick(words), zone: pick(words), ...(r() < 0.5 ? { sub_zone: pick(words) } : {}) };
  if (r() < 0.4) n.user_agent_version = pick(words);
  else if (r() < 0.6) n.user_agent_build_version = r() < 0.8 ? { version: { major_number: Math.floor(r() * 5), minor_number: Math.floor(r() * 50), patch: Math.floor(r() * 9) }, metadata: { fields: { k: { string_value: "v" } } } } : {};
  if (r() < 0.5) n.client_features = [pick(words), "envoy.lb.does_not_support_overprovisioning"];
  if (r() < 0.3) n.extensions = [{ name: "envoy.filters.http.router", category: "envoy.filters.http", type_urls: ["type.googleapis.com/x"] }];
  if (r() < 0.2) n.listening_addresses = [{ socket_address: { address: "127.0.0.1", port_value: 1 } }];
  if (r() < 0.2) n.dynamic_parameters = { "type.googleapis.com/x": { params: { a: "b" } } };
  return n;
}

function randomSotw(r: () => number): Uint8Array {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const t = messageType("envoy.service.discovery.v3.DiscoveryRequest");
  const o: Record<string, unknown> = { version_info: pick(words), type_url: pick(words), response_nonce: pick(["", "1", "42", pick(words)]) };
  if (r() < 0.6) o.node = randomNode(r);
  if (r() < 0.6) o.resource_names = Array.from({ length: Math.floor(r() * 4) }, () => pick(words));
  if (r() < 0.2) o.resource_locators = [{ name: "xdstp://a/b", dynamic_parameters: {} }];
  if (r() < 0.3) o.error_detail = { code: pick([0, 3, 13, -1, 2 ** 31 - 1]), message: pick(words), details: [{ type_url: "type.googleapis.com/x", value: Buffer.from([1, 2, 3]) }] };
  return t.encode(t.fromObject(o)).finish();
}

function randomDelta(r: () => number): Uint8Array {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const t = messageType("envoy.service.discovery.v3.DeltaDiscoveryRequest");
  const o: Record<string, unknown> = { type_url: pick(words), response_nonce: pick(["", "7", pick(words)]) };
  if (r() < 0.6) o.node = randomNode(r);
  if (r() < 0.6) o.resource_names_subscribe = Array.from({ length: Math.floor(r() * 4) }, () => pick(words));
  if (r() < 0.4) o.resource_names_unsubscribe = [pick(words)];
  if (r() < 0.4) o.initial_resource_versions = { [pick(words)]: pick(words), b: "v2" };
  if (r() < 0.2) o.resource_locators_subscribe = [{ name: "xdstp://a/b" }];
  if (r() < 0.3) o.error_detail = { code: pick([0, 3, 13]), message: pick(words) };
  return t.encode(t.fromObject(o)).finish();
}

test("ADS requests: the hand-written decoder reads what protobufjs reads (2,000 generated SotW and Delta requests)", () => {
  const r = rng(12);
  for (let i = 0; i < 1000; i++) {
    const s = randomSotw(r);
    assert.deepEqual(readSotwRequest(s), refSotw(s), `SotW request ${i}`);
    const d = randomDelta(r);
    assert.deepEqual(readDeltaRequest(d), refDelta(d), `Delta request ${i}`);
  }
});

test("ADS requests: unknown fields of every wire type are skipped; repeated singular fields keep the last value", () => {
  const w = protobuf.Writer.create();
  w.uint32((4 << 3) | 2).string("first");
  w.uint32((99 << 3) | 0).uint64(2 ** 40); // varint
  w.uint32((100 << 3) | 1).fixed64(7); // 64-bit
  w.uint32((101 << 3) | 5).fixed32(7); // 32-bit
  w.uint32((102 << 3) | 3).uint32((1 << 3) | 0).uint32(5).uint32((102 << 3) | 4); // group
  w.uint32((103 << 3) | 2).bytes(Buffer.from("opaque"));
  w.uint32((4 << 3) | 2).string("second");
  const buf = w.finish();
  assert.deepEqual(readSotwRequest(buf), refSotw(buf));
  assert.equal(readSotwRequest(buf).typeUrl, "second");
  // Both members of node's user_agent_version_type oneof on the wire: the string form wins, as before.
  const n = protobuf.Writer.create();
  n.uint32((2 << 3) | 2).fork();
  n.uint32((8 << 3) | 2).fork().uint32((1 << 3) | 2).fork().uint32(8).uint32(1).uint32(16).uint32(40).ldelim().ldelim();
  n.uint32((7 << 3) | 2).string("1.40.0-dev");
  n.ldelim();
  const both = n.finish();
  assert.deepEqual(readSotwRequest(both), refSotw(both));
  assert.equal(readSotwRequest(both).node?.userAgentVersion, "1.40.0-dev");
});

test("ADS requests: what protobufjs refuses, the decoder refuses (truncated, invalid UTF-8, bad wire type)", () => {
  const good = randomSotw(rng(3));
  const bad: [string, Uint8Array][] = [
    ["truncated", good.subarray(0, good.length - 1)],
    ["length past the end", Uint8Array.from([(4 << 3) | 2, 50, 65])],
    ["invalid UTF-8 in type_url", Uint8Array.from([(4 << 3) | 2, 2, 0xc3, 0x28])],
    ["invalid UTF-8 in node.id", Uint8Array.from([(2 << 3) | 2, 4, (1 << 3) | 2, 2, 0xff, 0xfe])],
    ["wire type 7", Uint8Array.from([(9 << 3) | 7, 1])],
    ["unterminated varint", Uint8Array.from([(99 << 3) | 0, 0xff, 0xff])],
  ];
  for (const [what, buf] of bad) {
    assert.throws(() => refSotw(buf), Error, `protobufjs accepts ${what}`);
    assert.throws(() => readSotwRequest(buf), Error, what);
  }
  // Delta: invalid UTF-8 in a subscribed name.
  const d = Uint8Array.from([(3 << 3) | 2, 1, 0x80]);
  assert.throws(() => refDelta(d));
  assert.throws(() => readDeltaRequest(d));
});

test("ADS requests: an initial_resource_versions key '__proto__' is an own property, not a prototype", () => {
  const t = messageType("envoy.service.discovery.v3.DeltaDiscoveryRequest");
  const w = protobuf.Writer.create();
  w.uint32((5 << 3) | 2).fork().uint32((1 << 3) | 2).string("__proto__").uint32((2 << 3) | 2).string("v1").ldelim();
  const buf = w.finish();
  void t;
  const req = readDeltaRequest(buf);
  assert.deepEqual(Object.keys(req.initialResourceVersions), ["__proto__"]);
  assert.equal(Object.getPrototypeOf(req.initialResourceVersions), Object.prototype);
});

test("ADS requests: served type URLs come back as the very constants; same-length near misses decode as written", async () => {
  const { TYPE_URLS } = await import("../../src/snapshot/types.js");
  const t = messageType("envoy.service.discovery.v3.DiscoveryRequest");
  const d = messageType("envoy.service.discovery.v3.DeltaDiscoveryRequest");
  for (const url of Object.values(TYPE_URLS)) {
    // The fast path (a byte compare against the known URLs) must give what a decode gives, for the URL and for
    // URLs of the same length that differ in the first, a middle or the last byte (and one byte shorter/longer).
    const last = url.length - 1;
    const mid = url.length >> 1;
    const variants = [url, `X${url.slice(1)}`, `${url.slice(0, mid)}#${url.slice(mid + 1)}`, `${url.slice(0, last)}Z`, url.slice(0, last), `${url}s`, `${url.slice(0, last)}é`];
    for (const v of variants) {
      const s = t.encode(t.fromObject({ type_url: v, version_info: "1", response_nonce: "2" })).finish();
      assert.deepEqual(readSotwRequest(s), refSotw(s), v);
      assert.equal(readSotwRequest(s).typeUrl, v);
      const dd = d.encode(d.fromObject({ type_url: v })).finish();
      assert.deepEqual(readDeltaRequest(dd), refDelta(dd), v);
    }
  }
});
