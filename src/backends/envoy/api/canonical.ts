// The canonical object form of a decoded message: snake_case keys, only fields present on the wire (proto3
// scalars at their default are absent), 64-bit integers as decimal strings, enums by name, bytes as base64, and
// each Any expanded to {"@type": url, ...payload}. Validation (validate.ts) and JSON output (json.ts) read this form.
import protobuf from "protobufjs";
import { dottedName, findMessage, typeNameFromUrl } from "./registry.js";

export type Canonical = { [key: string]: CanonicalValue };
export type CanonicalValue = string | number | boolean | Canonical | CanonicalValue[];

const INT64 = new Set(["int64", "uint64", "sint64", "fixed64", "sfixed64"]);

export function canonicalize(type: protobuf.Type, msg: protobuf.Message | Record<string, unknown>): Canonical {
  const m = msg as Record<string, unknown>;
  if (dottedName(type) === ".google.protobuf.Any") {
    const url = String(m.type_url ?? "");
    const inner = findMessage(typeNameFromUrl(url));
    if (!inner) throw new Error(`cannot resolve type URL "${url}"`);
    const bytes = m.value instanceof Uint8Array ? m.value : new Uint8Array();
    return { "@type": url, ...canonicalize(inner, inner.decode(bytes)) };
  }
  const out: Canonical = {};
  for (const field of fieldsById(type)) {
    if (!Object.prototype.hasOwnProperty.call(m, field.name)) continue;
    const v = m[field.name];
    if (v === null || v === undefined) continue;
    if (field instanceof protobuf.MapField) {
      const entries = Object.keys(v as object).sort();
      if (entries.length === 0) continue;
      const map: Canonical = {};
      for (const k of entries) map[k] = single(field, (v as Record<string, unknown>)[k]);
      out[field.name] = map;
    } else if (field.repeated) {
      const list = v as unknown[];
      if (list.length === 0) continue;
      out[field.name] = list.map((x) => single(field, x));
    } else {
      const value = single(field, v);
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

function single(field: protobuf.Field, v: unknown): CanonicalValue {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return canonicalize(rt, v as protobuf.Message);
  if (rt instanceof protobuf.Enum) return typeof v === "number" ? (rt.valuesById[v] ?? v) : String(v);
  if (INT64.has(field.type)) return String(v);
  if (field.type === "bytes") return Buffer.from(v as Uint8Array).toString("base64");
  return v as CanonicalValue;
}

function isDefault(field: protobuf.Field, v: CanonicalValue): boolean {
  if (field.resolvedType instanceof protobuf.Enum) return v === field.resolvedType.valuesById[0] || v === 0;
  return v === "" || v === 0 || v === false || v === "0";
}
