// stableJson (src/build/render.ts: manifest.json, state files) is written directly instead of through sorted copies
// of every object; its text must stay exactly JSON.stringify(<keys sorted>, null, 2) + "\n" for any value.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { stableJson } from "../../src/build/render.js";

/** The definition (the implementation before). */
function reference(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]));
    return v;
  };
  return `${JSON.stringify(sort(value), null, 2)}\n`;
}

test("stableJson equals sorted JSON.stringify for any JSON value", () => {
  fc.assert(fc.property(fc.jsonValue(), (v) => assert.equal(stableJson(v), reference(v))), { numRuns: 2000 });
});

test("and for values JSON.stringify treats specially", () => {
  const odd: unknown[] = [
    { b: undefined, a: 1, c: () => 1 },
    [undefined, () => 1, Symbol("x"), NaN, -0, Infinity],
    { d: new Date(0), m: new Map([[1, 2]]), nested: { z: { toJSON: () => "t" } } },
    { __proto__: null, b: 2, a: { y: [], x: {} } },
    Object.fromEntries([["__proto__", 1], ["a", 2]]),
    { "": 0, "0": null, "10": 1, "9": 2, "1a": 3, svc: { "2": [] } },
    "é\u2028\"",
    {},
    [],
  ];
  for (const v of odd) assert.equal(stableJson(v), reference(v));
});
