// Compiles one field's protoc-gen-validate `(validate.rules)` (as protobufjs parses them into `parsedOptions`) into
// checker functions over canonical values (see canonical.ts). validate.ts decides when a field is checked (presence,
// oneofs, recursion); this file decides what each rule means. A rule kind this file does not know becomes a
// "problem" that validate.ts reports as an issue, so a proto upgrade cannot silently skip a rule.
import protobuf from "protobufjs";
import type { Canonical, CanonicalValue } from "./canonical.js";
import { joinPath } from "./issues.js";
import { formatDuration } from "./json.js";
import { bytesChecks, STRING_WELL_KNOWN, stringChecks } from "./validate-text.js";
import { dottedName } from "./registry.js";

export type Emit = (path: string, message: string) => void;
export type Check = (v: CanonicalValue, path: string, emit: Emit) => void;
type Rules = { [key: string]: unknown };

/** Rules for one value: a singular field's value, a list item, or a map value. */
export interface ElemRules {
  /** message/duration/any/timestamp `required`: the (message-typed) value must be set. */
  required: boolean;
  /** message.skip: do not validate inside the nested message. */
  skip: boolean;
  /** Checks a present value (absent scalars are passed as their default by the caller). */
  check?: Check;
}

export interface FieldRulesPlan {
  /** Rule kinds or values that cannot be checked; each becomes an issue whenever the field is visited. */
  problems: string[];
  elem?: ElemRules;
  /** Repeated fields: checks on the whole list (value is the CanonicalValue[]). */
  list?: Check;
  items?: ElemRules;
  /** Map fields: checks on the whole map (value is the canonical map object). */
  pairs?: Check;
  /** Map keys, already converted from the canonical string key to the key type's canonical value. */
  keys?: Check;
  values?: ElemRules;
  /** repeated/map `ignore_empty`: an empty list or map skips every rule. */
  ignoreEmpty: boolean;
}

const NUMERIC = ["float", "double", "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64", "sfixed32", "sfixed64"];
const NUMERIC_RULES = ["const", "lt", "lte", "gt", "gte", "in", "not_in", "ignore_empty"];

/** Every `kind.rule` this validator implements (`repeated.items` etc. nest further FieldRules). */
export const SUPPORTED_RULE_KINDS: ReadonlySet<string> = new Set([
  ...NUMERIC.flatMap((k) => NUMERIC_RULES.map((r) => `${k}.${r}`)),
  "bool.const",
  ...["const", "len", "min_len", "max_len", "len_bytes", "min_bytes", "max_bytes", "pattern", "prefix", "suffix", "contains",
    "not_contains", "in", "not_in", ...STRING_WELL_KNOWN, "well_known_regex", "strict", "ignore_empty"].map((r) => `string.${r}`),
  ...["const", "len", "min_len", "max_len", "pattern", "prefix", "suffix", "contains", "in", "not_in", "ip", "ipv4", "ipv6",
    "ignore_empty"].map((r) => `bytes.${r}`),
  ...["const", "defined_only", "in", "not_in"].map((r) => `enum.${r}`),
  "message.skip", "message.required",
  ...["min_items", "max_items", "unique", "items", "ignore_empty"].map((r) => `repeated.${r}`),
  ...["min_pairs", "max_pairs", "no_sparse", "keys", "values", "ignore_empty"].map((r) => `map.${r}`),
  ...["required", "in", "not_in"].map((r) => `any.${r}`),
  ...["required", "const", "lt", "lte", "gt", "gte", "in", "not_in"].map((r) => `duration.${r}`),
  ...["required", "const", "lt", "lte", "gt", "gte", "lt_now", "gt_now", "within"].map((r) => `timestamp.${r}`),
]);

/** The FieldRules kinds (`string`, `uint32`, `repeated`, ...). */
const KINDS = new Set([...SUPPORTED_RULE_KINDS].map((k) => k.slice(0, k.indexOf("."))));

const WRAPPER_SCALAR: Record<string, string> = {
  ".google.protobuf.DoubleValue": "double",
  ".google.protobuf.FloatValue": "float",
  ".google.protobuf.Int64Value": "int64",
  ".google.protobuf.UInt64Value": "uint64",
  ".google.protobuf.Int32Value": "int32",
  ".google.protobuf.UInt32Value": "uint32",
  ".google.protobuf.BoolValue": "bool",
  ".google.protobuf.StringValue": "string",
  ".google.protobuf.BytesValue": "bytes",
};
const MESSAGE_KIND: Record<string, string> = {
  ".google.protobuf.Duration": "duration",
  ".google.protobuf.Timestamp": "timestamp",
  ".google.protobuf.Any": "any",
};

/** The merged `(validate.rules)` of a field, or undefined. Reads parsedOptions: `options` drops empty values. */
export function fieldRulesOf(field: protobuf.Field): Rules | undefined {
  let out: Rules | undefined;
  for (const po of field.parsedOptions ?? []) {
    const r = (po as Rules)["(validate.rules)"];
    if (isObject(r)) out = merge(out ?? {}, r);
  }
  return out;
}

/** `kind.rule` names used by a FieldRules object, including those nested in items/keys/values. */
export function ruleKindsOf(rules: Rules): string[] {
  const out: string[] = [];
  for (const [kind, body] of Object.entries(rules)) {
    if (!isObject(body)) {
      out.push(kind);
      continue;
    }
    for (const [rule, v] of Object.entries(body)) {
      out.push(`${kind}.${rule}`);
      if ((rule === "items" || rule === "keys" || rule === "values") && isObject(v)) out.push(...ruleKindsOf(v));
    }
  }
  return out;
}

/** What one value of a field is. */
type Elem = { scalar: string } | { enumType: protobuf.Enum } | { message: protobuf.Type };

function elemOf(field: protobuf.Field): Elem {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return { message: rt };
  if (rt instanceof protobuf.Enum) return { enumType: rt };
  return { scalar: field.type };
}

export function compileFieldRules(field: protobuf.Field): FieldRulesPlan | undefined {
  const rules = fieldRulesOf(field);
  if (!rules) return undefined;
  const problems: string[] = [];
  const plan: FieldRulesPlan = { problems, ignoreEmpty: false };
  if (field instanceof protobuf.MapField) {
    const { map, ...rest } = rules;
    misplaced(rest, "a map field", problems);
    if (map !== undefined) {
      const m = asRules(map, "map", problems);
      plan.ignoreEmpty = m.ignore_empty === true;
      plan.pairs = all(mapChecks(m));
      if (isObject(m.keys)) {
        const keyCheck = compileElem(m.keys, { scalar: field.keyType }, "map.keys", problems).check;
        if (keyCheck) plan.keys = (v, p, emit) => keyCheck(v, p, (pp, msg) => emit(pp, `key ${msg}`));
      }
      if (isObject(m.values)) plan.values = compileElem(m.values, elemOf(field), "map.values", problems);
      unknownRules("map", m, ["min_pairs", "max_pairs", "no_sparse", "keys", "values", "ignore_empty"], problems);
    }
  } else if (field.repeated) {
    const { repeated, ...rest } = rules;
    misplaced(rest, "a repeated field", problems);
    if (repeated !== undefined) {
      const r = asRules(repeated, "repeated", problems);
      plan.ignoreEmpty = r.ignore_empty === true;
      plan.list = all(repeatedChecks(r));
      if (isObject(r.items)) plan.items = compileElem(r.items, elemOf(field), "repeated.items", problems);
      unknownRules("repeated", r, ["min_items", "max_items", "unique", "items", "ignore_empty"], problems);
    }
  } else {
    plan.elem = compileElem(rules, elemOf(field), "", problems);
  }
  return plan;
}

function misplaced(rest: Rules, what: string, problems: string[]): void {
  for (const k of Object.keys(rest)) problems.push(`rule kind "${k}" does not apply to ${what}`);
}

/** Compiles a FieldRules object for a single value of type `elem`. */
function compileElem(rules: Rules, elem: Elem, where: string, problems: string[]): ElemRules {
  const out: ElemRules = { required: false, skip: false };
  const at = (k: string) => (where ? `${where}.${k}` : k);
  const checks: Check[] = [];
  for (const [kind, body] of Object.entries(rules)) {
    const r = asRules(body, at(kind), problems);
    if (kind === "message") {
      if (!("message" in elem)) problems.push(`rule kind "${at(kind)}" applies only to message fields`);
      out.required ||= r.required === true;
      out.skip ||= r.skip === true;
      unknownRules(at(kind), r, ["required", "skip"], problems);
      continue;
    }
    if (!KINDS.has(kind)) {
      problems.push(`rule kind "${at(kind)}" is not supported`);
      continue;
    }
    const fits = valueKind(elem);
    if (kind === "any" && fits === "message") {
      // PGV's checker accepts `any` rules on any message field, and Envoy relies on it
      // (ExtensionConfigSource.config_source is a ConfigSource with `any.required`); only `required` makes sense.
      out.required ||= r.required === true;
      unknownRules(at(kind), r, ["required"], problems);
      continue;
    }
    if (fits !== kind) {
      problems.push(`rule kind "${at(kind)}" does not apply to a field of type ${describeElem(elem)}`);
      continue;
    }
    const before = checks.length;
    if (NUMERIC.includes(kind)) checks.push(...numericChecks(kind, r, problems));
    else if (kind === "bool") checks.push(...boolChecks(r));
    else if (kind === "string") checks.push(...stringChecks(r, problems));
    else if (kind === "bytes") checks.push(...bytesChecks(r, problems));
    else if (kind === "enum") checks.push(...enumChecks(r, (elem as { enumType: protobuf.Enum }).enumType));
    else if (kind === "duration") checks.push(...durationChecks(r));
    else if (kind === "timestamp") checks.push(...timestampChecks(r));
    else if (kind === "any") checks.push(...anyChecks(r));
    else {
      problems.push(`rule kind "${at(kind)}" is not supported`);
      continue;
    }
    if (r.required === true && ["duration", "timestamp", "any"].includes(kind)) out.required = true;
    unknownRules(at(kind), r, ruleNames(kind), problems);
    // Scalar `ignore_empty`: the default (empty) value skips this kind's rules.
    if (r.ignore_empty === true && checks.length > before) {
      const inner = all(checks.splice(before));
      if (inner) checks.push((v, p, e) => (isEmptyScalar(v) ? undefined : inner(v, p, e)));
    }
  }
  let check = all(checks);
  const wrapped = "message" in elem ? WRAPPER_SCALAR[dottedName(elem.message)] : undefined;
  if (check && wrapped) {
    // Rules on a wrapper field check its `value` (absent = the scalar default) when the wrapper is set.
    const inner = check;
    const dflt = scalarDefault(wrapped);
    check = (v, p, e) => inner((v as Canonical).value ?? dflt, p, e);
  }
  if (check) out.check = check;
  return out;
}

function valueKind(elem: Elem): string {
  if ("scalar" in elem) return elem.scalar;
  if ("enumType" in elem) return "enum";
  const fn = dottedName(elem.message);
  return WRAPPER_SCALAR[fn] ?? MESSAGE_KIND[fn] ?? "message";
}

function describeElem(elem: Elem): string {
  if ("scalar" in elem) return elem.scalar;
  if ("enumType" in elem) return `enum ${elem.enumType.name}`;
  return dottedName(elem.message).replace(/^\./, "");
}

function ruleNames(kind: string): string[] {
  const prefix = `${kind}.`;
  return [...SUPPORTED_RULE_KINDS].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
}

function unknownRules(kind: string, r: Rules, known: string[], problems: string[]): void {
  for (const k of Object.keys(r)) if (!known.includes(k)) problems.push(`rule "${kind}.${k}" is not supported`);
}

/** Canonical default of a proto3 scalar type (how an absent field reads). */
export function scalarDefault(type: string): CanonicalValue {
  if (type === "string" || type === "bytes") return "";
  if (type === "bool") return false;
  if (/64$/.test(type)) return "0";
  return 0;
}

function isEmptyScalar(v: CanonicalValue): boolean {
  return v === "" || v === 0 || v === "0" || v === false;
}

// ---- ordered values: numbers, 64-bit integers, durations, timestamps --------------------------------------------

interface Ordered<T> {
  conv: (x: unknown) => T;
  cmp: (a: T, b: T) => number;
  show: (x: T) => string;
}

const NUMBER: Ordered<number> = {
  conv: (x) => Number(x),
  cmp: (a, b) => (a < b ? -1 : a > b ? 1 : a === b ? 0 : NaN),
  show: (x) => String(x),
};

const BIGINT: Ordered<bigint> = {
  conv: (x) => {
    if (typeof x === "bigint") return x;
    if (typeof x === "number") return BigInt(Math.trunc(x));
    return BigInt(String(x)); // decimal strings, protobufjs Long objects
  },
  cmp: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
  show: (x) => String(x),
};

type SecondsNanos = readonly [number, number];
const cmpPair = (a: SecondsNanos, b: SecondsNanos) => (a[0] !== b[0] ? (a[0] < b[0] ? -1 : 1) : a[1] === b[1] ? 0 : a[1] < b[1] ? -1 : 1);
const pairOf = (x: unknown): SecondsNanos => {
  const o = (isObject(x) ? x : {}) as { seconds?: unknown; nanos?: unknown };
  return [Number(String(o.seconds ?? 0)), Number(o.nanos ?? 0)];
};

const DURATION: Ordered<SecondsNanos> = {
  conv: pairOf,
  cmp: cmpPair,
  show: ([s, n]) => formatDuration(String(s), n),
};

const TIMESTAMP: Ordered<SecondsNanos> = {
  conv: pairOf,
  cmp: cmpPair,
  show: ([s, n]) => new Date(s * 1000 + Math.floor(n / 1e6)).toISOString(),
};

/** const / in / not_in / gt / gte / lt / lte, with PGV's "gt > lt means outside the range" reading. */
function orderedChecks<T>(o: Ordered<T>, r: Rules, problems: string[], kind: string): Check[] {
  const checks: Check[] = [];
  const conv = (x: unknown, rule: string): T | undefined => {
    if (x === undefined) return undefined;
    try {
      return o.conv(x);
    } catch {
      problems.push(`rule "${kind}.${rule}" has a value that cannot be read: ${JSON.stringify(x)}`);
      return undefined;
    }
  };
  const c = conv(r.const, "const");
  if (c !== undefined) {
    const msg = `must equal ${o.show(c)}`;
    checks.push((v, p, e) => (o.cmp(o.conv(v), c) === 0 ? undefined : e(p, msg)));
  }
  for (const [rule, negate] of [["in", false], ["not_in", true]] as const) {
    if (r[rule] === undefined) continue;
    const list = toArray(r[rule]).map((x) => conv(x, rule)).filter((x): x is T => x !== undefined);
    const msg = `must ${negate ? "not " : ""}be one of [${list.map(o.show).join(", ")}]`;
    checks.push((v, p, e) => {
      const x = o.conv(v);
      if (list.some((y) => o.cmp(x, y) === 0) === negate) e(p, msg);
    });
  }
  const gt = conv(r.gt, "gt");
  const gte = conv(r.gte, "gte");
  const lt = conv(r.lt, "lt");
  const lte = conv(r.lte, "lte");
  const lower = gt ?? gte;
  const upper = lt ?? lte;
  if (lower === undefined && upper === undefined) return checks;
  const lowOk = (x: T) => (gt !== undefined ? o.cmp(x, gt) > 0 : gte !== undefined ? o.cmp(x, gte) >= 0 : true);
  const upOk = (x: T) => (lt !== undefined ? o.cmp(x, lt) < 0 : lte !== undefined ? o.cmp(x, lte) <= 0 : true);
  let ok: (x: T) => boolean;
  let msg: string;
  if (lower !== undefined && upper !== undefined) {
    if (o.cmp(upper, lower) > 0) {
      ok = (x) => lowOk(x) && upOk(x);
      msg = `must be inside range ${gt !== undefined ? "(" : "["}${o.show(lower)}, ${o.show(upper)}${lt !== undefined ? ")" : "]"}`;
    } else {
      ok = (x) => lowOk(x) || upOk(x);
      msg = `must be outside range ${lt !== undefined ? "[" : "("}${o.show(upper)}, ${o.show(lower)}${gt !== undefined ? "]" : ")"}`;
    }
  } else if (lower !== undefined) {
    ok = lowOk;
    msg = gt !== undefined ? `must be greater than ${o.show(gt)}` : `must be greater than or equal to ${o.show(gte!)}`;
  } else {
    ok = upOk;
    msg = lt !== undefined ? `must be less than ${o.show(lt)}` : `must be less than or equal to ${o.show(lte!)}`;
  }
  checks.push((v, p, e) => (ok(o.conv(v)) ? undefined : e(p, msg)));
  return checks;
}

function numericChecks(kind: string, r: Rules, problems: string[]): Check[] {
  return /64$/.test(kind) ? orderedChecks(BIGINT, r, problems, kind) : orderedChecks(NUMBER, r, problems, kind);
}

function durationChecks(r: Rules): Check[] {
  return orderedChecks(DURATION, r, [], "duration");
}

function timestampChecks(r: Rules): Check[] {
  const checks = orderedChecks(TIMESTAMP, r, [], "timestamp");
  const nowPair = (): SecondsNanos => {
    const ms = Date.now();
    return [Math.floor(ms / 1000), (ms % 1000) * 1e6];
  };
  if (r.lt_now === true) checks.push((v, p, e) => (cmpPair(pairOf(v), nowPair()) < 0 ? undefined : e(p, "must be in the past")));
  if (r.gt_now === true) checks.push((v, p, e) => (cmpPair(pairOf(v), nowPair()) > 0 ? undefined : e(p, "must be in the future")));
  if (r.within !== undefined) {
    const [ws, wn] = pairOf(r.within);
    const withinNs = BigInt(ws) * 1_000_000_000n + BigInt(wn);
    const msg = `must be within ${DURATION.show([ws, wn])} of the current time`;
    checks.push((v, p, e) => {
      const [s, n] = pairOf(v);
      const [ns, nn] = nowPair();
      const diff = (BigInt(s) - BigInt(ns)) * 1_000_000_000n + BigInt(n - nn);
      if ((diff < 0n ? -diff : diff) > withinNs) e(p, msg);
    });
  }
  return checks;
}

function boolChecks(r: Rules): Check[] {
  if (typeof r.const !== "boolean") return [];
  const c = r.const;
  const msg = `must be ${c}`;
  return [(v, p, e) => ((v === true) === c ? undefined : e(p, msg))];
}

function anyChecks(r: Rules): Check[] {
  const checks: Check[] = [];
  for (const [rule, negate] of [["in", false], ["not_in", true]] as const) {
    if (r[rule] === undefined) continue;
    const urls = new Set(toArray(r[rule]).map(String));
    const msg = `type URL must ${negate ? "not " : ""}be one of [${[...urls].join(", ")}]`;
    checks.push((v, p, e) => (urls.has(String((v as Canonical)["@type"])) === negate ? e(p, msg) : undefined));
  }
  return checks;
}

function enumChecks(r: Rules, enumType: protobuf.Enum): Check[] {
  const checks: Check[] = [];
  const num = (v: CanonicalValue): number | undefined =>
    typeof v === "number" ? v : Object.prototype.hasOwnProperty.call(enumType.values, String(v)) ? enumType.values[String(v)] : undefined;
  const show = (n: number) => enumType.valuesById[n] ?? String(n);
  if (r.defined_only === true) {
    checks.push((v, p, e) => {
      const n = num(v);
      if (n === undefined || enumType.valuesById[n] === undefined) e(p, `${String(v)} is not a defined value of enum ${enumType.name}`);
    });
  }
  // PGV spells enum rule values as numbers; accept names too rather than silently never matching.
  const ruleNum = (x: unknown) => (typeof x === "string" && x in enumType.values ? enumType.values[x]! : Number(x));
  if (r.const !== undefined) {
    const c = ruleNum(r.const);
    const msg = `must be ${show(c)}`;
    checks.push((v, p, e) => (num(v) === c ? undefined : e(p, msg)));
  }
  for (const [rule, negate] of [["in", false], ["not_in", true]] as const) {
    if (r[rule] === undefined) continue;
    const set = new Set(toArray(r[rule]).map(ruleNum));
    const msg = `must ${negate ? "not " : ""}be one of [${[...set].map(show).join(", ")}]`;
    checks.push((v, p, e) => {
      const n = num(v);
      if ((n !== undefined && set.has(n)) === negate) e(p, msg);
    });
  }
  return checks;
}

// ---- lists and maps ---------------------------------------------------------------------------------------------

function repeatedChecks(r: Rules): Check[] {
  const checks: Check[] = [];
  const len = (v: CanonicalValue) => (v as CanonicalValue[]).length;
  if (r.min_items !== undefined) {
    const n = Number(r.min_items);
    if (n > 0) checks.push((v, p, e) => (len(v) >= n ? undefined : e(p, `must have at least ${n} item(s)`)));
  }
  if (r.max_items !== undefined) {
    const n = Number(r.max_items);
    checks.push((v, p, e) => (len(v) <= n ? undefined : e(p, `must have at most ${n} item(s)`)));
  }
  if (r.unique === true) {
    checks.push((v, p, e) => {
      const seen = new Map<unknown, number>();
      (v as CanonicalValue[]).forEach((x, i) => {
        const key = typeof x === "object" ? JSON.stringify(x) : x;
        const first = seen.get(key);
        if (first === undefined) seen.set(key, i);
        else e(joinPath(p, i), `must be unique: repeats item [${first}]`);
      });
    });
  }
  return checks;
}

function mapChecks(r: Rules): Check[] {
  const checks: Check[] = [];
  const size = (v: CanonicalValue) => Object.keys(v as Canonical).length;
  if (r.min_pairs !== undefined) {
    const n = Number(r.min_pairs);
    if (n > 0) checks.push((v, p, e) => (size(v) >= n ? undefined : e(p, `must have at least ${n} pair(s)`)));
  }
  if (r.max_pairs !== undefined) {
    const n = Number(r.max_pairs);
    checks.push((v, p, e) => (size(v) <= n ? undefined : e(p, `must have at most ${n} pair(s)`)));
  }
  if (r.no_sparse === true) {
    checks.push((v, p, e) => {
      for (const [k, x] of Object.entries(v as Canonical)) if (x === undefined || x === null) e(joinPath(p, k), "map value must be set");
    });
  }
  return checks;
}

// ---- helpers ----------------------------------------------------------------------------------------------------

/** One check running all of `checks` (undefined when there are none). */
function all(checks: Check[]): Check | undefined {
  if (checks.length === 0) return undefined;
  if (checks.length === 1) return checks[0];
  return (v, p, e) => {
    for (const c of checks) c(v, p, e);
  };
}

function asRules(body: unknown, kind: string, problems: string[]): Rules {
  if (isObject(body)) return body;
  problems.push(`rule kind "${kind}" has a malformed body ${JSON.stringify(body)}`);
  return {};
}

function isObject(x: unknown): x is Rules {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function toArray(x: unknown): unknown[] {
  return Array.isArray(x) ? x : [x];
}

/** Deep merge of option objects; repeated list rules (`in`, `not_in`) given in several options accumulate. */
function merge(a: Rules, b: Rules): Rules {
  const out: Rules = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    if (isObject(prev) && isObject(v)) out[k] = merge(prev, v);
    else if (prev !== undefined && (k === "in" || k === "not_in")) out[k] = [...toArray(prev), ...toArray(v)];
    else out[k] = v;
  }
  return out;
}
