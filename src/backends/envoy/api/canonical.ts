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
  const has = Object.prototype.hasOwnProperty;
  for (const f of fieldsById(type)) {
    if (!has.call(m, f.name)) continue;
    const v = m[f.name];
    if (v === null || v === undefined) continue;
    if (f.map) {
      // protobufjs keys decoded maps of non-string keys its own way (64-bit keys as hash strings): decode those.
      if (built && !f.stringKeys) throw NOT_WIRE_EXACT;
      const entries = Object.keys(v as object).sort();
      if (entries.length === 0) continue;
      const map: Canonical = {};
      for (const k of entries) map[k] = single(f, (v as Record<string, unknown>)[k], built);
      out[f.name] = map;
    } else if (f.repeated) {
      const list = v as unknown[];
      if (list.length === 0) continue;
      const items = new Array<CanonicalValue>(list.length);
      for (let i = 0; i < list.length; i++) items[i] = single(f, list[i], built);
      out[f.name] = items;
    } else {
      const value = single(f, v, built);
      if (!f.presence && isDefault(f, value)) continue;
      out[f.name] = value;
    }
  }
  return out;
}

const enum Kind {
  Message,
  Enum,
  Int64,
  Bytes,
  Float,
  Other,
}

/** What canonicalize needs of a field, computed once per type (it runs for every message the codec encodes). */
interface FieldPlan {
  name: string;
  map: boolean;
  stringKeys: boolean;
  repeated: boolean;
  kind: Kind;
  message?: protobuf.Type;
  enumById?: Record<number, string>;
  /** Set even at its default (message fields and oneof members). */
  presence: boolean;
}

const sortedFields = new WeakMap<protobuf.Type, FieldPlan[]>();

/** Fields in field-number order, so canonical objects (and the JSON written from them) have one key order. */
function fieldsById(type: protobuf.Type): FieldPlan[] {
  let fields = sortedFields.get(type);
  if (!fields) {
    fields = [...type.fieldsArray]
      .sort((a, b) => a.id - b.id)
      .map((field) => {
        const rt = field.resolvedType;
        const kind =
          rt instanceof protobuf.Type ? Kind.Message
          : rt instanceof protobuf.Enum ? Kind.Enum
          : INT64.has(field.type) ? Kind.Int64
          : field.type === "bytes" ? Kind.Bytes
          : field.type === "float" ? Kind.Float
          : Kind.Other;
        const map = field instanceof protobuf.MapField;
        return {
          name: field.name,
          map,
          stringKeys: map && (field as protobuf.MapField).keyType === "string",
          repeated: field.repeated,
          kind,
          ...(rt instanceof protobuf.Type && { message: rt }),
          ...(rt instanceof protobuf.Enum && { enumById: rt.valuesById }),
          presence: rt instanceof protobuf.Type || field.partOf !== null,
        };
      });
    sortedFields.set(type, fields);
  }
  return fields;
}

/** Thrown by canonicalize(…, built) when a value would not read back from the wire unchanged. */
export const NOT_WIRE_EXACT = new Error("canonicalize: value not wire-exact, decode the bytes instead");
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function single(f: FieldPlan, v: unknown, built: boolean): CanonicalValue {
  switch (f.kind) {
    case Kind.Message:
      return canonicalize(f.message!, v as protobuf.Message, built);
    case Kind.Enum:
      return typeof v === "number" ? (f.enumById![v] ?? v) : String(v);
    case Kind.Int64:
      return String(v);
    case Kind.Bytes:
      return Buffer.from(v as Uint8Array).toString("base64");
    case Kind.Float:
      return built ? Math.fround(v as number) : (v as CanonicalValue);
    default:
      if (built && typeof v === "string" && LONE_SURROGATE.test(v)) throw NOT_WIRE_EXACT;
      return v as CanonicalValue;
  }
}

function isDefault(f: FieldPlan, v: CanonicalValue): boolean {
  if (f.kind === Kind.Enum) return v === f.enumById![0] || v === 0;
  return v === "" || v === 0 || v === false || v === "0";
}
