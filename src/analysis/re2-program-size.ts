// An estimate of the size of the RE2 program a regex compiles to, for Envoy's limit (re2.max_program_size.error_level,
// default 100: "RE2 program size of N > max program size of 100"). RE2's compiler is not reproduced; the costs are
// calibrated against Envoy 1.40 (a{N} = N + 4, "." = 2, \S = 4, \pL = 7, a capture group = 2, x{n,m} = n copies plus
// (m - n) optional copies, ...). Only run on patterns checkRe2 accepted. It errs on the high side for long
// alternations (RE2 factors common prefixes), so a pattern near the limit may be reported though Envoy takes it.

export const ENVOY_MAX_PROGRAM_SIZE = 100;
const OVERHEAD = 4;

export function re2ProgramSize(pattern: string): number {
  const p = new Parser(pattern);
  return p.alternation() + OVERHEAD;
}

class Parser {
  private i = 0;
  private dotAll = false;
  constructor(private readonly s: string) {}

  alternation(): number {
    const alts: { cost: number; single: boolean }[] = [this.concat()];
    while (this.s[this.i] === "|") {
      this.i++;
      alts.push(this.concat());
    }
    if (alts.length === 1) return alts[0]!.cost;
    if (alts.every((a) => a.single)) return 1; // a|b|[cd] becomes one class
    return alts.reduce((n, a) => n + a.cost, 0) + alts.length - 1;
  }

  private concat(): { cost: number; single: boolean } {
    let cost = 0;
    let items = 0;
    let single = true;
    while (this.i < this.s.length && this.s[this.i] !== "|" && this.s[this.i] !== ")") {
      const atom = this.atom();
      const rep = this.repeat(atom.cost);
      cost += rep.cost;
      if (atom.cost > 0) items++;
      if (!atom.single || rep.repeated) single = false;
    }
    return { cost, single: single && items === 1 };
  }

  private repeat(base: number): { cost: number; repeated: boolean } {
    let cost = base;
    let repeated = false;
    for (;;) {
      const c = this.s[this.i];
      if (c === "*" || c === "+" || c === "?") {
        this.i++;
        if (this.s[this.i] === "?") this.i++;
        cost = cost + 1;
        repeated = true;
        continue;
      }
      if (c === "{") {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(this.s.slice(this.i));
        if (!m) return { cost, repeated };
        this.i += m[0].length;
        if (this.s[this.i] === "?") this.i++;
        const n = Number(m[1]);
        if (m[2] === undefined) cost = n * cost;
        else if (m[3] === "") cost = n === 0 ? cost + 1 : n * cost + 1;
        else cost = n * cost + (Number(m[3]) - n) * (cost + 1);
        repeated = true;
        continue;
      }
      return { cost, repeated };
    }
  }

  private atom(): { cost: number; single: boolean } {
    const c = this.s[this.i]!;
    if (c === "(") return this.group();
    if (c === "[") return { cost: this.charClass(), single: true };
    if (c === "\\") return this.escape();
    this.i++;
    if (c === "^" || c === "$") return { cost: 1, single: false };
    if (c === ".") return { cost: this.dotAll ? 1 : 2, single: true };
    return { cost: Buffer.byteLength(String.fromCodePoint(this.s.codePointAt(this.i - 1)!)), single: true };
  }

  private group(): { cost: number; single: boolean } {
    this.i++; // (
    let capture = true;
    if (this.s[this.i] === "?") {
      const flags = /^\?([imsU-]*)(\)|:)/.exec(this.s.slice(this.i));
      if (flags) {
        this.i += flags[0].length;
        if (flags[1]!.includes("s") && !flags[1]!.startsWith("-")) this.dotAll = true;
        if (flags[2] === ")") return { cost: 0, single: false };
        capture = false;
      } else {
        const named = /^\?P?<[^>]*>/.exec(this.s.slice(this.i));
        if (named) this.i += named[0].length;
      }
    }
    const inner = this.alternation();
    if (this.s[this.i] === ")") this.i++;
    return capture ? { cost: inner + 2, single: false } : { cost: inner, single: inner === 1 };
  }

  private escape(): { cost: number; single: boolean } {
    const next = this.s[this.i + 1] ?? "";
    this.i += 2;
    if ("dw".includes(next)) return { cost: 1, single: true };
    if ("D".includes(next)) return { cost: 3, single: true };
    if ("sS W".includes(next) && next !== " ") return { cost: next === "s" ? 1 : 4, single: true };
    if ("bBAz".includes(next)) return { cost: 1, single: false };
    if (next === "p" || next === "P") {
      if (this.s[this.i] === "{") this.i = this.s.indexOf("}", this.i) + 1 || this.s.length;
      else this.i++;
      return { cost: 7, single: true };
    }
    if (next === "x") {
      if (this.s[this.i] === "{") {
        const end = this.s.indexOf("}", this.i);
        const cp = parseInt(this.s.slice(this.i + 1, end), 16);
        this.i = end + 1;
        return { cost: Number.isFinite(cp) ? Buffer.byteLength(String.fromCodePoint(Math.min(cp, 0x10ffff))) : 1, single: true };
      }
      this.i += 2;
      return { cost: 1, single: true };
    }
    if (next === "Q") {
      const end = this.s.indexOf("\\E", this.i);
      const lit = end < 0 ? this.s.slice(this.i) : this.s.slice(this.i, end);
      this.i = end < 0 ? this.s.length : end + 2;
      return { cost: Buffer.byteLength(lit), single: Buffer.byteLength(lit) <= 1 };
    }
    return { cost: 1, single: true };
  }

  /** A bracket class: 1 for an ASCII class, 3 when negated, 7 with Unicode classes or non-ASCII members. */
  private charClass(): number {
    this.i++; // [
    let negated = false;
    let unicode = false;
    if (this.s[this.i] === "^") {
      negated = true;
      this.i++;
    }
    if (this.s[this.i] === "]") this.i++;
    while (this.i < this.s.length && this.s[this.i] !== "]") {
      if (this.s.startsWith("[:", this.i)) {
        const end = this.s.indexOf(":]", this.i);
        this.i = end < 0 ? this.s.length : end + 2;
        continue;
      }
      if (this.s[this.i] === "\\") {
        const e = this.s[this.i + 1] ?? "";
        if (e === "p" || e === "P") unicode = true;
        if ("SWD".includes(e)) negated = true;
        this.i += 2;
        if ((e === "p" || e === "P" || e === "x") && this.s[this.i] === "{") this.i = this.s.indexOf("}", this.i) + 1 || this.s.length;
        continue;
      }
      if (this.s.codePointAt(this.i)! > 0x7f) unicode = true;
      this.i += this.s.codePointAt(this.i)! > 0xffff ? 2 : 1;
    }
    this.i++; // ]
    return unicode ? 7 : negated ? 3 : 1;
  }
}
