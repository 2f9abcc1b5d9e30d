// The size of the RE2 program a regex compiles to in Envoy, for Envoy's limit (re2.max_program_size.error_level,
// default 100: "RE2 program size of N > max program size of 100"). No npm package exposes RE2::ProgramSize()
// (re2-wasm's binding has no such method, and its RE2 is a UTF-8 one from 2021), so the number is computed here by
// following RE2's own steps on the pattern as Envoy 1.40 compiles it: Latin-1, each byte of the pattern's UTF-8 one
// rune (checked with `envoy --mode validate`: \pL is 11 instructions, not the hundreds a UTF-8 program needs).
//   1. parse (re2/parse.cc): literal strings, one-rune classes as literals, classes clipped to 0-FF, repetition
//      operators squashed (a** is a*), alternations flattened and factored (common literal prefixes, common simple
//      leading pieces, runs of literals and classes merged into one class);
//   2. simplify (re2/simplify.cc): x{n,m} is n copies of x then m-n nested optional copies, x{n,} is n-1 copies and
//      x+; a repeat of an empty-width op is capped at 1;
//   3. RE2::Init: a leading ^literal is taken off as a required prefix; leading \A and trailing \z anchor the program;
//   4. compile (re2/compile.cc, Latin-1): one ByteRange per class range (ranges inside A-Z dropped when the class
//      folds ASCII case), Alt/Nop/Capture/EmptyWidth as RE2 emits them, the unanchored .*? loop, the Match;
//   5. Prog::Optimize (Nops skipped, AltMatch) and Prog::Flatten, whose instruction count is ProgramSize().
// Not reproduced: RE2's CoalesceWalker, which merges neighbours such as a*a+ or .*.* into one repeat; without it the
// number is a little higher than Envoy's for those (a*a+: 8 for Envoy's 6). Everywhere else it is Envoy's number:
// test/analysis/re2-program-size-envoy.test.ts compares the two on a corpus with the real Envoy.

export const ENVOY_MAX_PROGRAM_SIZE = 100;

/** The number of instructions of Envoy's RE2 program for `pattern` (a pattern RE2 accepts). */
export function re2ProgramSize(pattern: string): number {
  // Envoy hands RE2 the UTF-8 bytes of the pattern, which its RE2 reads as Latin-1: one rune per byte.
  const runes = [...Buffer.from(pattern, "utf8")];
  let re = new Parser(runes).parse();
  re = simplify(re);
  // RE2::Init: ^literal... becomes a required prefix, compiled out of the program.
  if (re.op === "cat") {
    let i = 0;
    while (i < re.subs.length && re.subs[i]!.op === "btext") i++;
    const first = re.subs[i];
    if (i > 0 && first && first.op === "lit") re = i + 1 < re.subs.length ? mkCat(re.subs.slice(i + 1)) : { op: "empty" };
  }
  return new Compiler().compile(re);
}

// ---------------------------------------------------------------------------------------------------------------
// Regexp trees (re2/regexp.h, the ops the size depends on).

type Re =
  | { op: "nomatch" | "empty" | "anychar" | "anybyte" | "bline" | "eline" | "btext" | "etext" | "wb" | "nwb" }
  | { op: "lit"; runes: number[]; fold: boolean }
  | { op: "class"; set: Set256 }
  | { op: "cap"; sub: Re }
  | { op: "cat" | "alt"; subs: Re[] }
  | { op: "star" | "plus" | "quest"; sub: Re; ng: boolean }
  | { op: "repeat"; sub: Re; min: number; max: number; ng: boolean };

type Set256 = boolean[];
const EMPTY_OPS = new Set(["bline", "eline", "btext", "etext", "wb", "nwb"]);

function lit(r: number, fold: boolean): Re {
  return { op: "lit", runes: [r], fold };
}

function mkCat(subs: Re[]): Re {
  if (subs.length === 0) return { op: "empty" };
  if (subs.length === 1) return subs[0]!;
  return { op: "cat", subs };
}

/** Regexp::Star/Plus/Quest: x** is x*, and any mix of *, + and ? over one another is *. */
function mkRep(op: "star" | "plus" | "quest", sub: Re, ng: boolean): Re {
  if ((sub.op === "star" || sub.op === "plus" || sub.op === "quest") && sub.ng === ng) {
    if (sub.op === op || sub.op === "star") return sub;
    return { op: "star", sub: sub.sub, ng };
  }
  return { op, sub, ng };
}

function equal(a: Re, b: Re): boolean {
  if (a.op !== b.op) return false;
  switch (a.op) {
    case "lit": {
      const o = b as typeof a;
      return a.fold === o.fold && a.runes.length === o.runes.length && a.runes.every((r, i) => r === o.runes[i]);
    }
    case "class":
      return a.set.every((v, i) => v === (b as typeof a).set[i]);
    case "cap":
      return equal(a.sub, (b as typeof a).sub);
    case "cat":
    case "alt": {
      const o = b as typeof a;
      return a.subs.length === o.subs.length && a.subs.every((s, i) => equal(s, o.subs[i]!));
    }
    case "star":
    case "plus":
    case "quest": {
      const o = b as typeof a;
      return a.ng === o.ng && equal(a.sub, o.sub);
    }
    case "repeat": {
      const o = b as typeof a;
      return a.ng === o.ng && a.min === o.min && a.max === o.max && equal(a.sub, o.sub);
    }
    default:
      return true;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Character sets over 0-FF.

const newSet = (): Set256 => new Array<boolean>(256).fill(false);
function range(set: Set256, lo: number, hi: number): Set256 {
  for (let r = lo; r <= Math.min(hi, 0xff); r++) set[r] = true;
  return set;
}
function union(a: Set256, b: Set256): Set256 {
  return a.map((v, i) => v || b[i]!);
}
const negate = (a: Set256): Set256 => a.map((v) => !v);
/** AddFoldedRangeLatin1: ASCII letters bring their other case. */
function foldLatin1(a: Set256): Set256 {
  const out = [...a];
  for (let r = 0x41; r <= 0x5a; r++) if (a[r] || a[r + 0x20]) out[r] = out[r + 0x20] = true;
  return out;
}
function ranges(set: Set256): [number, number][] {
  const out: [number, number][] = [];
  for (let r = 0; r < 256; r++) {
    if (!set[r]) continue;
    let hi = r;
    while (hi + 1 < 256 && set[hi + 1]) hi++;
    out.push([r, hi]);
    r = hi;
  }
  return out;
}

const PERL: Record<string, [number, number][]> = {
  d: [[0x30, 0x39]],
  s: [[0x09, 0x0a], [0x0c, 0x0d], [0x20, 0x20]],
  w: [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]],
};
const POSIX: Record<string, [number, number][]> = {
  alnum: [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]],
  alpha: [[0x41, 0x5a], [0x61, 0x7a]],
  ascii: [[0x00, 0x7f]],
  blank: [[0x09, 0x09], [0x20, 0x20]],
  cntrl: [[0x00, 0x1f], [0x7f, 0x7f]],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [[0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e]],
  space: [[0x09, 0x0d], [0x20, 0x20]],
  upper: [[0x41, 0x5a]],
  word: [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]],
  xdigit: [[0x30, 0x39], [0x41, 0x46], [0x61, 0x66]],
};
const fromRanges = (rs: [number, number][]): Set256 => rs.reduce((s, [lo, hi]) => range(s, lo, hi), newSet());

/** A Unicode group (\pL, \p{Greek}) restricted to 0-FF; the Latin-1 part of Unicode's tables has not changed in years. */
function unicodeGroup(name: string): Set256 {
  if (name === "Any") return range(newSet(), 0, 0xff);
  let re: RegExp;
  try {
    re = new RegExp(`^\\p{${name}}$`, "u");
  } catch {
    try {
      re = new RegExp(`^\\p{Script=${name}}$`, "u");
    } catch {
      return newSet(); // RE2 refuses unknown names; such a pattern never gets here
    }
  }
  const set = newSet();
  for (let r = 0; r < 256; r++) set[r] = re.test(String.fromCodePoint(r));
  return set;
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing (re2/parse.cc with Envoy's flags: LikePerl, ClassNL, Latin-1). The pattern is one RE2 accepts.

interface Flags {
  fold: boolean;
  multiline: boolean;
  dotNL: boolean;
  ungreedy: boolean;
}

class Parser {
  private i = 0;
  constructor(private readonly s: number[]) {}

  private peek(k = 0): string {
    const r = this.s[this.i + k];
    return r === undefined ? "" : String.fromCharCode(r);
  }

  parse(): Re {
    return this.alternation({ fold: false, multiline: false, dotNL: false, ungreedy: false });
  }

  private alternation(flags: Flags): Re {
    const alts: Re[] = [this.concat(flags)];
    while (this.peek() === "|") {
      this.i++;
      alts.push(this.concat(flags));
    }
    if (alts.length === 1) return alts[0]!;
    // DoVerticalBar: (?s). subsumes a literal or class next to it.
    const simple = (x: Re) => (x.op === "lit" && x.runes.length === 1) || x.op === "class" || x.op === "anychar";
    const merged: Re[] = [];
    for (const a of alts) {
      const prev = merged[merged.length - 1];
      if (prev && prev.op === "anychar" && simple(a)) continue;
      if (prev && a.op === "anychar" && simple(prev)) {
        merged[merged.length - 1] = a;
        continue;
      }
      merged.push(a);
    }
    // DoCollapse flattens an alternation of alternations (from non-capturing groups), then factors it.
    const subs = factor(merged.flatMap((a) => (a.op === "alt" ? a.subs : [a])));
    return subs.length === 1 ? subs[0]! : { op: "alt", subs };
  }

  /** A concatenation up to | or ); (?flags) changes `flags` for the rest of the enclosing group. */
  private concat(flags: Flags): Re {
    const items: Re[] = [];
    while (this.i < this.s.length && this.peek() !== "|" && this.peek() !== ")") {
      const c = this.peek();
      if ((c === "*" || c === "+" || c === "?") && items.length) {
        this.i++;
        const ng = this.nongreedy(flags);
        items.push(mkRep(c === "*" ? "star" : c === "+" ? "plus" : "quest", items.pop()!, ng));
        continue;
      }
      if (c === "{" && items.length) {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(String.fromCharCode(...this.s.slice(this.i, this.i + 16)));
        if (m) {
          this.i += m[0].length;
          const ng = this.nongreedy(flags);
          const min = Number(m[1]);
          const max = m[2] === undefined ? min : m[3] === "" ? -1 : Number(m[3]);
          items.push({ op: "repeat", sub: items.pop()!, min, max, ng });
          continue;
        }
      }
      const atom = this.atom(flags);
      if (atom) items.push(atom);
    }
    // DoCollapse flattens concatenations; MaybeConcatString makes adjacent literals one literal string.
    const out: Re[] = [];
    for (const it of items) {
      const prev = out[out.length - 1];
      if (it.op === "cat") out.push(...it.subs);
      else if (it.op === "lit" && prev?.op === "lit" && prev.fold === it.fold) out[out.length - 1] = { op: "lit", runes: [...prev.runes, ...it.runes], fold: it.fold };
      else out.push(it);
    }
    return mkCat(out);
  }

  private nongreedy(flags: Flags): boolean {
    let ng = false;
    if (this.peek() === "?") {
      this.i++;
      ng = true;
    }
    return ng !== flags.ungreedy;
  }

  private atom(flags: Flags): Re | undefined {
    const c = this.peek();
    this.i++;
    switch (c) {
      case "(":
        return this.group(flags);
      case "[":
        return classRe(this.bracket(flags), flags);
      case "\\":
        return this.escape(flags);
      case "^":
        return { op: flags.multiline ? "bline" : "btext" };
      case "$":
        return { op: flags.multiline ? "eline" : "etext" };
      case ".":
        return flags.dotNL ? { op: "anychar" } : classRe(negate(range(newSet(), 0x0a, 0x0a)), flags);
      default:
        return this.literal(this.s[this.i - 1]!, flags);
    }
  }

  private literal(r: number, flags: Flags): Re {
    // PushLiteral in Latin-1: only ASCII letters fold (as [Aa], which PushRegexp turns back into a folded literal).
    const folds = flags.fold && ((r >= 0x41 && r <= 0x5a) || (r >= 0x61 && r <= 0x7a));
    return lit(folds ? r | 0x20 : r, folds);
  }

  private group(flags: Flags): Re | undefined {
    if (this.peek() === "?") {
      const rest = String.fromCharCode(...this.s.slice(this.i, this.i + 64));
      const named = /^\?P?<[^>]*>/.exec(rest);
      if (named) this.i += named[0].length;
      else {
        const m = /^\?([imsU]*)(?:-([imsU]*))?([:)])/.exec(rest);
        if (m) {
          this.i += m[0].length;
          const set = (fs: string, on: boolean, f: Flags) => {
            if (fs.includes("i")) f.fold = on;
            if (fs.includes("m")) f.multiline = on;
            if (fs.includes("s")) f.dotNL = on;
            if (fs.includes("U")) f.ungreedy = on;
          };
          if (m[3] === ")") {
            set(m[1]!, true, flags);
            set(m[2] ?? "", false, flags);
            return undefined;
          }
          const inner = { ...flags };
          set(m[1]!, true, inner);
          set(m[2] ?? "", false, inner);
          const re = this.alternation(inner);
          if (this.peek() === ")") this.i++;
          return re;
        }
      }
    }
    const re = this.alternation({ ...flags });
    if (this.peek() === ")") this.i++;
    return { op: "cap", sub: re };
  }

  /** The rune of an escape that stands for one character (after the backslash and its letter). */
  private escapeRune(e: string): number {
    switch (e) {
      case "a": return 0x07;
      case "f": return 0x0c;
      case "t": return 0x09;
      case "n": return 0x0a;
      case "r": return 0x0d;
      case "v": return 0x0b;
      case "x": {
        if (this.peek() === "{") {
          const end = this.s.indexOf(0x7d, this.i);
          const v = parseInt(String.fromCharCode(...this.s.slice(this.i + 1, end)), 16);
          this.i = end + 1;
          return v;
        }
        const v = parseInt(String.fromCharCode(...this.s.slice(this.i, this.i + 2)), 16);
        this.i += 2;
        return v;
      }
    }
    if (e >= "0" && e <= "7") {
      let v = e.charCodeAt(0) - 0x30;
      for (let k = 0; k < 2 && this.peek() >= "0" && this.peek() <= "7"; k++) v = v * 8 + this.s[this.i++]! - 0x30;
      return v;
    }
    return this.s[this.i - 1]!; // an escaped punctuation character is itself
  }

  /** \d \s \w \D \S \W, \pL \p{Name} \P… \p{^…}: a set (already folded if need be), or undefined. */
  private groupEscape(e: string, flags: Flags): Set256 | undefined {
    const lower = e.toLowerCase();
    let set: Set256;
    if (lower in PERL) set = fromRanges(PERL[lower]!);
    else if (lower === "p") {
      let name: string;
      if (this.peek() === "{") {
        const end = this.s.indexOf(0x7d, this.i);
        name = String.fromCharCode(...this.s.slice(this.i + 1, end));
        this.i = end + 1;
      } else name = String.fromCharCode(this.s[this.i++]!);
      let neg = e === "P";
      if (name.startsWith("^")) {
        neg = !neg;
        name = name.slice(1);
      }
      set = unicodeGroup(name);
      if (flags.fold) set = foldLatin1(set);
      return neg ? negate(set) : set;
    } else return undefined;
    if (flags.fold) set = foldLatin1(set);
    return e === lower ? set : negate(set);
  }

  private escape(flags: Flags): Re {
    const e = this.peek();
    this.i++;
    switch (e) {
      case "A": return { op: "btext" };
      case "z": return { op: "etext" };
      case "b": return { op: "wb" };
      case "B": return { op: "nwb" };
      case "C": return { op: "anybyte" };
      case "Q": {
        const runes: Re[] = [];
        while (this.i < this.s.length && !(this.peek() === "\\" && this.peek(1) === "E")) {
          if (this.peek() === "\\" && this.peek(1) === "\\") this.i++;
          runes.push(this.literal(this.s[this.i++]!, flags));
        }
        if (this.i < this.s.length) this.i += 2;
        return mkCat(runes);
      }
    }
    const g = this.groupEscape(e, flags);
    if (g) return classRe(g, flags);
    return this.literal(this.escapeRune(e), flags);
  }

  /** A bracket class after its "[". */
  private bracket(flags: Flags): Set256 {
    let set = newSet();
    let negated = false;
    if (this.peek() === "^") {
      negated = true;
      this.i++;
    }
    let first = true;
    while (this.i < this.s.length && (this.peek() !== "]" || first)) {
      first = false;
      if (this.peek() === "[" && this.peek(1) === ":") {
        const end = String.fromCharCode(...this.s).indexOf(":]", this.i);
        let name = String.fromCharCode(...this.s.slice(this.i + 2, end));
        this.i = end + 2;
        const neg = name.startsWith("^");
        if (neg) name = name.slice(1);
        let g = fromRanges(POSIX[name] ?? []);
        if (flags.fold) g = foldLatin1(g);
        set = union(set, neg ? negate(g) : g);
        continue;
      }
      let lo: number;
      if (this.peek() === "\\") {
        const e = this.peek(1);
        this.i += 2;
        const g = this.groupEscape(e, flags);
        if (g) {
          set = union(set, g);
          continue;
        }
        lo = this.escapeRune(e);
      } else lo = this.s[this.i++]!;
      let hi = lo;
      if (this.peek() === "-" && this.peek(1) !== "]" && this.peek(1) !== "") {
        this.i++;
        if (this.peek() === "\\") {
          const e = this.peek(1);
          this.i += 2;
          hi = this.escapeRune(e);
        } else hi = this.s[this.i++]!;
      }
      let part = range(newSet(), lo, hi);
      if (flags.fold) part = foldLatin1(part);
      set = union(set, part);
    }
    this.i++; // ]
    return negated ? negate(set) : set; // ClassNL: a negated class takes \n
  }
}

/** PushRegexp: a class of one rune is a literal, [Aa] a folded literal. */
function classRe(set: Set256, flags: Flags): Re {
  const rs = ranges(set);
  if (rs.length === 1 && rs[0]![0] === rs[0]![1]) return lit(rs[0]![0], flags.fold);
  if (rs.length === 2 && rs[0]![0] === rs[0]![1] && rs[1]![0] === rs[1]![1] && rs[0]![0] >= 0x41 && rs[0]![0] <= 0x5a && rs[1]![0] === rs[0]![0] + 0x20) {
    return lit(rs[1]![0], true);
  }
  return { op: "class", set };
}

// ---------------------------------------------------------------------------------------------------------------
// Regexp::FactorAlternation: rounds 1 (common literal prefixes), 2 (common simple leading piece), 3 (runs of
// literals and classes merged into one class).

function leadingString(re: Re): { runes: number[]; fold: boolean } | undefined {
  while (re.op === "cat" && re.subs.length) re = re.subs[0]!;
  return re.op === "lit" ? { runes: re.runes, fold: re.fold } : undefined;
}

function removeLeadingString(re: Re, n: number): Re {
  if (re.op === "lit") return n >= re.runes.length ? { op: "empty" } : { ...re, runes: re.runes.slice(n) };
  if (re.op === "cat") {
    const first = removeLeadingString(re.subs[0]!, n);
    const rest = re.subs.slice(1);
    return first.op === "empty" ? mkCat(rest) : { op: "cat", subs: [first, ...rest] };
  }
  return re;
}

function leadingRegexp(re: Re): Re | undefined {
  if (re.op === "empty") return undefined;
  if (re.op === "cat" && re.subs.length >= 2) return re.subs[0]!.op === "empty" ? undefined : re.subs[0];
  return re;
}

function removeLeadingRegexp(re: Re): Re {
  if (re.op === "empty") return re;
  if (re.op === "cat" && re.subs.length >= 2) return re.subs[0]!.op === "empty" ? re : mkCat(re.subs.slice(1));
  return { op: "empty" };
}

const alternate = (subs: Re[]): Re => (subs.length === 1 ? subs[0]! : subs.length === 0 ? { op: "nomatch" } : { op: "alt", subs });

function factor(subs: Re[]): Re[] {
  // Round 1.
  let out: Re[] = [];
  for (let start = 0; start < subs.length; ) {
    const first = leadingString(subs[start]!);
    let end = start + 1;
    let n = first?.runes.length ?? 0;
    if (first) {
      while (end < subs.length) {
        const next = leadingString(subs[end]!);
        if (!next || next.fold !== first.fold) break;
        let same = 0;
        while (same < n && same < next.runes.length && first.runes[same] === next.runes[same]) same++;
        if (same === 0) break;
        n = same;
        end++;
      }
    }
    if (end - start >= 2) {
      const prefix: Re = { op: "lit", runes: first!.runes.slice(0, n), fold: first!.fold };
      const suffixes = factor(subs.slice(start, end).map((s) => removeLeadingString(s, n)));
      out.push({ op: "cat", subs: [prefix, alternate(suffixes)] });
    } else out.push(subs[start]!);
    start = end;
  }
  subs = out;
  // Round 2.
  out = [];
  const factorable = (f: Re) =>
    EMPTY_OPS.has(f.op) || f.op === "class" || f.op === "anychar" || f.op === "anybyte" ||
    (f.op === "repeat" && f.min === f.max && ((f.sub.op === "lit" && f.sub.runes.length === 1) || f.sub.op === "class" || f.sub.op === "anychar" || f.sub.op === "anybyte"));
  for (let start = 0; start < subs.length; ) {
    const first = leadingRegexp(subs[start]!);
    let end = start + 1;
    if (first && factorable(first)) {
      while (end < subs.length) {
        const next = leadingRegexp(subs[end]!);
        if (!next || !equal(first, next)) break;
        end++;
      }
    }
    if (end - start >= 2) {
      const suffixes = factor(subs.slice(start, end).map(removeLeadingRegexp));
      out.push({ op: "cat", subs: [first!, alternate(suffixes)] });
    } else out.push(subs[start]!);
    start = end;
  }
  subs = out;
  // Round 3.
  out = [];
  const single = (x: Re) => (x.op === "lit" && x.runes.length === 1) || x.op === "class";
  for (let start = 0; start < subs.length; ) {
    let end = start + 1;
    if (single(subs[start]!)) while (end < subs.length && single(subs[end]!)) end++;
    if (end - start >= 2) {
      let set = newSet();
      for (const x of subs.slice(start, end)) {
        if (x.op === "class") set = union(set, x.set);
        else if (x.op === "lit") set = union(set, x.fold ? foldLatin1(range(newSet(), x.runes[0]!, x.runes[0]!)) : range(newSet(), x.runes[0]!, x.runes[0]!));
      }
      out.push({ op: "class", set });
    } else out.push(subs[start]!);
    start = end;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Simplify (re2/simplify.cc, SimplifyWalker).

function simplify(re: Re): Re {
  switch (re.op) {
    case "cat":
    case "alt":
      return { op: re.op, subs: re.subs.map(simplify) };
    case "cap":
      return { op: "cap", sub: simplify(re.sub) };
    case "star":
    case "plus":
    case "quest": {
      const sub = simplify(re.sub);
      if (sub.op === "empty") return sub;
      if (sub.op === re.op && sub.ng === re.ng) return sub;
      return { op: re.op, sub, ng: re.ng };
    }
    case "repeat": {
      const sub = simplify(re.sub);
      if (sub.op === "empty") return sub;
      let { min, max } = re;
      const f = re.ng;
      if (EMPTY_OPS.has(sub.op) || ((sub.op === "cat" || sub.op === "alt") && sub.subs.every((s) => EMPTY_OPS.has(s.op)))) {
        min = Math.min(min, 1);
        max = Math.min(max, 1);
      }
      if (max === -1) {
        if (min === 0) return mkRep("star", sub, f);
        if (min === 1) return mkRep("plus", sub, f);
        return { op: "cat", subs: [...Array<Re>(min - 1).fill(sub), mkRep("plus", sub, f)] };
      }
      if (min === 0 && max === 0) return { op: "empty" };
      if (min === 1 && max === 1) return sub;
      // n copies, then (x(x(x)?)?)? for the m-n optional ones.
      const prefix = min > 0 ? mkCat(Array<Re>(min).fill(sub)) : undefined;
      if (max === min) return prefix!;
      let suf = mkRep("quest", sub, f);
      for (let i = min + 1; i < max; i++) suf = mkRep("quest", { op: "cat", subs: [sub, suf] }, f);
      return prefix ? { op: "cat", subs: [prefix, suf] } : suf;
    }
    case "class":
      return re.set.some((v) => v) ? re : { op: "nomatch" };
    default:
      return re;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Compile (re2/compile.cc, Latin-1), Prog::Optimize and Prog::Flatten.

type Op = "fail" | "alt" | "altmatch" | "byte" | "cap" | "ew" | "nop" | "match";
interface Inst {
  op: Op;
  out: number;
  out1: number;
  lo: number;
  hi: number;
}
/** A patch list entry: instruction id, and whether it is out1. */
type Patch = [number, boolean];
interface Frag {
  begin: number;
  end: Patch[];
  nullable: boolean;
}
const NOMATCH: Frag = { begin: 0, end: [], nullable: false };

class Compiler {
  private inst: Inst[] = [{ op: "fail", out: 0, out1: 0, lo: 0, hi: 0 }];

  private alloc(op: Op, out = 0, out1 = 0, lo = 0, hi = 0): number {
    this.inst.push({ op, out, out1, lo, hi });
    return this.inst.length - 1;
  }

  private patch(l: Patch[], to: number): void {
    for (const [id, one] of l) {
      if (one) this.inst[id]!.out1 = to;
      else this.inst[id]!.out = to;
    }
  }

  private cat(a: Frag, b: Frag): Frag {
    if (a.begin === 0 || b.begin === 0) return NOMATCH;
    const begin = this.inst[a.begin]!;
    // Elide a leading no-op.
    if (begin.op === "nop" && a.end.length === 1 && a.end[0]![0] === a.begin && !a.end[0]![1] && begin.out === 0) {
      this.patch(a.end, b.begin);
      return b;
    }
    this.patch(a.end, b.begin);
    return { begin: a.begin, end: b.end, nullable: a.nullable && b.nullable };
  }

  private alt(a: Frag, b: Frag): Frag {
    if (a.begin === 0) return b;
    if (b.begin === 0) return a;
    const id = this.alloc("alt", a.begin, b.begin);
    return { begin: id, end: [...a.end, ...b.end], nullable: a.nullable || b.nullable };
  }

  private loop(a: Frag, ng: boolean): number {
    return ng ? this.alloc("alt", 0, a.begin) : this.alloc("alt", a.begin, 0);
  }

  private plus(a: Frag, ng: boolean): Frag {
    const id = this.loop(a, ng);
    this.patch(a.end, id);
    return { begin: a.begin, end: [[id, !ng]], nullable: a.nullable };
  }

  private star(a: Frag, ng: boolean): Frag {
    if (a.nullable) return this.quest(this.plus(a, ng), ng);
    const id = this.loop(a, ng);
    this.patch(a.end, id);
    return { begin: id, end: [[id, !ng]], nullable: true };
  }

  private quest(a: Frag, ng: boolean): Frag {
    if (a.begin === 0) return this.nop();
    const id = this.loop(a, ng);
    return { begin: id, end: [[id, !ng], ...a.end], nullable: true };
  }

  private byteRange(lo: number, hi: number): Frag {
    const id = this.alloc("byte", 0, 0, lo, hi);
    return { begin: id, end: [[id, false]], nullable: false };
  }

  private nop(): Frag {
    const id = this.alloc("nop");
    return { begin: id, end: [[id, false]], nullable: true };
  }

  private emptyWidth(): Frag {
    const id = this.alloc("ew");
    return { begin: id, end: [[id, false]], nullable: true };
  }

  private visit(re: Re): Frag {
    switch (re.op) {
      case "nomatch":
        return NOMATCH;
      case "empty":
        return this.nop();
      case "cat": {
        const frags = re.subs.map((s) => this.visit(s));
        return frags.slice(1).reduce((f, g) => this.cat(f, g), frags[0]!);
      }
      case "alt": {
        const frags = re.subs.map((s) => this.visit(s));
        return frags.slice(1).reduce((f, g) => this.alt(f, g), frags[0]!);
      }
      case "star":
        return this.star(this.visit(re.sub), re.ng);
      case "plus":
        return this.plus(this.visit(re.sub), re.ng);
      case "quest":
        return this.quest(this.visit(re.sub), re.ng);
      case "repeat":
        return this.visit(simplify(re)); // simplify() has expanded every repeat already
      case "lit": {
        if (re.runes.length === 0) return this.nop();
        const frags = re.runes.map((r) => (r > 0xff ? NOMATCH : this.byteRange(r, r)));
        return frags.slice(1).reduce((f, g) => this.cat(f, g), frags[0]!);
      }
      case "anychar":
      case "anybyte":
        return this.byteRange(0x00, 0xff);
      case "class": {
        // ASCII case folding: a class that treats A-Z as a-z drops its ranges inside A-Z (matched by folding a-z).
        const set = re.set;
        let foldsAscii = true;
        for (let r = 0x41; r <= 0x5a; r++) if (set[r] !== set[r + 0x20]) foldsAscii = false;
        // Latin-1 AddSuffix: each further range is an Alt over what came before.
        let frag: Frag = NOMATCH;
        for (const [lo, hi] of ranges(set)) {
          if (foldsAscii && lo >= 0x41 && hi <= 0x5a) continue;
          const f = this.byteRange(lo, hi);
          if (frag.begin === 0) frag = { begin: f.begin, end: f.end, nullable: false };
          else frag = { begin: this.alloc("alt", frag.begin, f.begin), end: [...frag.end, ...f.end], nullable: false };
        }
        return frag;
      }
      case "cap": {
        const a = this.visit(re.sub);
        if (a.begin === 0) return NOMATCH;
        const id = this.alloc("cap", a.begin);
        const id1 = this.alloc("cap");
        this.patch(a.end, id1);
        return { begin: id, end: [[id1, false]], nullable: a.nullable };
      }
      default:
        return this.emptyWidth();
    }
  }

  compile(re: Re): number {
    // IsAnchorStart / IsAnchorEnd: a leading \A (trailing \z), through concats and captures, anchors the program.
    const anchorStart = stripAnchor(re, "btext", 0);
    if (anchorStart) re = anchorStart;
    const anchorEnd = stripAnchor(re, "etext", 0);
    if (anchorEnd) re = anchorEnd;
    let all = this.visit(re);
    const m = this.alloc("match");
    all = this.cat(all, { begin: m, end: [], nullable: false });
    const start = all.begin;
    let startUnanchored = start;
    if (!anchorStart) startUnanchored = this.cat(this.star(this.byteRange(0x00, 0xff), true), all).begin;
    if (start === 0 && startUnanchored === 0) return 1; // only the Fail instruction
    this.optimize(start);
    return this.flatten(start, startUnanchored);
  }

  private optimize(start: number): void {
    const skip = (j: number) => {
      while (j !== 0 && this.inst[j]!.op === "nop") j = this.inst[j]!.out;
      return j;
    };
    const seen = new Set<number>();
    const queue: number[] = [];
    const add = (id: number) => {
      if (id !== 0 && !seen.has(id)) {
        seen.add(id);
        queue.push(id);
      }
    };
    add(start);
    for (let k = 0; k < queue.length; k++) {
      const ip = this.inst[queue[k]!]!;
      ip.out = skip(ip.out);
      add(ip.out);
      if (ip.op === "alt") {
        ip.out1 = skip(ip.out1);
        add(ip.out1);
      }
    }
    const isMatch = (id: number): boolean => {
      for (;;) {
        const ip = this.inst[id]!;
        if (ip.op === "cap" || ip.op === "nop") id = ip.out;
        else return ip.op === "match";
      }
    };
    for (const id of queue) {
      const ip = this.inst[id]!;
      if (ip.op !== "alt") continue;
      const loop = (x: Inst) => x.op === "byte" && x.out === id && x.lo === 0 && x.hi === 0xff;
      if ((loop(this.inst[ip.out]!) && isMatch(ip.out1)) || (isMatch(ip.out) && loop(this.inst[ip.out1]!))) ip.op = "altmatch";
    }
  }

  private flatten(start: number, startUnanchored: number): number {
    const inst = this.inst;
    const roots = new Set<number>([0, startUnanchored, start]);
    const preds = new Map<number, number[]>();
    // MarkSuccessors: the out of every ByteRange, Capture and EmptyWidth is a root.
    const reach = new Set<number>();
    const stk = [startUnanchored];
    while (stk.length) {
      let id = stk.pop()!;
      for (;;) {
        if (reach.has(id)) break;
        reach.add(id);
        const ip = inst[id]!;
        if (ip.op === "alt" || ip.op === "altmatch") {
          for (const o of [ip.out, ip.out1]) {
            if (!preds.has(o)) preds.set(o, []);
            preds.get(o)!.push(id);
          }
          stk.push(ip.out1);
          id = ip.out;
        } else if (ip.op === "byte" || ip.op === "cap" || ip.op === "ew") {
          roots.add(ip.out);
          id = ip.out;
        } else if (ip.op === "nop") id = ip.out;
        else break;
      }
    }
    // MarkDominator, over the roots so far from the highest id down (not the Fail instruction): what a root reaches
    // through Alts but is also reached from elsewhere becomes a root too.
    const sorted = [...roots].sort((a, b) => a - b);
    for (let k = sorted.length - 1; k > 0; k--) {
      const root = sorted[k]!;
      if (root === startUnanchored || root === start) continue;
      const seen = new Set<number>();
      const st = [root];
      while (st.length) {
        let id = st.pop()!;
        for (;;) {
          if (seen.has(id)) break;
          seen.add(id);
          if (id !== root && roots.has(id)) break;
          const ip = inst[id]!;
          if (ip.op === "alt" || ip.op === "altmatch") {
            st.push(ip.out1);
            id = ip.out;
          } else if (ip.op === "nop") id = ip.out;
          else break;
        }
      }
      for (const id of seen) for (const p of preds.get(id) ?? []) if (!seen.has(p)) roots.add(id);
    }
    // EmitList: each root's list holds the non-Alt instructions it reaches through Alts (an AltMatch adds one), and a
    // Nop for each other root so reached. ProgramSize() is the total.
    let size = 0;
    for (const root of roots) {
      const seen = new Set<number>();
      const st = [root];
      while (st.length) {
        let id = st.pop()!;
        for (;;) {
          if (seen.has(id)) break;
          seen.add(id);
          if (id !== root && roots.has(id)) {
            size++;
            break;
          }
          const ip = inst[id]!;
          if (ip.op === "alt" || ip.op === "altmatch") {
            if (ip.op === "altmatch") size++;
            st.push(ip.out1);
            id = ip.out;
          } else if (ip.op === "nop") id = ip.out;
          else {
            size++;
            break;
          }
        }
      }
    }
    return size;
  }
}

/** IsAnchorStart/IsAnchorEnd: the regexp without its leading \A (trailing \z), or undefined when it has none. */
function stripAnchor(re: Re, op: "btext" | "etext", depth: number): Re | undefined {
  if (depth >= 4) return undefined;
  if (re.op === op) return { op: "lit", runes: [], fold: false };
  if (re.op === "cap") {
    const sub = stripAnchor(re.sub, op, depth + 1);
    return sub && { op: "cap", sub };
  }
  if (re.op === "cat" && re.subs.length) {
    const k = op === "btext" ? 0 : re.subs.length - 1;
    const sub = stripAnchor(re.subs[k]!, op, depth + 1);
    if (!sub) return undefined;
    const subs = [...re.subs];
    subs[k] = sub;
    return { op: "cat", subs };
  }
  return undefined;
}
