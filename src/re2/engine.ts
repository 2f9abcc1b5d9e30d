// The RE2 engine meshc uses wherever a regex must behave as in Envoy: Google's C++ RE2 compiled to WebAssembly
// (npm `re2-wasm`), loaded synchronously, with RE2's default options, which are Envoy's (google_re2 /
// safe_regex). Analysis asks it whether a pattern compiles (MESH0308/0309), and the route evaluator
// (src/route/) uses it to match paths, headers and query values exactly as Envoy does: a full match over the
// UTF-8 bytes. Why re2-wasm rather than re2js: it is the same C++ parser Envoy links, so its acceptance and its
// error messages ("bad repetition operator: **") are Envoy's; re2js (a port of RE2/J) refuses \C, which Envoy
// accepts. One difference remains, bridged here: re2-wasm's RE2 (2021) predates the `(?<name>…)` spelling that
// RE2 2023-06 added and Envoy 1.40 accepts, so a named group written that way is handed over as `(?P<name>…)`.
import { createRequire } from "node:module";

interface Wrapped {
  ok(): boolean;
  error(): string;
  match(input: string, start: number, groups: boolean): { index: number; match: string };
  delete?(): void;
}
type WrappedCtor = new (pattern: string, ignoreCase: boolean, multiline: boolean, dotAll: boolean) => Wrapped;

let ctor: WrappedCtor | undefined;
function engine(): WrappedCtor {
  // The low-level binding: the package's RE2 class rewrites JavaScript syntax first, which we do not want.
  ctor ??= (createRequire(import.meta.url)("re2-wasm/build/wasm/re2.js") as { WrappedRE2: WrappedCtor }).WrappedRE2;
  return ctor;
}

/** `(?<name>` -> `(?P<name>` outside character classes and escapes; lookbehind `(?<=`/`(?<!` stays (RE2 refuses it). */
export function modernNamedGroups(pattern: string): string {
  let out = "";
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\") {
      out += pattern.slice(i, i + 2);
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      out += c;
      continue;
    }
    if (c === "[") {
      inClass = true;
      out += c;
      // A `]` right after `[` or `[^` is a literal member.
      if (pattern[i + 1] === "^") out += pattern[++i];
      if (pattern[i + 1] === "]") out += pattern[++i];
      continue;
    }
    if (pattern.startsWith("(?<", i) && pattern[i + 3] !== "=" && pattern[i + 3] !== "!") {
      out += "(?P<";
      i += 2;
      continue;
    }
    out += c;
  }
  return out;
}

const MAX_CACHE = 4096;
const compiled = new Map<string, { error?: string; full?: Wrapped }>();

function entry(pattern: string): { error?: string; full?: Wrapped } {
  let e = compiled.get(pattern);
  if (e) return e;
  const Ctor = engine();
  const source = modernNamedGroups(pattern);
  const raw = new Ctor(source, false, false, false);
  if (!raw.ok()) e = { error: raw.error() };
  else {
    // Envoy matches with RE2::FullMatch; anchoring a pattern that compiles alone keeps its meaning.
    const full = new Ctor(`\\A(?:${source})\\z`, false, false, false);
    e = full.ok() ? { full } : { error: full.error() };
  }
  raw.delete?.();
  if (compiled.size >= MAX_CACHE) {
    const [oldest, old] = compiled.entries().next().value as [string, { full?: Wrapped }];
    old.full?.delete?.();
    compiled.delete(oldest);
  }
  compiled.set(pattern, e);
  return e;
}

/** RE2's own error for a pattern it does not compile (as Envoy would report it), or undefined. */
export function re2Error(pattern: string): string | undefined {
  return entry(pattern).error;
}

/** RE2::FullMatch(value, pattern). Throws for a pattern RE2 refuses (analysis reports those first). */
export function re2FullMatch(pattern: string, value: string): boolean {
  const e = entry(pattern);
  if (!e.full) throw new Error(`RE2 refuses ${JSON.stringify(pattern)}: ${e.error}`);
  return e.full.match(value, 0, false).index >= 0;
}
