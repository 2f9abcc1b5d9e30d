// sha256 (src/snapshot/sha256.ts) replaces createHash().update().digest() behind contentHash, versionOf and the
// build's digests: versions and encoded.json must not change, so it must give the same digest for any input.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import fc from "fast-check";
import { sha256 } from "../../src/snapshot/sha256.js";

test("sha256 equals createHash's digest for any string (as UTF-8) or bytes", () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: "binary" }), fc.uint8Array({ maxLength: 4096 })), fc.constantFrom("hex" as const, "base64" as const), (data, enc) => {
      assert.equal(sha256(data, enc), createHash("sha256").update(data).digest(enc));
    }),
    { numRuns: 500 },
  );
  const whole = Buffer.from("..abc..");
  const view = new Uint8Array(whole.buffer, whole.byteOffset + 2, 3);
  assert.equal(sha256(view, "hex"), createHash("sha256").update("abc").digest("hex"), "a view hashes its own bytes only");
});
