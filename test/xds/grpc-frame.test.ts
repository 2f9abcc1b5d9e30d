// gRPC message framing (src/xds/grpc-frame.ts) without a network: messages reassembled from any split of the byte
// stream (one byte at a time, random cuts, several messages per chunk), the size check on the prefix alone, flags,
// and grpc-message percent-encoding.
import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeGrpcMessage, frameMessage, MessageReader, messagePrefix, Status } from "../../src/xds/grpc-frame.js";

function stream(messages: Buffer[]): Buffer {
  return Buffer.concat(messages.map((m) => frameMessage(m)));
}

test("frame: any split of the byte stream yields the same messages (copied out of reused chunks)", () => {
  const messages = [Buffer.alloc(0), Buffer.from("a"), Buffer.alloc(70_000, 7), Buffer.from("hello"), Buffer.alloc(4, 1)];
  const bytes = stream(messages);
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (const cut of [1, 2, 5, 6, 4096, bytes.length, -1]) {
    const r = new MessageReader(1 << 20);
    const got: Buffer[] = [];
    for (let off = 0; off < bytes.length; ) {
      const n = cut > 0 ? cut : 1 + Math.floor(rand() * 9000);
      // A fresh copy per chunk, overwritten after push: a message must not alias a chunk after push returns.
      const chunk = Buffer.from(bytes.subarray(off, off + n));
      assert.equal(r.push(chunk, (m) => got.push(Buffer.from(m))), undefined);
      chunk.fill(0xff);
      off += n;
    }
    assert.deepEqual(got, messages, `cut ${cut}`);
    assert.equal(r.partial, false);
  }
});

test("frame: a prefix over the limit is refused from its 5 bytes alone; flags other than 0 are refused", () => {
  const r = new MessageReader(1000);
  const head = messagePrefix(1001);
  let called = false;
  assert.equal(r.push(head.subarray(0, 3), () => (called = true)), undefined);
  assert.equal(r.partial, true);
  const err = r.push(head.subarray(3), () => (called = true));
  assert.deepEqual(err, { code: Status.RESOURCE_EXHAUSTED, details: "Received message larger than max (1001 vs. 1000)" });
  assert.equal(called, false);
  const compressed = frameMessage(Buffer.from("x"));
  compressed[0] = 1;
  assert.equal(new MessageReader(1000).push(compressed, () => assert.fail())?.code, Status.UNIMPLEMENTED);
  compressed[0] = 0x80;
  assert.equal(new MessageReader(1000).push(compressed, () => assert.fail())?.code, Status.INTERNAL);
  assert.equal(new MessageReader(1000).push(frameMessage(Buffer.alloc(1000)), () => {}), undefined, "exactly the limit is fine");
});

test("frame: grpc-message percent-encodes everything outside printable ASCII, and '%'", () => {
  assert.equal(encodeGrpcMessage("plain text: ok"), "plain text: ok");
  assert.equal(encodeGrpcMessage("100% wéb\n"), "100%25 w%C3%A9b%0A");
  assert.equal(decodeURIComponent(encodeGrpcMessage("ünïcødé – 100%")), "ünïcødé – 100%");
});
