// Strict conversion of a typed message (the proto-loader-gen-types input shape: snake_case keys, enums by name,
// Any as {"@type": url, ...payload}) into the plain object protobufjs encodes. protobufjs silently drops unknown
// fields, unknown enum names and Anys it cannot resolve; this walk reports each of them with its field path instead.
import protobuf from "protobufjs";
import { dottedName, findMessage, typeNameFromUrl } from "./registry.js";
import { type EnvoyIssue, joinPath } from "./issues.js";
import { isWellFormed, loneSurrogate } from "../../../ir/well-formed.js";

type Plain = Record<string, unknown>;

export interface StrictContext {
  resource: string;
  issues: EnvoyIssue[];
}

const INT64 = new Set(["int64", "uint64", "sint64", "fixed64", "sfixed64"]);
const INT32 = new Set(["int32", "uint32", "sint32", "fixed32", "sfixed32"]);

function isPlainObject(v: unknown): v is Plain {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** Returns the wire-ready object for `type`, pushing an issue for everything protobufjs would lose. */
export function toWire(type: protobuf.Type, value: unknown, path: string, ctx: StrictContext): Plain {
  const fail = (p: string, message: string) => ctx.issues.push({ resource: ctx.resource, path: p, message });
  if (!isPlainObject(value)) {
    fail(path, `expected a ${type.name} message object, got ${describe(value)}`);
    return {};
  }
  if (dottedName(type) === ".google.protobuf.Any") return anyToWire(value, path, ctx);
  const out: Plain = {};
  const oneofSeen = new Map<string, string>();
  for (const key of Object.keys(value).sort()) {
    const v = value[key];
    const fieldPath = joinPath(path, key);
    const field = type.fields[key];
    if (!field) {
      // gen-types output objects carry a virtual property per oneof naming the member that is set.
      if (type.oneofs?.[key] && (v === undefined || typeof v === "string")) continue;
      fail(fieldPath, `unknown field "${key}" in ${type.name}`);
      continue;
    }
    if (v === undefined || v === null) continue;
    const oneof = field.partOf;
    if (oneof && !isSyntheticOneof(oneof)) {
      const other = oneofSeen.get(oneof.name);
      if (other) fail(fieldPath, `oneof ${oneof.name}: "${other}" and "${key}" are both set; set only one`);
      oneofSeen.set(oneof.name, key);
    }
    out[key] = fieldToWire(field, v, fieldPath, ctx);
  }
  return out;
}

export function isSyntheticOneof(o: protobuf.OneOf): boolean {
  // proto3 `optional` fields sit in a one-member oneof named `_<field>`.
  return o.fieldsArray.length === 1 && o.name === `_${o.fieldsArray[0]!.name}`;
}

function fieldToWire(field: protobuf.Field, v: unknown, path: string, ctx: StrictContext): unknown {
  if (field instanceof protobuf.MapField) {
    if (!isPlainObject(v)) return bad(ctx, path, `expected a map object, got ${describe(v)}`);
    const out: Plain = {};
    for (const k of Object.keys(v).sort()) {
      // Map keys here are strings (protobuf's map<string, V>) or digits; either way they are UTF-8 on the wire.
      if (!isWellFormed(k)) bad(ctx, joinPath(path, k), `a map key with a lone surrogate (${loneSurrogate(k).unit} at index ${loneSurrogate(k).index}) has no UTF-8 form`);
      out[k] = singleToWire(field, v[k], joinPath(path, k), ctx);
    }
    return out;
  }
  if (field.repeated) {
    if (!Array.isArray(v)) return bad(ctx, path, `expected a list, got ${describe(v)}`);
    return v.map((item, i) => singleToWire(field, item, joinPath(path, i), ctx));
  }
  return singleToWire(field, v, path, ctx);
}

function singleToWire(field: protobuf.Field, v: unknown, path: string, ctx: StrictContext): unknown {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return toWire(rt, v, path, ctx);
  if (rt instanceof protobuf.Enum) {
    if (typeof v === "string" && v in rt.values) return v;
    if (typeof v === "number" && Object.values(rt.values).includes(v)) return v;
    return bad(ctx, path, `${describe(v)} is not a value of enum ${rt.name} (one of ${Object.keys(rt.values).join(", ")})`);
  }
  const t = field.type;
  if (t === "string") {
    if (typeof v !== "string") return bad(ctx, path, `expected a string, got ${describe(v)}`);
    if (!isWellFormed(v)) return bad(ctx, path, `text with a lone surrogate (${loneSurrogate(v).unit} at index ${loneSurrogate(v).index}) has no UTF-8 form`);
    return v;
  }
  if (t === "bool") return typeof v === "boolean" ? v : bad(ctx, path, `expected a boolean, got ${describe(v)}`);
  if (t === "bytes") {
    if (v instanceof Uint8Array) return v;
    if (typeof v === "string" && /^[A-Za-z0-9+/]*={0,2}$/.test(v)) return v;
    return bad(ctx, path, `expected bytes (Uint8Array or base64), got ${describe(v)}`);
  }
  if (t === "double" || t === "float") return typeof v === "number" ? v : bad(ctx, path, `expected a number, got ${describe(v)}`);
  if (INT32.has(t)) {
    if (typeof v === "number" && Number.isInteger(v)) {
      const unsigned = t.startsWith("u") || t === "fixed32";
      if (unsigned ? v < 0 || v > 0xffffffff : v < -0x80000000 || v > 0x7fffffff) return bad(ctx, path, `${v} is out of range for ${t}`);
      return v;
    }
    return bad(ctx, path, `expected an integer, got ${describe(v)}`);
  }
  if (INT64.has(t)) {
    if (typeof v === "number" && Number.isSafeInteger(v)) return v;
    if (typeof v === "string" && /^-?\d+$/.test(v)) return v;
    return bad(ctx, path, `expected a 64-bit integer (number or decimal string), got ${describe(v)}`);
  }
  return bad(ctx, path, `unsupported field type ${t}`);
}

function anyToWire(value: Plain, path: string, ctx: StrictContext): Plain {
  const url = value["@type"];
  if (typeof url !== "string") {
    if (typeof value.type_url === "string" && value.value instanceof Uint8Array) {
      if (!findMessage(typeNameFromUrl(value.type_url))) bad(ctx, joinPath(path, "type_url"), `cannot resolve type URL "${value.type_url}"`);
      return { type_url: value.type_url, value: value.value };
    }
    bad(ctx, path, `an Any needs "@type"`);
    return {};
  }
  const inner = findMessage(typeNameFromUrl(url));
  if (!inner) {
    bad(ctx, joinPath(path, "@type"), `cannot resolve type URL "${url}": not a message type meshc knows`);
    return {};
  }
  const { "@type": _, ...payload } = value;
  const wire = toWire(inner, payload, path, ctx);
  return { type_url: url, value: inner.encode(inner.fromObject(wire)).finish() };
}

function bad(ctx: StrictContext, path: string, message: string): undefined {
  ctx.issues.push({ resource: ctx.resource, path, message });
  return undefined;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (v instanceof Uint8Array) return "bytes";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
}
