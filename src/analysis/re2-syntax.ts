// A small scanner for RE2 pattern syntax (what Envoy's safe_regex / google_re2 accepts), used before anything
// reaches Envoy. It walks the pattern once and returns the first problem:
//   - "unsupported": a construct other dialects (PCRE, Perl, JavaScript) have and RE2 refuses: lookahead and
//     lookbehind, backreferences (\1, \k<n>, \g{1}, (?P=n)), possessive quantifiers (a*+), atomic groups (?>…),
//     \Z \G \K \R \X \C-style escapes RE2 lacks (\e \h \cX …), conditionals, recursion, comments, branch reset,
//     PCRE verbs, flags other than i m s U, and repeat counts over 1000;
//   - "invalid": a malformed pattern: unbalanced ( ) or [ ], nothing to repeat, a repeated repetition (a**),
//     reversed range or count, unknown escape or POSIX class, trailing backslash, bad group name.
// Then, for patterns that use no RE2-only spelling, JavaScript's own parser is a backstop for anything malformed
// the scanner missed (both engines reject those).
// Limits (documented in docs/diagnostics.md): Unicode class names (\p{Foo}) are not checked against RE2's tables,
// nested repetition totals (RE2 caps (a{100}){100}) and program size (Envoy's re2.max_program_size) are not
// computed; the golden tests' `envoy --mode validate` catches those.

export type RegexProblem =
  | { kind: "unsupported"; feature: string; advice: string; offset: number }
  | {
      kind: "invalid";
      reason: string;
      offset: number;
      /**
       * Only Envoy's RE2 refuses it: Envoy 1.40 compiles patterns as Latin-1 (each byte of the UTF-8 text is one
       * character), where the UTF-8 RE2 meshc links (re2-wasm) accepts them. See latin1Problem().
       */
      latin1?: true;
    };

const MAX_REPEAT = 1000;
const POSIX_CLASSES = new Set([
  "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space", "upper", "word",
  "xdigit",
]);
const PERL_CLASSES = "dDsSwW";
const SIMPLE_ESCAPES: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };

const LOOKAROUND = "Match the wanted requests with a positive pattern and put a more specific route (or a header/method match) before it for the exceptions.";
const BACKREF = "RE2 cannot refer back to a captured group; spell out the alternatives, e.g. (a|b)(a|b) instead of (a|b)\\1.";
const POSSESSIVE = "Drop the extra \"+\": RE2 never backtracks, so a plain quantifier behaves the same.";

/** Escapes RE2 refuses, with what to write instead. */
const UNSUPPORTED_ESCAPES: Record<string, [string, string]> = {
  Z: ["\\Z (end of text or before a final newline)", "Use \\z or $ (RE2's end of text)."],
  G: ["\\G (end of previous match)", "Anchor with ^ or \\A instead."],
  K: ["\\K (reset match start)", "Match the whole text; a route regex only has to match, not capture."],
  R: ["\\R (any line break)", "Use (?:\\r\\n|\\n|\\r)."],
  X: ["\\X (extended grapheme cluster)", "Use . or an explicit class."],
  k: ["named backreference \\k<…>", BACKREF],
  g: ["backreference \\g…", BACKREF],
  c: ["control escape \\cX", "Write the control character as \\x01 … \\x1F."],
  e: ["escape \\e", "Write ESC as \\x1B."],
  h: ["\\h (horizontal space)", "Use [\\t ]."],
  H: ["\\H (not horizontal space)", "Use [^\\t ]."],
  V: ["\\V (not vertical space)", "Use [^\\n\\v\\f\\r]."],
  N: ["\\N", "Use . (or [^\\n])."],
  l: ["case conversion \\l", "Match both cases with [xX] or (?i)."],
  u: ["case conversion \\u", "Match both cases with [xX] or (?i)."],
  L: ["case conversion \\L…\\E", "Match both cases with (?i)."],
  U: ["case conversion \\U…\\E", "Match both cases with (?i)."],
};

class Scanner {
  i = 0;
  /** Offsets of open groups. */
  readonly groups: number[] = [];
  readonly names = new Set<string>();
  /** Something repeatable precedes the cursor. */
  atom = false;
  /** The previous token was a repetition operator. */
  repeated = false;
  constructor(readonly p: string) {}
}

export function checkRe2(pattern: string): RegexProblem | undefined {
  const problem = scan(pattern);
  if (problem) return problem;
  if (usesRe2OnlySyntax(pattern)) return undefined;
  try {
    new RegExp(pattern);
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, "") : String(err);
    return { kind: "invalid", reason: reason.charAt(0).toLowerCase() + reason.slice(1), offset: 0 };
  }
  return undefined;
}

function usesRe2OnlySyntax(p: string): boolean {
  return /\(\?[imsU-]*[):]|\(\?P|\\[QzACpP]|\[\[:|\\x\{/.test(p);
}

function scan(p: string): RegexProblem | undefined {
  const s = new Scanner(p);
  while (s.i < p.length) {
    const c = p[s.i]!;
    const at = s.i;
    let problem: RegexProblem | undefined;
    switch (c) {
      case "\\":
        problem = escapeOutside(s);
        break;
      case "(":
        problem = openGroup(s);
        break;
      case ")":
        if (s.groups.length === 0) return invalid("unmatched \")\"", at);
        s.groups.pop();
        s.i++;
        s.atom = true;
        s.repeated = false;
        break;
      case "|":
        s.i++;
        s.atom = false;
        s.repeated = false;
        break;
      case "[":
        problem = charClass(s);
        break;
      case "*":
      case "+":
      case "?":
        problem = repetition(s, 1);
        break;
      case "{": {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(at));
        if (!m) {
          literal(s, 1); // RE2, like Perl, reads a "{" that starts no count as a literal
          break;
        }
        const min = Number(m[1]);
        const max = m[2] === undefined ? min : m[3] === "" ? undefined : Number(m[3]);
        if (min > MAX_REPEAT || (max !== undefined && max > MAX_REPEAT)) {
          return unsupported(`repeat count ${m[0]} over ${MAX_REPEAT}`, `RE2 allows at most {${MAX_REPEAT}}; use a + or * instead of a large count.`, at);
        }
        if (max !== undefined && max < min) return invalid(`repeat count ${m[0]} has its maximum below its minimum`, at);
        problem = repetition(s, m[0].length);
        break;
      }
      default:
        literal(s, 1);
    }
    if (problem) return problem;
  }
  if (s.groups.length > 0) return invalid("missing closing \")\"", s.groups[s.groups.length - 1]!);
  return undefined;
}

function literal(s: Scanner, width: number): void {
  s.i += width;
  s.atom = true;
  s.repeated = false;
}

function invalid(reason: string, offset: number): RegexProblem {
  return { kind: "invalid", reason, offset };
}

/** A problem only Envoy's Latin-1 RE2 has (see latin1Problem). */
function invalidLatin1(reason: string, offset: number): RegexProblem {
  return { kind: "invalid", reason, offset, latin1: true };
}

function unsupported(feature: string, advice: string, offset: number): RegexProblem {
  return { kind: "unsupported", feature, advice, offset };
}

/** After an atom: *, +, ?, or a {n,m} count of `width` characters; then an optional lazy "?". */
function repetition(s: Scanner, width: number): RegexProblem | undefined {
  const at = s.i;
  const op = s.p.slice(at, at + width);
  if (s.repeated) return invalid(`repetition operator "${op}" applied to a repetition`, at);
  if (!s.atom) return invalid(`nothing to repeat before "${op}"`, at);
  s.i += width;
  if (s.p[s.i] === "?") s.i++;
  else if (s.p[s.i] === "+") return unsupported(`possessive quantifier "${op}+"`, POSSESSIVE, at);
  s.atom = false;
  s.repeated = true;
  return undefined;
}

function openGroup(s: Scanner): RegexProblem | undefined {
  const p = s.p;
  const at = s.i;
  const rest = p.slice(at);
  s.repeated = false;
  if (rest.startsWith("(*")) {
    const verb = /^\(\*[A-Z_]+(?::[^)]*)?\)/.exec(rest);
    if (verb) return unsupported(`PCRE verb ${verb[0]}`, "Remove the verb; RE2 has no backtracking control.", at);
    return invalid("nothing to repeat before \"*\"", at + 1);
  }
  if (!rest.startsWith("(?")) {
    s.groups.push(at);
    s.i++;
    s.atom = false;
    return undefined;
  }
  const two = rest.slice(2);
  const feature = (name: string, advice: string) => unsupported(name, advice, at);
  if (two.startsWith("=")) return feature("lookahead (?=…)", LOOKAROUND);
  if (two.startsWith("!")) return feature("negative lookahead (?!…)", LOOKAROUND);
  if (two.startsWith("<=")) return feature("lookbehind (?<=…)", LOOKAROUND);
  if (two.startsWith("<!")) return feature("negative lookbehind (?<!…)", LOOKAROUND);
  if (two.startsWith(">")) return feature("atomic group (?>…)", "Use a plain group (?:…); RE2 never backtracks, so it behaves the same.");
  if (two.startsWith("#")) return feature("comment group (?#…)", "Remove the comment from the pattern.");
  if (two.startsWith("|")) return feature("branch reset group (?|…)", "Use a plain group (?:…).");
  if (two.startsWith("(")) return feature("conditional group (?(…)…)", "Split the alternatives into separate routes.");
  if (/^(R|[+-]?\d+|&)/.test(two)) return feature("recursion (?R)", "RE2 matches regular languages only; bound the nesting explicitly.");
  if (two.startsWith("C")) return feature("callout (?C…)", "Remove the callout.");
  if (two.startsWith("P=")) return feature("named backreference (?P=…)", BACKREF);
  if (two.startsWith("P>")) return feature("recursion (?P>…)", "RE2 matches regular languages only; bound the nesting explicitly.");
  if (two.startsWith("'")) return feature("named group (?'name'…)", "Write the group as (?P<name>…).");
  const named = /^(?:P<|<)([^>]*)>/.exec(two);
  if (named || two.startsWith("P<") || two.startsWith("<")) {
    if (!named) return invalid("unterminated group name", at);
    const name = named[1]!;
    if (!/^\w+$/.test(name)) return invalid(`invalid group name "${name}"`, at);
    if (s.names.has(name)) return invalid(`duplicate group name "${name}"`, at);
    s.names.add(name);
    s.groups.push(at);
    s.i += 2 + named[0].length;
    s.atom = false;
    return undefined;
  }
  // Flags: (?flags) or (?flags:re), flags from i m s U with an optional "-".
  const flags = /^([A-Za-z]*)(?:-([A-Za-z]*))?([):])/.exec(two);
  if (!flags) return invalid("invalid group syntax after \"(?\"", at);
  const letters = (flags[1] ?? "") + (flags[2] ?? "");
  const bad = [...letters].find((f) => !"imsU".includes(f));
  if (bad !== undefined) {
    return feature(`flag "${bad}"`, "RE2 supports only the flags i, m, s and U; rewrite the pattern without it.");
  }
  if (letters === "") return invalid("empty flag group", at);
  s.i += 2 + flags[0].length;
  if (flags[3] === ":") s.groups.push(at);
  s.atom = false; // "(?i)" matches nothing: RE2 rejects a repetition right after it
  return undefined;
}

/** An escape outside a class, cursor on the backslash. */
function escapeOutside(s: Scanner): RegexProblem | undefined {
  const p = s.p;
  const at = s.i;
  const c = p[at + 1];
  if (c === undefined) return invalid("trailing backslash", at);
  if (c === "Q") {
    const end = p.indexOf("\\E", at + 2);
    const stop = end < 0 ? p.length : end + 2;
    const empty = (end < 0 ? p.length : end) === at + 2;
    s.i = stop;
    if (!empty) s.atom = true;
    s.repeated = false;
    return undefined;
  }
  if (c === "E") {
    // A stray \E (no \Q) is ignored, as in Perl.
    s.i += 2;
    return undefined;
  }
  if ("bBAz".includes(c)) {
    literal(s, 2);
    return undefined;
  }
  if (c === "C") {
    literal(s, 2);
    return undefined;
  }
  const r = escapeCommon(s, at, false);
  if (r.problem) return r.problem;
  literal(s, r.width);
  return undefined;
}

/** Escapes valid both in and out of classes; returns the escape's width and, for a single character, its value. */
function escapeCommon(s: Scanner, at: number, inClass: boolean): { width: number; value?: number; problem?: RegexProblem } {
  const p = s.p;
  const c = p[at + 1]!;
  const fail = (problem: RegexProblem) => ({ width: 0, problem });
  if (c >= "1" && c <= "9") {
    const next = p[at + 2];
    if (c <= "7" && next !== undefined && next >= "0" && next <= "7") return octal(p, at);
    return fail(unsupported(`backreference \\${c}`, BACKREF, at));
  }
  if (c === "0") return octal(p, at);
  if (c in SIMPLE_ESCAPES) return { width: 2, value: SIMPLE_ESCAPES[c]! };
  if (c === "x") {
    const braced = /^\\x\{([0-9A-Fa-f]+)\}/.exec(p.slice(at));
    if (braced) {
      const v = parseInt(braced[1]!, 16);
      if (v > 0x10ffff) return fail(invalid(`hex escape ${braced[0]} beyond U+10FFFF`, at));
      // Envoy's RE2 reads the pattern as Latin-1, where \x{…} ends at \x{FF} ("invalid escape sequence"); this
      // includes the UTF-16 surrogates \x{D800}-\x{DFFF} the UTF-8 RE2 would take.
      if (v > 0xff) return fail(invalidLatin1(`hex escape ${braced[0]} is above \\x{FF}: Envoy's RE2 reads patterns as Latin-1 bytes, where \\x{…} ends at \\x{FF} (write the character itself, outside a class, to match its UTF-8 bytes)`, at));
      return { width: braced[0].length, value: v };
    }
    const two = /^\\x([0-9A-Fa-f]{2})/.exec(p.slice(at));
    if (two) return { width: 4, value: parseInt(two[1]!, 16) };
    return fail(invalid("\\x needs two hex digits or {hex}", at));
  }
  if (PERL_CLASSES.includes(c)) return { width: 2 };
  if (c === "p" || c === "P") {
    const braced = /^\\[pP]\{\^?[A-Za-z_&]+\}/.exec(p.slice(at));
    if (braced) return { width: braced[0].length };
    if (p[at + 2] === "{") return fail(invalid(`unterminated or empty Unicode class \\${c}{`, at));
    if (p[at + 2] !== undefined && /[A-Za-z]/.test(p[at + 2]!)) return { width: 3 };
    return fail(invalid(`\\${c} needs a one-letter class or {Name}`, at));
  }
  if (inClass && c === "b") return fail(unsupported("backspace \\b inside a class", "Write backspace as \\x08.", at));
  if (c in UNSUPPORTED_ESCAPES) {
    const [feature, advice] = UNSUPPORTED_ESCAPES[c]!;
    return fail(unsupported(feature, advice, at));
  }
  const code = c.codePointAt(0)!;
  if (code < 0x80 && !/[A-Za-z0-9]/.test(c)) return { width: 2, value: code }; // escaped punctuation
  return fail(invalid(`unknown escape \\${c}`, at));
}

/** The first byte of a code point's UTF-8 form (a lone surrogate counts as its 3-byte form, 0xED). */
function firstUtf8Byte(cp: number): number {
  if (cp < 0x80) return cp;
  if (cp < 0x800) return 0xc0 | (cp >> 6);
  if (cp < 0x10000) return 0xe0 | (cp >> 12);
  return 0xf0 | (cp >> 18);
}

/** The last byte of a code point's UTF-8 form. */
function lastUtf8Byte(cp: number): number {
  return cp < 0x80 ? cp : 0x80 | (cp & 0x3f);
}

/**
 * What Envoy's RE2 refuses in a pattern the UTF-8 RE2 accepts. Envoy 1.40 reads patterns as Latin-1: checked with
 * `envoy --mode validate`, it refuses \x{100} and above ("invalid escape sequence: \x{100", surrogates included)
 * and [\x{E9}-é] ("invalid character class range: \x{E9}-Ã", é being the bytes C3 A9). Call it only for patterns
 * RE2 compiled: other problems the scanner reports are left to RE2's verdict.
 */
export function latin1Problem(pattern: string): RegexProblem | undefined {
  const problem = scan(pattern);
  return problem?.kind === "invalid" && problem.latin1 ? problem : undefined;
}

/** \0, \12, \123: up to three octal digits in total. */
function octal(p: string, at: number): { width: number; value: number } {
  const m = /^\\([0-7]{1,3})/.exec(p.slice(at))!;
  return { width: 1 + m[1]!.length, value: parseInt(m[1]!, 8) };
}

/** A bracket class, cursor on "[". */
function charClass(s: Scanner): RegexProblem | undefined {
  const p = s.p;
  const start = s.i;
  let i = start + 1;
  if (p[i] === "^") i++;
  let first = true;
  while (true) {
    if (i >= p.length) return invalid("missing closing \"]\"", start);
    const c = p[i]!;
    if (c === "]" && !first) break;
    first = false;
    if (c === "[" && p[i + 1] === ":") {
      const end = p.indexOf(":]", i + 2);
      if (end < 0) return invalid("unterminated POSIX class \"[:\"", i);
      const name = p.slice(i + 2, end).replace(/^\^/, "");
      if (!POSIX_CLASSES.has(name)) return invalid(`unknown POSIX class "[:${name}:]"`, i);
      i = end + 2;
      continue;
    }
    let value: number | undefined;
    let width: number;
    const loLiteral = c !== "\\" && c.codePointAt(0)! > 0x7f;
    let hiLiteral = false;
    if (c === "\\") {
      if (p[i + 1] === undefined) return invalid("trailing backslash", i);
      if ("AzBCQE".includes(p[i + 1]!)) return invalid(`escape \\${p[i + 1]} is not allowed inside a class`, i);
      s.i = i;
      const r = escapeCommon(s, i, true);
      if (r.problem) return r.problem;
      width = r.width;
      value = r.value;
    } else {
      const cp = p.codePointAt(i)!;
      width = cp > 0xffff ? 2 : 1;
      // As a range's low end, a literal non-ASCII character is its UTF-8 bytes, the last of which starts the range.
      value = lastUtf8Byte(cp);
    }
    // A range lo-hi: "-" after a single character, not at the end of the class. After a class escape (\d-z)
    // the "-" is a literal, as in Perl.
    if (value !== undefined && p[i + width] === "-" && p[i + width + 1] !== undefined && p[i + width + 1] !== "]") {
      const hiAt = i + width + 1;
      let hi: number | undefined;
      let hiWidth: number;
      if (p[hiAt] === "\\") {
        if (p[hiAt + 1] === undefined) return invalid("trailing backslash", hiAt);
        const r = escapeCommon(s, hiAt, true);
        if (r.problem) return r.problem;
        hi = r.value;
        hiWidth = r.width;
      } else if (p[hiAt] === "[" && p[hiAt + 1] === ":") {
        return invalid("a POSIX class cannot end a range", hiAt);
      } else {
        const cp = p.codePointAt(hiAt)!;
        hiWidth = cp > 0xffff ? 2 : 1;
        // ... and as its high end, its first byte ends it (the rest are members of their own).
        hi = firstUtf8Byte(cp);
        hiLiteral = cp > 0x7f;
      }
      if (hi === undefined) return invalid("a class escape cannot end a range", hiAt);
      if (hi < value) {
        const range = `range "${p.slice(i, hiAt + hiWidth)}"`;
        if (!loLiteral && !hiLiteral) return invalid(`${range} is reversed`, i);
        // A range between code points that is reversed between the bytes Envoy's Latin-1 RE2 sees.
        return invalidLatin1(`${range} is reversed in Envoy's RE2, which reads patterns as Latin-1 bytes: a non-ASCII character is its UTF-8 bytes, so the range runs from byte 0x${value.toString(16).toUpperCase()} to byte 0x${hi.toString(16).toUpperCase()} (give both ends as \\x{…} escapes of at most \\x{FF})`, i);
      }
      i = hiAt + hiWidth;
      continue;
    }
    i += width;
  }
  s.i = i + 1;
  s.atom = true;
  s.repeated = false;
  return undefined;
}
