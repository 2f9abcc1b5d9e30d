// illFormedStrings (src/ir/well-formed.ts) finds every string and key with a lone surrogate, in walk order, with its
// path: checked against a plain reference walk (the one it replaced, which copied the path at every value) on random
// nested values full of surrogate halves, shared objects and cycles.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { illFormedStrings, isWellFormed } from "../../src/ir/well-formed.js";

const LONE = /\p{Cs}/u;

function reference(value: unknown): PropertyKey[][] {
  const out: PropertyKey[][] = [];
  const seen = new Set<object>();
  const walk = (v: unknown, path: PropertyKey[]) => {
    if (typeof v === "string") {
      if (LONE.test(v)) out.push(path);
      return;
    }
    if (v === null || typeof v !== "object" || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) walk(v[i], [...path, i]);
      return;
    }
    for (const k of Object.keys(v)) {
      if (LONE.test(k)) out.push([...path, k]);
      walk((v as Record<string, unknown>)[k], [...path, k]);
    }
  };
  walk(value, []);
  return out;
}

const text = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.constantFrom("\uD800", "a\uDC00b", "\uD83D\uDE00", "x\uD83D", ""));
const tree = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: "small" }, text, fc.integer(), fc.constant(null), fc.constant(undefined), tie("list"), tie("record")),
  list: fc.array(tie("node"), { maxLength: 5 }),
  record: fc.dictionary(text, tie("node"), { maxKeys: 5 }),
})).node;

test("illFormedStrings finds what the reference walk finds, in the same order", () => {
  fc.assert(
    fc.property(tree, fc.boolean(), (value, share) => {
      // Shared and cyclic objects: each object is walked once.
      const v = share && value !== null && typeof value === "object" ? { a: value, b: value, self: undefined as unknown } : value;
      if (v !== value) (v as { self: unknown }).self = v;
      assert.deepEqual(illFormedStrings(v), reference(v));
    }),
    { numRuns: 500 },
  );
});

test("isWellFormed agrees with the lone-surrogate regex", () => {
  fc.assert(fc.property(text, (s) => assert.equal(isWellFormed(s), !LONE.test(s))), { numRuns: 2000 });
});
