// Text in a mesh ends up in protobuf `string` fields, which must be UTF-8; a JavaScript string with a lone surrogate
// ("\uD800" not followed by its pair) has no UTF-8 form, and the encoder used to fail on it with an internal error
// (exit 2, no position). Shared by every stage that takes text from outside: validation (MESH0003 at the element
// that holds it), registry entries, and the Envoy schema check (patch results).

// In a /u regex a surrogate pair is one code point (not in Cs): only lone surrogates match.
const LONE = /\p{Cs}/u;

// V8's own check where the runtime has it (Node 20+): no regex run per string (validation checks every string of a
// model, ~100,000 in the 1,000-service mesh).
const native = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;

/** Whether `s` has a UTF-8 form (String.prototype.isWellFormed, which the ES2023 library typings lack). */
export function isWellFormed(s: string): boolean {
  return native ? native.call(s) : !LONE.test(s);
}

/** Paths (model keys) of every string or key in `value` that is not well-formed UTF-16, depth-first, in order. */
export function illFormedStrings(value: unknown): PropertyKey[][] {
  const out: PropertyKey[][] = [];
  const seen = new Set<object>();
  // One path, pushed and popped as the walk goes; copied only for a finding (issue 12 item 5: a copy per value was
  // a third of validating the 1,000-service mesh).
  const path: PropertyKey[] = [];
  const walk = (v: unknown) => {
    if (typeof v === "string") {
      if (!isWellFormed(v)) out.push([...path]);
      return;
    }
    if (v === null || typeof v !== "object" || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (x === null || (typeof x !== "object" && typeof x !== "string")) continue;
        path.push(i);
        walk(x);
        path.pop();
      }
      return;
    }
    for (const k of Object.keys(v)) {
      if (!isWellFormed(k)) out.push([...path, k]);
      const x = (v as Record<string, unknown>)[k];
      if (x === null || (typeof x !== "object" && typeof x !== "string")) continue;
      path.push(k);
      walk(x);
      path.pop();
    }
  };
  walk(value);
  return out;
}

/** Where the first lone surrogate is, for the message. */
export function loneSurrogate(s: string): { index: number; unit: string } {
  const m = LONE.exec(s);
  return m ? { index: m.index, unit: `\\u${m[0].charCodeAt(0).toString(16).toUpperCase()}` } : { index: -1, unit: "" };
}
