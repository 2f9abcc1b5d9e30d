// SotW responses are written straight into a buffer of the exact size (src/xds/wire.ts serializeSotwResponse): the
// bytes equal protobufjs's Writer output (what the server wrote before), for empty and multi-byte versions, long
// nonces, every resource kind and a response whose length prefixes take several bytes; the framed variant (the
// gRPC prefix written in front, what the server sends) equals frameMessage() of the same bytes.
import assert from "node:assert/strict";
import { test } from "node:test";
import protobuf from "protobufjs";
import { frameMessage, MessageReader } from "../../src/xds/grpc-frame.js";
import { anyBytes, decodeSotwResponse, serializeSotwResponse, serializeSotwResponseFramed, type SotwResponseOut } from "../../src/xds/wire.js";
import type { EncodedResource } from "../../src/snapshot/types.js";
import { webProxy } from "./fixtures.js";

/** google.protobuf.Any as protobufjs writes it (what anyBytes wrote before it encoded by hand). */
function referenceAny(r: EncodedResource): Uint8Array {
  return protobuf.Writer.create().uint32((1 << 3) | 2).string(r.typeUrl).uint32((2 << 3) | 2).bytes(r.bytes).finish();
}

function reference(res: SotwResponseOut): Buffer {
  const w = protobuf.Writer.create();
  if (res.versionInfo) w.uint32((1 << 3) | 2).string(res.versionInfo);
  for (const r of res.resources) w.uint32((2 << 3) | 2).bytes(referenceAny(r));
  w.uint32((4 << 3) | 2).string(res.typeUrl);
  w.uint32((5 << 3) | 2).string(res.nonce);
  w.uint32((6 << 3) | 2).bytes(protobuf.Writer.create().uint32((1 << 3) | 2).string("meshc").finish());
  return Buffer.from(w.finish());
}

test("SotW responses: written bytes equal protobufjs's encoding", () => {
  const p = webProxy();
  let n = 0;
  for (const kind of ["cluster", "endpoint", "listener", "route", "secret"] as const) {
    for (const versionInfo of ["", "385e7ae917de50ba", "é".repeat(200)]) {
      for (const nonce of ["1", "x".repeat(300)]) {
        const res = { versionInfo, typeUrl: `type.googleapis.com/${kind}`, nonce, resources: p.resources[kind] ?? [] };
        const got = serializeSotwResponse(res);
        assert.deepEqual(got, reference(res), `${kind} ${versionInfo.length} ${nonce.length}`);
        assert.equal(decodeSotwResponse(got).resources.length, res.resources.length);
        n++;
      }
    }
  }
  const big = { versionInfo: "v", typeUrl: "t", nonce: "1", resources: Array.from({ length: 3000 }, () => p.resources.route[0]!) };
  assert.deepEqual(serializeSotwResponse(big), reference(big));
  assert.equal(n, 30);
});

test("SotW responses framed for the wire: the 5-byte gRPC prefix and the same bytes, in one buffer", () => {
  const p = webProxy();
  let n = 0;
  for (const kind of ["cluster", "endpoint", "listener", "route", "secret"] as const) {
    for (const versionInfo of ["", "385e7ae917de50ba", "é".repeat(200)]) {
      const res = { versionInfo, typeUrl: `type.googleapis.com/${kind}`, nonce: String(n + 1), resources: p.resources[kind] ?? [] };
      const framed = serializeSotwResponseFramed(res);
      assert.deepEqual(framed, frameMessage(reference(res)), `${kind} ${versionInfo.length}`);
      const messages: Buffer[] = [];
      assert.equal(new MessageReader(1 << 30).push(framed, (m) => messages.push(Buffer.from(m))), undefined);
      assert.equal(messages.length, 1);
      assert.equal(decodeSotwResponse(messages[0]!).resources.length, res.resources.length);
      n++;
    }
  }
  // A message over 64 KiB (the transport used to write such messages as a separate prefix and body).
  const big = { versionInfo: "v", typeUrl: "t", nonce: "1", resources: Array.from({ length: 3000 }, () => p.resources.route[0]!) };
  const framed = serializeSotwResponseFramed(big);
  assert.ok(framed.length > 64 * 1024);
  assert.deepEqual(framed, frameMessage(reference(big)));
  assert.equal(framed.readUInt32BE(1), framed.length - 5);
  assert.equal(n, 15);
});

test("Any wrappers: written bytes equal protobufjs's encoding (short and multi-byte lengths, non-ASCII type URL)", () => {
  const p = webProxy();
  const all = Object.values(p.resources).flat();
  assert.ok(all.length > 5);
  for (const r of all) assert.deepEqual(Buffer.from(anyBytes(r)), Buffer.from(referenceAny(r)), r.name);
  const base = all[0]!;
  for (const [typeUrl, size] of [["t", 0], ["type.googleapis.com/x", 127], ["type.googleapis.com/" + "y".repeat(200), 128], ["type.googleapis.com/é", 70_000]] as const) {
    const r = { ...base, typeUrl, bytes: Buffer.alloc(size, 7) };
    assert.deepEqual(Buffer.from(anyBytes(r)), Buffer.from(referenceAny(r)), `${typeUrl.length} ${size}`);
    assert.equal(anyBytes(r), anyBytes(r), "built once per resource object");
  }
});

test("SotW responses: resources whose Any length crosses a varint boundary (127/128, 16383/16384), served type URLs", async () => {
  const { TYPE_URLS } = await import("../../src/snapshot/types.js");
  const base = Object.values(webProxy().resources).flat()[0]!;
  let n = 0;
  for (const typeUrl of ["t", ...Object.values(TYPE_URLS)]) {
    for (const sizes of [[100, 140], [16_300, 16_400]] as const) {
      for (let size = sizes[0]; size <= sizes[1]; size++) {
        // A fresh resource object per case: the cached field of one size is never reused for another.
        const r = { ...base, typeUrl, bytes: Buffer.alloc(size, size & 0xff) };
        const res = { versionInfo: "v1", typeUrl, nonce: String(size), resources: [r, r] };
        assert.deepEqual(serializeSotwResponseFramed(res), frameMessage(reference(res)), `${typeUrl} ${size}`);
        assert.deepEqual(Buffer.from(anyBytes(r)), Buffer.from(referenceAny(r)), `${typeUrl} ${size} Any`);
        n++;
      }
    }
  }
  assert.equal(n, 6 * 142);
});
