// RE2 pattern text (what `(validate.rules).string.pattern` holds) -> an equivalent JavaScript RegExp. The two
// dialects agree on the common core; this rewrites the RE2-only spellings (\A, \z, \Q…\E, \pL, \x{…}, (?P<n>…),
// [[:alpha:]], leading (?i)/(?s)/(?m), escaped punctuation that the `u` flag forbids) and throws on what it cannot
// express, so a rule is reported as uncheckable instead of being checked wrongly.

const POSIX: Record<string, string> = {
  alnum: "0-9A-Za-z",
  alpha: "A-Za-z",
  ascii: "\\x00-\\x7F",
  blank: "\\t ",
  cntrl: "\\x00-\\x1F\\x7F",
  digit: "0-9",
  graph: "!-~",
  lower: "a-z",
  print: " -~",
  punct: "!-\\/:-@\\[-`{-~",
  space: "\\t\\n\\v\\f\\r ",
  upper: "A-Z",
  word: "0-9A-Za-z_",
  xdigit: "0-9A-Fa-f",
};

// Escapes the `u` flag accepts for punctuation; any other escaped punctuation is written as the bare character.
const SYNTAX_OUTSIDE = "^$\\.*+?()[]{}|/";
const SYNTAX_INSIDE = SYNTAX_OUTSIDE + "-";
// RE2's \s is ASCII-only; JavaScript's also matches Unicode spaces.
const RE2_SPACE = "\\t\\n\\f\\r ";

export function re2ToRegExp(pattern: string): RegExp {
  let flags = "u";
  let src = pattern;
  const lead = /^\(\?([a-zA-Z]+)\)/.exec(src);
  if (lead) {
    for (const f of lead[1]!) {
      if (f === "i" || f === "m" || f === "s") flags += f;
      else throw new Error(`flag (?${f}) has no JavaScript equivalent`);
    }
    src = src.slice(lead[0].length);
  }
  let out = "";
  let inClass = false;
  let classBody = 0; // index of the first character of the current class body
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (ch === "\\") {
      const n = src[i + 1];
      if (n === undefined) throw new Error("trailing backslash");
      i++;
      if (n === "Q") {
        const end = src.indexOf("\\E", i + 1);
        const lit = src.slice(i + 1, end < 0 ? undefined : end);
        out += [...lit].map((c) => literal(c, inClass)).join("");
        i = end < 0 ? src.length : end + 1;
      } else if (n === "A" || n === "z") {
        if (inClass) throw new Error(`\\${n} inside a character class`);
        out += n === "A" ? "(?<![\\s\\S])" : "(?![\\s\\S])";
      } else if (n === "s") {
        out += inClass ? RE2_SPACE : `[${RE2_SPACE}]`;
      } else if (n === "S") {
        if (inClass) throw new Error("\\S inside a character class");
        out += `[^${RE2_SPACE}]`;
      } else if ((n === "p" || n === "P") && src[i + 1] !== "{") {
        const cls = src[i + 1];
        if (cls === undefined) throw new Error(`incomplete \\${n}`);
        out += `\\${n}{${cls}}`;
        i++;
      } else if (n === "x" && src[i + 1] === "{") {
        const end = src.indexOf("}", i + 2);
        if (end < 0) throw new Error("unterminated \\x{");
        out += `\\u{${src.slice(i + 2, end)}}`;
        i = end;
      } else if (n === "C" || n === "Z" || /[0-9]/.test(n)) {
        throw new Error(`\\${n} has no JavaScript equivalent`);
      } else if (/[A-Za-z]/.test(n)) {
        out += "\\" + n;
      } else {
        out += (inClass ? SYNTAX_INSIDE : SYNTAX_OUTSIDE).includes(n) ? "\\" + n : literal(n, inClass);
      }
      continue;
    }
    if (inClass) {
      if (ch === "[" && src[i + 1] === ":") {
        const end = src.indexOf(":]", i + 2);
        const name = end < 0 ? "" : src.slice(i + 2, end);
        const body = POSIX[name];
        if (!body) throw new Error(`POSIX class [:${name}:] is not supported`);
        out += body;
        i = end + 1;
      } else if (ch === "]" && i === classBody) {
        out += "\\]"; // RE2: a "]" right after "[" or "[^" is literal
      } else {
        if (ch === "]") inClass = false;
        out += ch === "[" ? "\\[" : ch;
      }
      continue;
    }
    if (ch === "[") {
      inClass = true;
      classBody = src[i + 1] === "^" ? i + 2 : i + 1;
      out += src[i + 1] === "^" ? "[^" : "[";
      if (src[i + 1] === "^") i++;
      continue;
    }
    if (ch === "(" && src.startsWith("(?P<", i)) {
      out += "(?<";
      i += 3;
      continue;
    }
    if (ch === "(" && src[i + 1] === "?" && /[a-zA-Z-]/.test(src[i + 2] ?? "") && src[i + 2] !== "P") {
      throw new Error("inline flag groups have no JavaScript equivalent");
    }
    out += ch;
  }
  if (inClass) throw new Error("missing ]");
  return new RegExp(out, flags);
}

function literal(c: string, inClass: boolean): string {
  return (inClass ? SYNTAX_INSIDE : SYNTAX_OUTSIDE).includes(c) ? "\\" + c : c;
}
