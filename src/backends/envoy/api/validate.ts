// Enforces protoc-gen-validate `(validate.rules)` on a canonical message (canonical.ts), the way Envoy's own
// generated validators do: proto3 scalars are checked at their default value when absent, rules on unset oneof
// members are skipped, message-typed fields (wrappers, Duration, Any, ...) are checked only when set except for
// `required`, and validation recurses through nested messages, list items, map values and Any payloads.
// Each message type is compiled once into a list of steps (cached), so validating many resources is cheap.
import protobuf from "protobufjs";
import type { Canonical, CanonicalValue } from "./canonical.js";
import { type EnvoyIssue, joinPath } from "./issues.js";
import { dottedName, findMessage, typeNameFromUrl } from "./registry.js";
import { compileFieldRules, fieldRulesOf, scalarDefault, type Emit, type ElemRules } from "./validate-rules.js";

const ANY = ".google.protobuf.Any";

/** Checks `c` (the canonical form of a `type` message) against every `(validate.rules)` reachable from it. */
export function validateMessage(type: protobuf.Type, c: Canonical, resource: string): EnvoyIssue[] {
  const issues: EnvoyIssue[] = [];
  const emit: Emit = (path, message) => issues.push({ resource, path, message });
  if (needsWalk(type)) walk(type, c, "", emit);
  return issues;
}

type Step = (c: Canonical, path: string, emit: Emit) => void;

// Proto field names are identifiers, so this is joinPath without its per-call regex test (a hot path).
const fieldPath = (base: string, name: string) => (base ? `${base}.${name}` : name);

function walk(type: protobuf.Type, c: Canonical, path: string, emit: Emit): void {
  if (dottedName(type) === ANY) {
    const url = c["@type"];
    const inner = typeof url === "string" ? anyPayloadType(url) : undefined;
    if (!inner) emit(joinPath(path, "@type"), `cannot resolve type URL ${JSON.stringify(url ?? "")}`);
    else if (needsWalk(inner)) walk(inner, c, path, emit); // the payload's fields sit beside "@type"
    return;
  }
  for (const step of stepsOf(type)) step(c, path, emit);
}

const payloadTypes = new Map<string, protobuf.Type | undefined>();
function anyPayloadType(url: string): protobuf.Type | undefined {
  if (!payloadTypes.has(url)) payloadTypes.set(url, findMessage(typeNameFromUrl(url)));
  return payloadTypes.get(url);
}

// ---- per-type compilation ---------------------------------------------------------------------------------------

const stepCache = new WeakMap<protobuf.Type, Step[]>();

function stepsOf(type: protobuf.Type): Step[] {
  let steps = stepCache.get(type);
  if (steps) return steps;
  steps = [];
  if (!isDisabled(type)) {
    for (const field of [...type.fieldsArray].sort((a, b) => a.id - b.id)) {
      const step = fieldStep(field);
      if (step) steps.push(step);
    }
    for (const oneof of type.oneofsArray) if (isRequiredOneof(oneof)) steps.push(oneofStep(oneof));
  }
  stepCache.set(type, steps);
  return steps;
}

function isDisabled(type: protobuf.Type): boolean {
  const on = (k: string) => type.options?.[k] === true || (type.parsedOptions ?? []).some((o: Record<string, unknown>) => o[k] === true);
  return on("(validate.disabled)") || on("(validate.ignored)");
}

function isRequiredOneof(oneof: protobuf.OneOf): boolean {
  const parsed = (oneof as { parsedOptions?: Record<string, unknown>[] | null }).parsedOptions ?? [];
  return oneof.options?.["(validate.required)"] === true || parsed.some((o) => o["(validate.required)"] === true);
}

function oneofStep(oneof: protobuf.OneOf): Step {
  const names = oneof.fieldsArray.map((f) => f.name);
  const message = `exactly one of ${names.join(", ")} must be set`;
  return (c, path, emit) => {
    for (const n of names) if (c[n] !== undefined) return;
    emit(path, message);
  };
}

function fieldStep(field: protobuf.Field): Step | undefined {
  const plan = compileFieldRules(field);
  const name = field.name;
  const rt = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
  const problems = plan?.problems ?? [];
  const reportProblems: Step | undefined = problems.length
    ? (_c, path, emit) => {
        for (const p of problems) emit(fieldPath(path, name), `cannot check (validate.rules): ${p}`);
      }
    : undefined;

  let body: Step | undefined;
  if (field instanceof protobuf.MapField) body = mapStep(field, rt, plan?.pairs, plan?.keys, plan?.values, plan?.ignoreEmpty ?? false);
  else if (field.repeated) body = listStep(name, rt, plan?.list, plan?.items, plan?.ignoreEmpty ?? false);
  else body = singleStep(field, rt, plan?.elem);

  if (!reportProblems) return body;
  if (!body) return reportProblems;
  return (c, path, emit) => {
    reportProblems(c, path, emit);
    body(c, path, emit);
  };
}

function singleStep(field: protobuf.Field, rt: protobuf.Type | undefined, rules: ElemRules | undefined): Step | undefined {
  const name = field.name;
  const check = rules?.check;
  const required = rules?.required ?? false;
  const recurse = rt !== undefined && !rules?.skip && needsWalk(rt);
  if (!check && !required && !recurse) return undefined;
  // proto3 `optional` fields sit in synthetic oneofs: like real oneof members, unset means "skip".
  const inOneof = field.partOf !== null && field.partOf !== undefined;
  const dflt = rt ? undefined : field.resolvedType instanceof protobuf.Enum ? enumDefault(field.resolvedType) : scalarDefault(field.type);
  return (c, path, emit) => {
    let v = c[name];
    if (v === undefined) {
      if (inOneof) return;
      if (rt) {
        if (required) emit(fieldPath(path, name), "is required");
        return;
      }
      v = dflt!;
    }
    const p = fieldPath(path, name);
    if (check) check(v, p, emit);
    if (recurse) walk(rt, v as Canonical, p, emit);
  };
}

function listStep(name: string, rt: protobuf.Type | undefined, list: ElemRules["check"], items: ElemRules | undefined, ignoreEmpty: boolean): Step | undefined {
  const itemCheck = items?.check;
  const recurse = rt !== undefined && !items?.skip && needsWalk(rt);
  if (!list && !itemCheck && !recurse) return undefined;
  return (c, path, emit) => {
    const v = (c[name] as CanonicalValue[] | undefined) ?? [];
    if (v.length === 0 && ignoreEmpty) return;
    const p = fieldPath(path, name);
    if (list) list(v, p, emit);
    if (!itemCheck && !recurse) return;
    for (let i = 0; i < v.length; i++) {
      const ip = `${p}[${i}]`;
      if (itemCheck) itemCheck(v[i]!, ip, emit);
      if (recurse) walk(rt, v[i] as Canonical, ip, emit);
    }
  };
}

function mapStep(
  field: protobuf.MapField,
  rt: protobuf.Type | undefined,
  pairs: ElemRules["check"],
  keys: ElemRules["check"],
  values: ElemRules | undefined,
  ignoreEmpty: boolean,
): Step | undefined {
  const name = field.name;
  const valueCheck = values?.check;
  const recurse = rt !== undefined && !values?.skip && needsWalk(rt);
  if (!pairs && !keys && !valueCheck && !recurse) return undefined;
  const keyOf = mapKeyReader(field.keyType);
  return (c, path, emit) => {
    const m = (c[name] as Canonical | undefined) ?? {};
    const entries = Object.keys(m);
    if (entries.length === 0 && ignoreEmpty) return;
    const p = fieldPath(path, name);
    if (pairs) pairs(m, p, emit);
    for (const k of entries) {
      const kp = joinPath(p, k);
      if (keys) keys(keyOf(k), kp, emit);
      const v = m[k]!;
      if (valueCheck) valueCheck(v, kp, emit);
      if (recurse) walk(rt, v as Canonical, kp, emit);
    }
  };
}

/** Canonical maps key everything by string; key rules see the key type's canonical value. */
function mapKeyReader(keyType: string): (k: string) => CanonicalValue {
  if (keyType === "bool") return (k) => k === "true";
  if (keyType === "string" || /64$/.test(keyType)) return (k) => k;
  return (k) => Number(k);
}

function enumDefault(e: protobuf.Enum): CanonicalValue {
  return e.valuesById[0] ?? 0;
}

// ---- which types need walking at all ----------------------------------------------------------------------------

const walkCache = new WeakMap<protobuf.Type, boolean>();

/**
 * Whether anything in `type` (or below it) can produce an issue: it has rules, or reaches an Any or a type with rules.
 * Computed as a least fixed point over the reachable types so recursive rule-free types (Struct/Value) are skipped.
 */
function needsWalk(type: protobuf.Type): boolean {
  const known = walkCache.get(type);
  if (known !== undefined) return known;
  const closure: protobuf.Type[] = [];
  const inClosure = new Set<protobuf.Type>();
  const stack = [type];
  while (stack.length) {
    const t = stack.pop()!;
    if (inClosure.has(t) || walkCache.has(t)) continue;
    inClosure.add(t);
    closure.push(t);
    if (isDisabled(t)) continue;
    for (const f of t.fieldsArray) if (f.resolvedType instanceof protobuf.Type) stack.push(f.resolvedType);
  }
  const result = new Map<protobuf.Type, boolean>();
  for (const t of closure) result.set(t, !isDisabled(t) && (dottedName(t) === ANY || hasOwnRules(t)));
  const get = (t: protobuf.Type) => walkCache.get(t) ?? result.get(t) ?? false;
  for (let changed = true; changed; ) {
    changed = false;
    for (const t of closure) {
      if (result.get(t) || isDisabled(t)) continue;
      if (t.fieldsArray.some((f) => f.resolvedType instanceof protobuf.Type && get(f.resolvedType))) {
        result.set(t, true);
        changed = true;
      }
    }
  }
  for (const t of closure) walkCache.set(t, result.get(t)!);
  return walkCache.get(type)!;
}

function hasOwnRules(t: protobuf.Type): boolean {
  return t.fieldsArray.some((f) => fieldRulesOf(f) !== undefined) || t.oneofsArray.some(isRequiredOneof);
}
