// The fast path of strict.ts's toWire, for the common case of a message with nothing wrong in it: the same checks
// and the same wire object, but no field paths (strict.ts builds and regex-checks a path string for every field it
// visits, which was most of toWire's cost when translating 7,000 resources) and per-type field tables compiled once.
// It answers only "the wire object" or FAIL; on FAIL the caller runs strict.ts's toWire, which reports every issue
// with its path. So this file must accept exactly what toWire accepts and return exactly what it returns
// (test/backend/strict-fast.test.ts compares both on every golden message and on bad inputs).
import protobuf from "protobufjs";
import { dottedName, findMessage, typeNameFromUrl } from "./registry.js";
import { isSyntheticOneof } from "./strict.js";
import { isWellFormed } from "../../../ir/well-formed.js";

type Plain = Record<string, unknown>;

/** Returned when the message has a problem: run strict.ts's toWire for the issues. */
export const FAIL: unique symbol = Symbol("strict-fast FAIL");

const enum Kind {
  Message,
  Enum,
  String,
  Bool,
  Bytes,
  Float,
  Int32,
  Uint32,
  Int64,
  Unsupported,
}

interface FieldInfo {
  field: protobuf.Field;
  map: boolean;
  repeated: boolean;
  kind: Kind;
  message?: protobuf.Type;
  /** Enum names and numbers accepted. */
  enumNames?: Record<string, number>;
  enumNumbers?: Set<number>;
  /** The (non-synthetic) oneof this field belongs to. */
  oneof?: string;
}

interface TypeInfo {
  any: boolean;
  fields: Map<string, FieldInfo>;
  oneofNames: Set<string>;
}

const infos = new WeakMap<protobuf.Type, TypeInfo>();
const INT64 = new Set(["int64", "uint64", "sint64", "fixed64", "sfixed64"]);
const INT32 = new Set(["int32", "sint32", "sfixed32"]);
const UINT32 = new Set(["uint32", "fixed32"]);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function infoOf(type: protobuf.Type): TypeInfo {
  let info = infos.get(type);
  if (info) return info;
  const fields = new Map<string, FieldInfo>();
  for (const [name, field] of Object.entries(type.fields)) {
    const rt = field.resolvedType;
    const t = field.type;
    const kind =
      rt instanceof protobuf.Type ? Kind.Message
      : rt instanceof protobuf.Enum ? Kind.Enum
      : t === "string" ? Kind.String
      : t === "bool" ? Kind.Bool
      : t === "bytes" ? Kind.Bytes
      : t === "double" || t === "float" ? Kind.Float
      : INT32.has(t) ? Kind.Int32
      : UINT32.has(t) ? Kind.Uint32
      : INT64.has(t) ? Kind.Int64
      : Kind.Unsupported;
    const fi: FieldInfo = { field, map: field instanceof protobuf.MapField, repeated: field.repeated, kind };
    if (rt instanceof protobuf.Type) fi.message = rt;
    if (rt instanceof protobuf.Enum) {
      fi.enumNames = rt.values;
      fi.enumNumbers = new Set(Object.values(rt.values));
    }
    const oneof = field.partOf;
    if (oneof && !isSyntheticOneof(oneof)) fi.oneof = oneof.name;
    fields.set(name, fi);
  }
  info = { any: dottedName(type) === ".google.protobuf.Any", fields, oneofNames: new Set(Object.keys(type.oneofs ?? {})) };
  infos.set(type, info);
  return info;
}

function isPlainObject(v: unknown): v is Plain {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** toWire(type, value) when it would report no issue, else FAIL. `skipType`: the "@type" key of an Any payload. */
export function toWireFast(type: protobuf.Type, value: unknown, skipType = false): Plain | typeof FAIL {
  if (!isPlainObject(value)) return FAIL;
  const info = infoOf(type);
  if (info.any && !skipType) return anyToWireFast(value);
  const out: Plain = {};
  let oneofSeen: string[] | undefined;
  for (const key of Object.keys(value).sort()) {
    if (skipType && key === "@type") continue;
    const v = value[key];
    const fi = info.fields.get(key);
    if (!fi) {
      if (info.oneofNames.has(key) && (v === undefined || typeof v === "string")) continue;
      return FAIL;
    }
    if (v === undefined || v === null) continue;
    if (fi.oneof !== undefined) {
      if (oneofSeen?.includes(fi.oneof)) return FAIL;
      (oneofSeen ??= []).push(fi.oneof);
    }
    const w = fieldToWireFast(fi, v);
    if (w === FAIL) return FAIL;
    out[key] = w;
  }
  return out;
}

function fieldToWireFast(fi: FieldInfo, v: unknown): unknown {
  if (fi.map) {
    if (!isPlainObject(v)) return FAIL;
    const out: Plain = {};
    for (const k of Object.keys(v).sort()) {
      if (!isWellFormed(k)) return FAIL;
      const w = singleToWireFast(fi, v[k]);
      if (w === FAIL) return FAIL;
      out[k] = w;
    }
    return out;
  }
  if (fi.repeated) {
    if (!Array.isArray(v)) return FAIL;
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) {
      const w = singleToWireFast(fi, v[i]);
      if (w === FAIL) return FAIL;
      out[i] = w;
    }
    return out;
  }
  return singleToWireFast(fi, v);
}

function singleToWireFast(fi: FieldInfo, v: unknown): unknown {
  switch (fi.kind) {
    case Kind.Message:
      return toWireFast(fi.message!, v);
    case Kind.Enum:
      if (typeof v === "string" && v in fi.enumNames!) return v;
      if (typeof v === "number" && fi.enumNumbers!.has(v)) return v;
      return FAIL;
    case Kind.String:
      return typeof v === "string" && isWellFormed(v) ? v : FAIL;
    case Kind.Bool:
      return typeof v === "boolean" ? v : FAIL;
    case Kind.Bytes:
      if (v instanceof Uint8Array) return v;
      if (typeof v === "string" && BASE64.test(v)) return v;
      return FAIL;
    case Kind.Float:
      return typeof v === "number" ? v : FAIL;
    case Kind.Int32:
      return typeof v === "number" && Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff ? v : FAIL;
    case Kind.Uint32:
      return typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffffffff ? v : FAIL;
    case Kind.Int64:
      if (typeof v === "number" && Number.isSafeInteger(v)) return v;
      if (typeof v === "string" && /^-?\d+$/.test(v)) return v;
      return FAIL;
    default:
      return FAIL;
  }
}

function anyToWireFast(value: Plain): Plain | typeof FAIL {
  const url = value["@type"];
  if (typeof url !== "string") {
    if (typeof value.type_url === "string" && value.value instanceof Uint8Array) {
      if (!findMessage(typeNameFromUrl(value.type_url))) return FAIL;
      return { type_url: value.type_url, value: value.value };
    }
    return FAIL;
  }
  const inner = findMessage(typeNameFromUrl(url));
  if (!inner || infoOf(inner).any) return FAIL;
  const wire = toWireFast(inner, value, true);
  if (wire === FAIL) return FAIL;
  return { type_url: url, value: inner.encode(inner.fromObject(wire)).finish() };
}
