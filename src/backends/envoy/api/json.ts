// Envoy's proto3 JSON form: snake_case keys (Envoy accepts them), well-known types in their JSON mapping
// ("1.5s" durations, bare wrapper values, Struct as plain JSON), Any as {"@type": url, ...}. toJson reads the
// canonical form; fromJson is its strict inverse back to the typed input shape, reporting unknown keys.
import protobuf from "protobufjs";
import type { Canonical, CanonicalValue } from "./canonical.js";
import { dottedName, findMessage, typeNameFromUrl } from "./registry.js";
import { type EnvoyIssue, joinPath } from "./issues.js";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

const WRAPPERS = new Set(
  ["Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes"].map((n) => `.google.protobuf.${n}Value`),
);

export function toJson(type: protobuf.Type, c: Canonical): Json {
  const wkt = dottedName(type);
  if (wkt === ".google.protobuf.Any") {
    const url = c["@type"] as string;
    const inner = findMessage(typeNameFromUrl(url))!;
    const { "@type": _, ...payload } = c;
    const body = toJson(inner, payload);
    return isWellKnown(inner) ? { "@type": url, value: body } : { "@type": url, ...(body as Obj) };
  }
  if (wkt === ".google.protobuf.Duration") return formatDuration(String(c.seconds ?? "0"), Number(c.nanos ?? 0));
  if (wkt === ".google.protobuf.Timestamp") {
    const ms = Number(c.seconds ?? 0) * 1000 + Math.floor(Number(c.nanos ?? 0) / 1e6);
    return new Date(ms).toISOString().replace(".000Z", "Z");
  }
  if (WRAPPERS.has(wkt)) {
    const f = type.fields.value!;
    return (c.value as Json) ?? defaultJson(f);
  }
  if (wkt === ".google.protobuf.Struct") return structToJson(c);
  if (wkt === ".google.protobuf.Value") return valueToJson(c);
  if (wkt === ".google.protobuf.ListValue") return ((c.values as Canonical[]) ?? []).map(valueToJson);
  if (wkt === ".google.protobuf.Empty") return {};
  const out: Obj = {};
  for (const [key, v] of Object.entries(c)) {
    const field = type.fields[key]!;
    out[key] = fieldToJson(field, v);
  }
  return out;
}

function fieldToJson(field: protobuf.Field, v: CanonicalValue): Json {
  const rt = field.resolvedType;
  const one = (x: CanonicalValue): Json => (rt instanceof protobuf.Type ? toJson(rt, x as Canonical) : (x as Json));
  if (field instanceof protobuf.MapField) {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v as Canonical)) out[k] = one(x);
    return out;
  }
  if (field.repeated) return (v as CanonicalValue[]).map(one);
  return one(v);
}

function isWellKnown(t: protobuf.Type): boolean {
  return dottedName(t).startsWith(".google.protobuf.");
}

function defaultJson(f: protobuf.Field): Json {
  if (f.type === "bool") return false;
  if (f.type === "string" || f.type === "bytes") return "";
  if (f.type.endsWith("64")) return "0";
  return 0;
}

function structToJson(c: Canonical): Json {
  const out: Obj = {};
  for (const [k, v] of Object.entries((c.fields as Canonical) ?? {})) out[k] = valueToJson(v as Canonical);
  return out;
}

// google.protobuf.Value comes from protobufjs's built-in struct.proto, whose field names are camelCase
// (stringValue, …) even though the registry keeps proto names elsewhere; both spellings are read.
function valueToJson(c: Canonical): Json {
  const struct = c.structValue ?? c.struct_value;
  if (struct !== undefined) return structToJson(struct as Canonical);
  const list = c.listValue ?? c.list_value;
  if (list !== undefined) return (((list as Canonical).values as Canonical[]) ?? []).map(valueToJson);
  for (const k of ["stringValue", "string_value", "numberValue", "number_value", "boolValue", "bool_value"]) if (k in c) return c[k] as Json;
  return null;
}

export function formatDuration(seconds: string, nanos: number): string {
  const neg = seconds.startsWith("-") || nanos < 0;
  const s = seconds.replace(/^-/, "");
  if (nanos === 0) return `${neg ? "-" : ""}${s}s`;
  const frac = String(Math.abs(nanos)).padStart(9, "0").replace(/0+$/, "");
  return `${neg ? "-" : ""}${s}.${frac}s`;
}

export function parseDuration(text: string): { seconds: string; nanos: number } | undefined {
  const m = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(text);
  if (!m) return undefined;
  const nanos = m[3] ? Number(m[3].padEnd(9, "0")) : 0;
  return { seconds: `${m[1] ?? ""}${m[2]}`, nanos: m[1] ? -nanos : nanos };
}

export interface FromJsonContext {
  resource: string;
  issues: EnvoyIssue[];
}

/** Envoy JSON -> typed input shape (the form strict.ts and the builders use). Unknown keys are issues. */
export function fromJson(type: protobuf.Type, json: Json, path: string, ctx: FromJsonContext): unknown {
  const fail = (p: string, message: string) => {
    ctx.issues.push({ resource: ctx.resource, path: p, message });
    return undefined;
  };
  const wkt = dottedName(type);
  if (wkt === ".google.protobuf.Duration") {
    const d = typeof json === "string" ? parseDuration(json) : undefined;
    return d ?? fail(path, `expected a duration like "1.5s", got ${JSON.stringify(json)}`);
  }
  if (wkt === ".google.protobuf.Timestamp") {
    const ms = typeof json === "string" ? Date.parse(json) : NaN;
    if (Number.isNaN(ms)) return fail(path, `expected an RFC 3339 timestamp, got ${JSON.stringify(json)}`);
    return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
  }
  if (WRAPPERS.has(wkt)) return { value: json };
  if (wkt === ".google.protobuf.Struct") return structFromJson(json);
  if (wkt === ".google.protobuf.Value") return valueFromJson(json);
  if (wkt === ".google.protobuf.Empty") return {};
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return fail(path, `expected an object for ${type.name}, got ${JSON.stringify(json)}`);
  }
  if (wkt === ".google.protobuf.Any") {
    const url = json["@type"];
    if (typeof url !== "string") return fail(path, `an Any needs "@type"`);
    const inner = findMessage(typeNameFromUrl(url));
    if (!inner) return fail(joinPath(path, "@type"), `cannot resolve type URL "${url}"`);
    const { "@type": _, ...rest } = json;
    const payload = isWellKnown(inner) ? fromJson(inner, rest.value ?? null, path, ctx) : fromJson(inner, rest, path, ctx);
    return { "@type": url, ...(payload as object) };
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(json)) {
    const field = type.fields[key] ?? type.fieldsArray.find((f) => camel(f.name) === key);
    const p = joinPath(path, key);
    if (!field) {
      fail(p, `unknown field "${key}" in ${type.name}`);
      continue;
    }
    if (v === null) continue;
    out[field.name] = fieldFromJson(field, v, p, ctx);
  }
  return out;
}

function fieldFromJson(field: protobuf.Field, v: Json, path: string, ctx: FromJsonContext): unknown {
  const rt = field.resolvedType;
  const one = (x: Json, p: string): unknown => (rt instanceof protobuf.Type ? fromJson(rt, x, p, ctx) : x);
  if (field instanceof protobuf.MapField) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Obj)) out[k] = one(x, joinPath(path, k));
    return out;
  }
  if (field.repeated) return Array.isArray(v) ? v.map((x, i) => one(x, joinPath(path, i))) : v;
  return one(v, path);
}

function structFromJson(json: Json): unknown {
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries((json ?? {}) as Obj)) fields[k] = valueFromJson(v);
  return { fields };
}

function valueFromJson(json: Json): unknown {
  if (json === null) return { nullValue: "NULL_VALUE" };
  if (typeof json === "string") return { stringValue: json };
  if (typeof json === "number") return { numberValue: json };
  if (typeof json === "boolean") return { boolValue: json };
  if (Array.isArray(json)) return { listValue: { values: json.map(valueFromJson) } };
  return { structValue: structFromJson(json) };
}

function camel(s: string): string {
  return s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
