// The model's wire format (src/frontend/model-wire.ts) against random values: whatever the worker's model holds
// (JSON values, undefined, NaN, -0, ±Infinity, bigints, dates, "\u0000" and "__proto__" keys, shared and cyclic
// objects, brands and sites), the parent decodes a deep-equal copy, and sharing stays sharing.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { FIELD_SITES, MESH, SITE } from "../../src/dsl/brand.js";
import { decodeModel, encodeModel, type DecodeInfo } from "../../src/frontend/model-wire.js";
import { illFormedStrings } from "../../src/ir/well-formed.js";

const key = fc.oneof(fc.string(), fc.constantFrom("\u0000", "__proto__", "0", "1", "01", "t", "v", "n", "root"));
const leaf = fc.oneof(
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.double(), // NaN, -0, ±Infinity included
  fc.integer(),
  fc.bigInt(),
  fc.date({ noInvalidDate: false }),
);
const tree = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: "small", maxDepth: 5 }, leaf, tie("arr"), tie("obj")),
  arr: fc.array(tie("node"), { maxLength: 5 }),
  obj: fc.array(fc.tuple(key, tie("node")), { maxLength: 5 }).map((entries) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
    return o;
  }),
})).node;

/** Gives some objects of `v` a brand, a site and field sites, as the DSL does. */
function decorate(v: unknown, seed: { n: number }): void {
  if (v === null || typeof v !== "object" || v instanceof Date) return;
  if (!Array.isArray(v)) {
    const o = v as Record<symbol, unknown>;
    const n = seed.n++;
    if (n % 2 === 0) o[SITE] = { file: `file:///m${n % 3}.mjs`, line: n + 1, column: (n % 7) + 1 };
    if (n % 3 === 0) o[MESH] = true;
    if (n % 5 === 0) o[FIELD_SITES] = { timeout: { file: "file:///m.mjs", line: 9, column: n }, __proto__x: { file: "x", line: 0, column: 0 } };
  }
  for (const x of Object.values(v)) decorate(x, seed);
}

// Text with and without lone surrogates, as values and keys (and inside "\u0000"-keyed objects and shared objects).
const text = fc.oneof(fc.string(), fc.constantFrom("\uD800", "a\uDC00b", "\uD83D\uDE00", "x\uD83D", "\u0000"));
const textTree = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: "small", maxDepth: 5 }, text, fc.integer(), fc.constant(undefined), fc.bigInt(), tie("arr"), tie("obj")),
  arr: fc.array(tie("node"), { maxLength: 5 }),
  obj: fc.array(fc.tuple(fc.oneof(key, text), tie("node")), { maxLength: 5 }).map((entries) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
    return o;
  }),
})).node;

describe("model wire", () => {
  test("decoding reports well-formed text exactly when validation's walk would find no lone surrogate", () => {
    fc.assert(
      fc.property(textTree, fc.boolean(), (value, share) => {
        const v = share ? { a: value, b: value } : value;
        const info: DecodeInfo = {};
        const copy = decodeModel(encodeModel(v), info);
        assert.equal(info.wellFormed, illFormedStrings(copy).length === 0);
      }),
      { numRuns: 500 },
    );
  });

  test("random models decode to deep-equal copies, with brands and sites", () => {
    fc.assert(
      fc.property(tree, (value) => {
        decorate(value, { n: 0 });
        const copy = decodeModel(structuredClone(encodeModel(value)));
        assert.ok(isDeepStrictEqual(copy, value), "deep equal (own enumerable string and symbol keys, -0, NaN)");
      }),
      { numRuns: 300 },
    );
  });

  test("shared and cyclic objects stay shared, in arrays and objects", () => {
    const shared = { a: 1 };
    const list: unknown[] = [shared, shared];
    const root: Record<string, unknown> = { list, again: list, shared, when: new Date(5) };
    root.self = root;
    root.whenAgain = root.when;
    list.push(list);
    const copy = decodeModel(encodeModel(root)) as typeof root & { list: unknown[] };
    assert.equal(copy.self, copy);
    assert.equal(copy.again, copy.list);
    assert.equal(copy.list[0], copy.list[1]);
    assert.equal(copy.list[0], copy.shared);
    assert.equal(copy.list[2], copy.list);
    assert.equal(copy.whenAgain, copy.when);
    assert.equal((copy.when as Date).getTime(), 5);
  });

  test("an own __proto__ key stays an own property and does not change the prototype", () => {
    const o = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as Record<string, unknown>;
    const copy = decodeModel(encodeModel({ o })) as { o: Record<string, unknown> };
    assert.equal(Object.getPrototypeOf(copy.o), Object.prototype);
    assert.deepEqual(Object.keys(copy.o), ["__proto__", "x"]);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});
