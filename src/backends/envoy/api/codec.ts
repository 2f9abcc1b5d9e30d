// The one door Envoy messages go through: typed object -> strict wire object -> protobuf bytes -> canonical form
// -> (validate.rules) check. Nothing leaves meshc that protobufjs would have silently changed or Envoy would reject
// on its own schema rules.
import type { EnvoyTypes } from "../generated/type-map.js";
import { canonicalize, NOT_WIRE_EXACT, type Canonical } from "./canonical.js";
import { EnvoyValidationError, type EnvoyIssue } from "./issues.js";
import { fromJson, toJson, type Json } from "./json.js";
import { messageType, typeUrl } from "./registry.js";
import { toWire } from "./strict.js";
import { FAIL, toWireFast } from "./strict-fast.js";
import { validateMessage } from "./validate.js";

export type EnvoyTypeName = keyof EnvoyTypes;
export type { EnvoyTypes };

/** An Any holding `msg`, its "@type" derived from the message name so URL and payload cannot disagree. */
export type PackedAny<K extends EnvoyTypeName> = { "@type": `type.googleapis.com/${K}` } & EnvoyTypes[K];

export function pack<K extends EnvoyTypeName>(type: K, msg: EnvoyTypes[K]): PackedAny<K> {
  return { "@type": typeUrl(type) as `type.googleapis.com/${K}`, ...msg };
}

export interface EncodedMessage {
  typeName: string;
  typeUrl: string;
  bytes: Uint8Array;
  canonical: Canonical;
}

export type EncodeResult = { ok: true; message: EncodedMessage } | { ok: false; issues: EnvoyIssue[] };

/** Strictly encodes and validates `msg` as `typeName`; `resource` labels issues (e.g. `Cluster "payments"`). */
export function encodeMessage<K extends EnvoyTypeName>(typeName: K, msg: EnvoyTypes[K], resource: string): EncodeResult;
export function encodeMessage(typeName: string, msg: unknown, resource: string): EncodeResult;
export function encodeMessage(typeName: string, msg: unknown, resource: string): EncodeResult {
  const type = messageType(typeName);
  // The fast path checks without building field paths; only a message it refuses goes through toWire for issues.
  let wire = toWireFast(type, msg);
  if (wire === FAIL) {
    const issues: EnvoyIssue[] = [];
    wire = toWire(type, msg, "", { resource, issues });
    if (issues.length) return { ok: false, issues };
  }
  const built = type.fromObject(wire);
  const bytes = type.encode(built).finish();
  const canonical = canonicalOfBuilt(type, built, bytes);
  const ruleIssues = validateMessage(type, canonical, resource);
  if (ruleIssues.length) return { ok: false, issues: ruleIssues };
  return { ok: true, message: { typeName, typeUrl: typeUrl(typeName), bytes, canonical } };
}

/** The canonical form of the bytes `built` encoded to, read from `built` itself (no decode) when that is exact. */
function canonicalOfBuilt(type: ReturnType<typeof messageType>, built: object, bytes: Uint8Array): Canonical {
  try {
    return canonicalize(type, built as Record<string, unknown>, true);
  } catch (err) {
    if (err !== NOT_WIRE_EXACT) throw err;
    return canonicalize(type, type.decode(bytes));
  }
}

export function encodeOrThrow<K extends EnvoyTypeName>(typeName: K, msg: EnvoyTypes[K], resource: string): EncodedMessage;
export function encodeOrThrow(typeName: string, msg: unknown, resource: string): EncodedMessage;
export function encodeOrThrow(typeName: string, msg: unknown, resource: string): EncodedMessage {
  const r = encodeMessage(typeName, msg, resource);
  if (!r.ok) throw new EnvoyValidationError(r.issues);
  return r.message;
}

/** Protobuf bytes -> canonical form (Any payloads expanded). */
export function decodeMessage(typeName: string, bytes: Uint8Array): Canonical {
  const type = messageType(typeName);
  return canonicalize(type, type.decode(bytes));
}

/** Canonical form -> Envoy's proto3 JSON. */
export function messageToJson(typeName: string, canonical: Canonical): Json {
  return toJson(messageType(typeName), canonical);
}

/** Envoy JSON -> typed input shape; unknown keys and malformed well-known values are issues. */
export function messageFromJson(typeName: string, json: Json, resource: string): { value: unknown; issues: EnvoyIssue[] } {
  const issues: EnvoyIssue[] = [];
  const value = fromJson(messageType(typeName), json, "", { resource, issues });
  return { value, issues };
}

/** Envoy JSON -> checked bytes: the path a build directory's files take into the xDS server. */
export function encodeJson(typeName: string, json: Json, resource: string): EncodeResult {
  const parsed = messageFromJson(typeName, json, resource);
  if (parsed.issues.length) return { ok: false, issues: parsed.issues };
  return encodeMessage(typeName, parsed.value, resource);
}
