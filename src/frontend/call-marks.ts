// Call marks (issue 12 item 5): makes call-site capture nearly free for a mesh that calls the DSL from a few places
// many times (a loop over a table of services), without changing a single reported position.
//
// Capturing a site costs a V8 stack capture per DSL call (~10 µs cold, 14,000 calls in the 1,000-service mesh) and
// resolving it into a position as much again. After esbuild has bundled the mesh, every call expression of the user's
// code (not the DSL's own) gets a number k: its last argument `a` becomes `__meshcS(k,a)` (a zero-argument call gets
// `...__meshcZ(k)`), which records k in a global just before the call is made. The DSL's captureSite (src/dsl/site.ts)
// reads and clears that mark: the first time call k invokes a given DSL function it captures the stack as before and
// checks that V8's position lies inside call k's range (the table below: the DSL function was called by call k
// itself, not through something unmarked); from then on the same call k invoking the same function gets that same
// captured site back without a capture. So every position is still the one V8 reported for that call.
//
// The insertions shift columns of the lines they are on: the bundle's source map is rewritten (generated columns of
// those lines only) so that every consumer maps positions in the marked bundle exactly as before.
import { parse, type Node } from "acorn";
import type { RawSourceMap } from "./sourcemap.js";

/** The global the helpers write the current mark to, and the global holding the call-range table (site.ts reads both). */
export const MARK_GLOBAL = "__meshcSiteMark";
export const TABLE_GLOBAL = "__meshcSiteTable";

interface Insertion {
  offset: number;
  text: string;
}

interface CallNode extends Node {
  type: "CallExpression";
  callee: Node;
  arguments: (Node & { argument?: Node })[];
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_VALUE[B64.charCodeAt(i)] = i;

/**
 * Marking pays only for calls that run many times (a loop over a table); a mesh whose user modules hold more
 * parentheses than this is written one statement per thing, runs most calls once, and is left unmarked (parsing it
 * would cost more than the captures it saves).
 */
export const MAX_MARKED_PARENS = 3000;

/**
 * Marks the user's calls in an esbuild bundle (not minified: each module starts at a `// <path>` line, the paths
 * of `inputs`). `isUserModule(path)` says whether a module is the user's (not the DSL's). Returns the marked text and
 * its source map, or undefined when the user's modules are too many calls to pay off or cannot be parsed here (the
 * bundle is then evaluated unmarked, every site captured).
 */
export function markCalls(text: string, map: RawSourceMap, inputs: readonly string[], isUserModule: (input: string) => boolean): { text: string; map: RawSourceMap; calls: number } | undefined {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  // The user's modules: from the line after their `// <path>` comment to the next module's comment.
  const known = new Set(inputs);
  const chunks: { start: number; end: number }[] = [];
  let open: number | undefined;
  let parens = 0;
  const close = (end: number) => {
    if (open === undefined) return;
    const chunk = text.slice(open, end);
    let n = 0;
    for (let i = chunk.indexOf("("); i >= 0; i = chunk.indexOf("(", i + 1)) n++;
    if (n > 0) chunks.push({ start: open, end });
    parens += n;
    open = undefined;
  };
  for (let l = 0; l < lineStarts.length; l++) {
    const s = lineStarts[l]!;
    if (text.charCodeAt(s) !== 47 || text.charCodeAt(s + 1) !== 47 || text.charCodeAt(s + 2) !== 32) continue; // "// "
    const e = l + 1 < lineStarts.length ? lineStarts[l + 1]! - 1 : text.length;
    const path = text.slice(s + 3, e);
    if (!known.has(path)) continue;
    close(s);
    if (isUserModule(path)) open = e;
  }
  close(text.length);
  if (parens > MAX_MARKED_PARENS) return undefined;
  // Each module's text is a list of whole statements; its nodes' offsets are relative to its start.
  const asts: { ast: Node; base: number }[] = [];
  for (const { start, end } of chunks) {
    try {
      asts.push({ ast: parse(text.slice(start, end), { ecmaVersion: "latest", sourceType: "module", preserveParens: true, allowAwaitOutsideFunction: true }), base: start });
    } catch {
      return undefined;
    }
  }
  const lineOf = (offset: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  // Names the bundle does not use.
  let suffix = "";
  while (text.includes(`__meshcS${suffix}`) || text.includes(`__meshcZ${suffix}`) || text.includes(`__meshcT${suffix}`)) suffix = `${suffix}_`;
  const S = `__meshcS${suffix}`;
  const Z = `__meshcZ${suffix}`;
  const T = `__meshcT${suffix}`;

  const insertions: Insertion[] = [];
  /** Bundle offsets of each marked call: start, end. */
  const calls: number[] = [];
  let base = 0;
  const visit = (node: Node) => {
    if (node.type === "CallExpression") {
      const call = node as CallNode;
      const k = calls.push(base + call.start, base + call.end) / 2 - 1;
      const args = call.arguments;
      const last = args[args.length - 1];
      if (!last) insertions.push({ offset: base + call.end - 1, text: `...${Z}(${k})` });
      else {
        const target = last.type === "SpreadElement" ? last.argument! : last;
        insertions.push({ offset: base + target.start, text: `${S}(${k},` });
        // Visited below: insertions inside the argument come between these two.
        walkChildren(node);
        insertions.push({ offset: base + target.end, text: ")" });
        return;
      }
    }
    walkChildren(node);
  };
  const walkChildren = (node: Node) => {
    for (const key in node) {
      if (key === "type" || key === "start" || key === "end" || key === "loc" || key === "range") continue;
      const v = (node as unknown as Record<string, unknown>)[key];
      if (Array.isArray(v)) {
        for (const c of v) if (c !== null && typeof c === "object" && typeof (c as Node).type === "string") visit(c as Node);
      } else if (v !== null && typeof v === "object" && typeof (v as Node).type === "string") visit(v as Node);
    }
  };
  for (const a of asts) {
    base = a.base;
    visit(a.ast);
  }
  if (calls.length === 0) return { text, map, calls: 0 };

  // The prologue (at the start, after a hashbang line) publishes the range table before any of the bundle runs; the
  // helpers are function declarations at the end (hoisted).
  const prologueAt = text.startsWith("#!") ? (lineStarts[1] ?? text.length) : 0;
  insertions.push({ offset: prologueAt, text: `globalThis.${TABLE_GLOBAL}=${T};` });
  // Stable by offset: at one offset, in the order recorded (an enclosing call's opening before its argument's).
  const order = insertions.map((ins, i) => ({ ins, i })).sort((a, b) => a.ins.offset - b.ins.offset || a.i - b.i);

  const parts: string[] = [];
  let at = 0;
  // Per line of the bundle: offsets (in the line, unmarked) and how many characters were inserted there.
  const shifts = new Map<number, number[]>();
  for (const { ins } of order) {
    parts.push(text.slice(at, ins.offset), ins.text);
    at = ins.offset;
    const line = lineOf(ins.offset);
    let list = shifts.get(line);
    if (!list) shifts.set(line, (list = []));
    list.push(ins.offset - lineStarts[line]!, ins.text.length);
  }
  parts.push(text.slice(at));
  // Where an unmarked position ends up: characters inserted at or before it on its line are before it.
  const moved = (line: number, column: number, inclusive: boolean) => {
    const list = shifts.get(line);
    let c = column;
    if (list) for (let i = 0; i < list.length; i += 2) if (inclusive ? list[i]! <= column : list[i]! < column) c += list[i + 1]!;
    return c;
  };
  // Call k's range in the marked bundle, 1-based lines and columns as V8 reports them: from the call's first
  // character to its last.
  const ranges: number[] = [];
  for (let i = 0; i < calls.length; i += 2) {
    const start = calls[i]!;
    const last = calls[i + 1]! - 1;
    const l0 = lineOf(start);
    const l1 = lineOf(last);
    ranges.push(l0 + 1, moved(l0, start - lineStarts[l0]!, true) + 1, l1 + 1, moved(l1, last - lineStarts[l1]!, true) + 1);
  }
  parts.push(
    `\nfunction ${S}(k,v){globalThis.${MARK_GLOBAL}=k;return v}`,
    `\nfunction ${Z}(k){globalThis.${MARK_GLOBAL}=k;return []}`,
    `\nfunction ${T}(){return{url:import.meta.url,ranges:${JSON.stringify(ranges)}}}\n`,
  );
  return { text: parts.join(""), map: { ...map, mappings: shiftMappings(map.mappings, (line, column) => moved(line, column, true), shifts) }, calls: calls.length / 2 };
}

/** The mappings with each generated column on the lines in `shifts` moved by `move` (other lines' text kept). */
function shiftMappings(mappings: string, move: (line: number, column: number) => number, shifts: Map<number, unknown>): string {
  const lines = mappings.split(";");
  for (const line of shifts.keys()) {
    const text = lines[line];
    if (!text) continue;
    const segments = text.split(",");
    let col = 0;
    let newPrev = 0;
    for (let s = 0; s < segments.length; s++) {
      const seg = segments[s]!;
      // The first field (generated column, relative to the previous segment of the line) ends at the first digit
      // without the continuation bit.
      let i = 0;
      let value = 0;
      let shift = 0;
      for (;;) {
        const d = B64_VALUE[seg.charCodeAt(i++)]!;
        value += (d & 31) << shift;
        if (!(d & 32)) break;
        shift += 5;
      }
      col += value & 1 ? -(value >>> 1) : value >>> 1;
      const moved = move(line, col);
      segments[s] = vlq(moved - newPrev) + seg.slice(i);
      newPrev = moved;
    }
    lines[line] = segments.join(",");
  }
  return lines.join(";");
}

function vlq(n: number): string {
  let v = n < 0 ? (-n << 1) | 1 : n << 1;
  let out = "";
  do {
    let d = v & 31;
    v >>>= 5;
    if (v > 0) d |= 32;
    out += B64[d];
  } while (v > 0);
  return out;
}
