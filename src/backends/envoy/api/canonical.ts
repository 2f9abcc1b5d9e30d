// The canonical object form of a decoded message: snake_case keys, only fields present on the wire (proto3
// scalars at their default are absent), 64-bit integers as decimal strings, enums by name, bytes as base64, and
// each Any expanded to {"@type": url, ...payload}. Validation (validate.ts) and JSON output (json.ts) read this form.
import protobuf from "protobufjs";
import { dottedName, findMessage, typeNameFromUrl } from "./registry.js";

export type Canonical = { [key: string]: CanonicalValue };
export type CanonicalValue = string | number | boolean | Canonical | CanonicalValue[];

const INT64 = new Set(["int64", "uint64", "sint64", "fixed64", "sfixed64"]);

/**
 * `built`: `msg` is the message protobufjs built from a wire object (Type.fromObject) and just encoded, rather than
 * decoded from bytes. The result is then what decoding those bytes would give: float fields are rounded to 32 bits
 * as the wire holds them; a string with a lone surrogate (which UTF-8 cannot carry unchanged) throws NOT_WIRE_EXACT
 * so the caller decodes the bytes instead. Every other value reads back from the wire as it went in.
 */
export function canonicalize(type: protobuf.Type, msg: protobuf.Message | Record<string, unknown>, built = false): Canonical {
  const m = msg as Record<string, unknown>;
  if (dottedName(type) === ".google.protobuf.Any") {
    const url = String(m.type_url ?? "");
    const inner = findMessage(typeNameFromUrl(url));
    if (!inner) throw new Error(`cannot resolve type URL "${url}"`);
    const bytes = m.value instanceof Uint8Array ? m.value : new Uint8Array();
    return { "@type": url, ...canonicalize(inner, inner.decode(bytes)) }; // the payload's own bytes: decoded
  }
  const out: Canonical = {};
  for (const field of fieldsById(type)) {
    if (!Object.prototype.hasOwnProperty.call(m, field.name)) continue;
    const v = m[field.name];
    if (v === null || v === undefined) continue;
    if (field instanceof protobuf.MapField) {
      // protobufjs keys decoded maps of non-string keys its own way (64-bit keys as hash strings): decode those.
      if (built && field.keyType !== "string") throw NOT_WIRE_EXACT;
      const entries = Object.keys(v as object).sort();
      if (entries.length === 0) continue;
      const map: Canonical = {};
      for (const k of entries) map[k] = single(field, (v as Record<string, unknown>)[k], built);
      out[field.name] = map;
    } else if (field.repeated) {
      const list = v as unknown[];
      if (list.length === 0) continue;
      out[field.name] = list.map((x) => single(field, x, built));
    } else {
      const value = single(field, v, built);
      const hasPresence = field.resolvedType instanceof protobuf.Type || field.partOf !== null;
      if (!hasPresence && isDefault(field, value)) continue;
      out[field.name] = value;
    }
  }
  return out;
}

const sortedFields = new WeakMap<protobuf.Type, protobuf.Field[]>();

/** Fields in field-number order, so canonical objects (and the JSON written from them) have one key order. */
function fieldsById(type: protobuf.Type): protobuf.Field[] {
  let fields = sortedFields.get(type);
  if (!fields) {
    fields = [...type.fieldsArray].sort((a, b) => a.id - b.id);
    sortedFields.set(type, fields);
  }
  return fields;
}

/** Thrown by canonicalize(…, built) when a value would not read back from the wire unchanged. */
export const NOT_WIRE_EXACT = new Error("canonicalize: value not wire-exact, decode the bytes instead");
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function single(field: protobuf.Field, v: unknown, built: boolean): CanonicalValue {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return canonicalize(rt, v as protobuf.Message, built);
  if (rt instanceof protobuf.Enum) return typeof v === "number" ? (rt.valuesById[v] ?? v) : String(v);
  if (INT64.has(field.type)) return String(v);
  if (field.type === "bytes") return Buffer.from(v as Uint8Array).toString("base64");
  if (built) {
    if (field.type === "float") return Math.fround(v as number);
    if (typeof v === "string" && LONE_SURROGATE.test(v)) throw NOT_WIRE_EXACT;
  }
  return v as CanonicalValue;
}

function isDefault(field: protobuf.Field, v: CanonicalValue): boolean {
  if (field.resolvedType instanceof protobuf.Enum) return v === field.resolvedType.valuesById[0] || v === 0;
  return v === "" || v === 0 || v === false || v === "0";
}
