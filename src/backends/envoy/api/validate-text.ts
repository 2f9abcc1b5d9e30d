// The string and bytes rules of protoc-gen-validate: lengths (characters = code points, bytes = UTF-8), affixes,
// sets, RE2 patterns, the well-known formats (email, hostname, ip, uri, ...) and the HTTP header regexes.
import { isIP } from "node:net";
import type { CanonicalValue } from "./canonical.js";
import { re2ToRegExp } from "./re2.js";
import type { Check } from "./validate-rules.js";

type Rules = { [key: string]: unknown };

export const STRING_WELL_KNOWN = ["email", "hostname", "ip", "ipv4", "ipv6", "uri", "uri_ref", "address", "uuid"];

// protoc-gen-validate's well-known regexes (identical in its Go, C++ and Java back ends).
const HEADER_NAME = /^:?[0-9a-zA-Z!#$%&'*+-.^_|~`]+$/;
const HEADER_VALUE = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;
const HEADER_LOOSE = /^[^\u0000\u000A\u000D]*$/;

function runeCount(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

function lengthChecks(r: Rules, measure: (v: CanonicalValue) => number, unit: string, keys: [string, string, string]): Check[] {
  const checks: Check[] = [];
  const [exact, min, max] = keys;
  if (r[exact] !== undefined) {
    const n = Number(r[exact]);
    checks.push((v, p, e) => (measure(v) === n ? undefined : e(p, `value must be exactly ${n} ${unit}`)));
  }
  if (r[min] !== undefined) {
    const n = Number(r[min]);
    if (n > 0) checks.push((v, p, e) => (measure(v) >= n ? undefined : e(p, `value must be at least ${n} ${unit}`)));
  }
  if (r[max] !== undefined) {
    const n = Number(r[max]);
    checks.push((v, p, e) => (measure(v) <= n ? undefined : e(p, `value must be at most ${n} ${unit}`)));
  }
  return checks;
}

function patternCheck(pattern: unknown, kind: string, problems: string[], text: (v: CanonicalValue) => string): Check | undefined {
  let re: RegExp;
  try {
    re = re2ToRegExp(String(pattern));
  } catch (err) {
    problems.push(`${kind}.pattern ${JSON.stringify(pattern)} cannot be checked: ${(err as Error).message}`);
    return undefined;
  }
  const msg = `value does not match regex pattern ${JSON.stringify(String(pattern))}`;
  return (v, p, e) => (re.test(text(v)) ? undefined : e(p, msg));
}

export function stringChecks(r: Rules, problems: string[]): Check[] {
  const s = (v: CanonicalValue) => v as string;
  const checks: Check[] = lengthChecks(r, (v) => runeCount(s(v)), "characters", ["len", "min_len", "max_len"]);
  checks.push(...lengthChecks(r, (v) => Buffer.byteLength(s(v), "utf8"), "bytes", ["len_bytes", "min_bytes", "max_bytes"]));
  if (r.const !== undefined) {
    const c = String(r.const);
    checks.push((v, p, e) => (s(v) === c ? undefined : e(p, `must equal ${JSON.stringify(c)}`)));
  }
  if (r.pattern !== undefined) {
    const c = patternCheck(r.pattern, "string", problems, s);
    if (c) checks.push(c);
  }
  const affix: [string, (x: string, a: string) => boolean, string][] = [
    ["prefix", (x, a) => x.startsWith(a), "start with"],
    ["suffix", (x, a) => x.endsWith(a), "end with"],
    ["contains", (x, a) => x.includes(a), "contain"],
    ["not_contains", (x, a) => !x.includes(a), "not contain"],
  ];
  for (const [rule, test, verb] of affix) {
    if (r[rule] === undefined) continue;
    const a = String(r[rule]);
    const msg = `value must ${verb} ${JSON.stringify(a)}`;
    checks.push((v, p, e) => (test(s(v), a) ? undefined : e(p, msg)));
  }
  for (const [rule, negate] of [["in", false], ["not_in", true]] as const) {
    if (r[rule] === undefined) continue;
    const set = new Set(toArray(r[rule]).map(String));
    const msg = `must ${negate ? "not " : ""}be one of [${[...set].map((x) => JSON.stringify(x)).join(", ")}]`;
    checks.push((v, p, e) => (set.has(s(v)) === negate ? e(p, msg) : undefined));
  }
  for (const wk of STRING_WELL_KNOWN) {
    if (r[wk] !== true) continue;
    const [test, what] = WELL_KNOWN_STRING[wk]!;
    checks.push((v, p, e) => (test(s(v)) ? undefined : e(p, `must be a valid ${what}`)));
  }
  if (r.well_known_regex !== undefined) {
    const which = r.well_known_regex;
    const strict = r.strict !== false;
    const name = which === "HTTP_HEADER_NAME" || which === 1;
    const value = which === "HTTP_HEADER_VALUE" || which === 2;
    if (!name && !value) {
      if (which !== "UNKNOWN" && which !== 0) problems.push(`string.well_known_regex ${JSON.stringify(which)} is not supported`);
    } else {
      const re = !strict ? HEADER_LOOSE : name ? HEADER_NAME : HEADER_VALUE;
      const what = name ? "HTTP header name" : "HTTP header value";
      const msg = !strict
        ? `must be a valid ${what} (no NUL, CR or LF characters)`
        : name
          ? `must be a valid ${what} (RFC 7230 token characters)`
          : `must be a valid ${what} (no control characters)`;
      checks.push((v, p, e) => (re.test(s(v)) ? undefined : e(p, msg)));
    }
  }
  return checks;
}

const HOSTNAME_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
function isHostname(h: string): boolean {
  const s = h.endsWith(".") ? h.slice(0, -1) : h;
  if (s.length === 0 || s.length > 253) return false;
  return s.split(".").every((l) => HOSTNAME_LABEL.test(l));
}
function isEmail(v: string): boolean {
  const m = /^(?:[^<>]*<([^<>]+)>|([^<>]+))$/.exec(v.trim());
  const addr = m?.[1] ?? m?.[2];
  if (!addr) return false;
  const at = addr.lastIndexOf("@");
  if (at <= 0) return false;
  const local = addr.slice(0, at);
  return local.length <= 64 && !/\s/.test(local) && isHostname(addr.slice(at + 1));
}
function isUri(v: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:/.test(v) && URL.canParse(v);
}
const WELL_KNOWN_STRING: Record<string, [(v: string) => boolean, string]> = {
  email: [isEmail, "email address"],
  hostname: [isHostname, "hostname"],
  ip: [(v) => isIP(v) !== 0, "IP address"],
  ipv4: [(v) => isIP(v) === 4, "IPv4 address"],
  ipv6: [(v) => isIP(v) === 6, "IPv6 address"],
  uri: [isUri, "absolute URI"],
  uri_ref: [(v) => !/\s/.test(v) && URL.canParse(v, "http://relative.invalid/"), "URI reference"],
  address: [(v) => isIP(v) !== 0 || isHostname(v), "IP address or hostname"],
  uuid: [(v) => /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(v), "UUID"],
};

/** Bytes named in a rule: protobufjs hands text-format bytes literals over as strings of byte-valued characters. */
function ruleBytes(x: unknown): Buffer {
  if (x instanceof Uint8Array) return Buffer.from(x);
  const s = String(x);
  return Buffer.from(s, /[^\u0000-\u00ff]/.test(s) ? "utf8" : "latin1");
}

export function bytesChecks(r: Rules, problems: string[]): Check[] {
  const b = (v: CanonicalValue) => Buffer.from(v as string, "base64");
  const checks: Check[] = lengthChecks(r, (v) => b(v).length, "bytes", ["len", "min_len", "max_len"]);
  if (r.const !== undefined) {
    const c = ruleBytes(r.const);
    checks.push((v, p, e) => (b(v).equals(c) ? undefined : e(p, `must equal the bytes 0x${c.toString("hex")}`)));
  }
  if (r.pattern !== undefined) {
    const c = patternCheck(r.pattern, "bytes", problems, (v) => b(v).toString("utf8"));
    if (c) checks.push(c);
  }
  const affix: [string, (x: Buffer, a: Buffer) => boolean, string][] = [
    ["prefix", (x, a) => x.subarray(0, a.length).equals(a), "start with"],
    ["suffix", (x, a) => x.length >= a.length && x.subarray(x.length - a.length).equals(a), "end with"],
    ["contains", (x, a) => x.includes(a), "contain"],
  ];
  for (const [rule, test, verb] of affix) {
    if (r[rule] === undefined) continue;
    const a = ruleBytes(r[rule]);
    const msg = `value must ${verb} the bytes 0x${a.toString("hex")}`;
    checks.push((v, p, e) => (test(b(v), a) ? undefined : e(p, msg)));
  }
  for (const [rule, negate] of [["in", false], ["not_in", true]] as const) {
    if (r[rule] === undefined) continue;
    const list = toArray(r[rule]).map(ruleBytes);
    const set = new Set(list.map((x) => x.toString("base64")));
    const msg = `must ${negate ? "not " : ""}be one of [${list.map((x) => `0x${x.toString("hex")}`).join(", ")}]`;
    checks.push((v, p, e) => (set.has(b(v).toString("base64")) === negate ? e(p, msg) : undefined));
  }
  const sizes: [string, number[], string][] = [["ip", [4, 16], "IP address"], ["ipv4", [4], "IPv4 address"], ["ipv6", [16], "IPv6 address"]];
  for (const [rule, lens, what] of sizes) {
    if (r[rule] === true) checks.push((v, p, e) => (lens.includes(b(v).length) ? undefined : e(p, `must be a valid ${what} in bytes`)));
  }
  return checks;
}

function toArray(x: unknown): unknown[] {
  return Array.isArray(x) ? x : [x];
}
