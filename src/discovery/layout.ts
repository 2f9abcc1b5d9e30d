// The registry's key and JSON layout (issue 16), shared by `meshc register` (writes entries) and `meshc serve`
// (reads them). One entry per live instance:
//   key:   <prefix>/services/<service key>/<instance id>
//   value: {"address":"10.0.0.7","port":8080,"labels":{"version":"v2"},"locality":{"region":"eu","zone":"eu-1a"},"weight":1}
// `ports` ({"<port name>": number}) replaces `port` on a service with several ports. Entries are bounded (4 KiB,
// 64 labels) and validated here; what can only be judged against the mesh (port names, unknown keys) is judged
// by the overlay (src/serve/registry-overlay.ts). docs/dsl.md ("Service discovery") documents the same layout.
import { createHash } from "node:crypto";
import { illFormedStrings } from "../ir/well-formed.js";
import { z } from "zod";
import { REGISTRY_KEY } from "../analysis/analyzers/registry-keys.js";
import { isIpAddress } from "../backends/envoy/values.js";
import type { RawEntry } from "./source.js";

export const MAX_ENTRY_BYTES = 4096;
/**
 * The bound on an entry restored from the state directory (RawEntry.restored): the entry re-serialized (entryValue)
 * from a value of at most MAX_ENTRY_BYTES. That can be longer than the value received: a number grows ("port":1e4 ->
 * "port":10000) and each byte that is not UTF-8 becomes U+FFFD (3 bytes), so at most 3 times as long.
 */
export const RESTORED_ENTRY_BYTES = 3 * MAX_ENTRY_BYTES;
export const INSTANCE_ID = /^[A-Za-z0-9._:\[\]-]{1,253}$/;

const portNumber = z.number().int().min(1).max(65535);
const name = z.string().min(1).max(253);
export const entrySchema = z.strictObject({
  address: z.string().refine(isIpAddress, { error: "address must be an IP address (EDS does not resolve names)" }),
  port: portNumber.optional(),
  ports: z.record(z.string().min(1).max(63), portNumber).optional(),
  labels: z.record(z.string().min(1).max(63), z.string().max(253)).refine((l) => Object.keys(l).length <= 64, { error: "at most 64 labels" }).optional(),
  locality: z.strictObject({ region: name.optional(), zone: name.optional(), subZone: name.optional() }).optional(),
  weight: z.number().int().min(1).max(1000).optional(),
});
export type RegistryEntry = z.infer<typeof entrySchema>;

export function servicesPrefix(prefix: string): string {
  return `${prefix}/services/`;
}

/** The longest key a valid entry under `prefix` can have: <prefix>/services/<key (253)>/<instance id (253)>. */
export function maxKeyBytes(prefix: string): number {
  return Buffer.byteLength(servicesPrefix(prefix)) + 253 + 1 + 253;
}

/** A key for logs: at most 200 characters, then how long it was. */
export function clipKey(key: string): string {
  return key.length <= 200 ? key : `${key.slice(0, 200)}… (${Buffer.byteLength(key)} bytes)`;
}

/**
 * How a key is held in memory: itself, or (longer than any valid entry's key) its first 200 characters with its
 * length and digest, so that a put and a delete of the same oversized key still meet, and no map or log holds it.
 */
export function keyId(prefix: string, key: Buffer | string): string {
  const bytes = typeof key === "string" ? Buffer.byteLength(key) : key.length;
  if (bytes <= maxKeyBytes(prefix)) return key.toString();
  const text = key.toString();
  return `${text.slice(0, 200)}… (${bytes} bytes, sha256 ${createHash("sha256").update(key).digest("hex").slice(0, 16)})`;
}

/**
 * A key/value as read from the registry, as a source reports it: a key or value larger than any valid entry's is
 * not kept (only its size, for the rejection), so junk under the prefix costs no memory past the page it came in.
 */
export function rawEntry(prefix: string, key: Buffer, value: Buffer): RawEntry {
  if (key.length <= maxKeyBytes(prefix) && value.length <= MAX_ENTRY_BYTES) return { key: key.toString(), value };
  return { key: keyId(prefix, key), value: Buffer.alloc(0), oversized: { keyBytes: key.length, valueBytes: value.length } };
}

export function entryKey(prefix: string, serviceKey: string, id: string): string {
  return `${servicesPrefix(prefix)}${serviceKey}/${id}`;
}

/** <prefix>/services/<key>/<id> -> its parts; undefined for any other key under the prefix. */
export function parseEntryKey(prefix: string, key: string): { service: string; id: string } | undefined {
  const head = servicesPrefix(prefix);
  if (!key.startsWith(head)) return undefined;
  const rest = key.slice(head.length).split("/");
  if (rest.length !== 2 || !REGISTRY_KEY.test(rest[0]!) || !INSTANCE_ID.test(rest[1]!)) return undefined;
  return { service: rest[0]!, id: rest[1]! };
}

export type ParsedEntry = { ok: true; service: string; id: string; entry: RegistryEntry } | { ok: false; reason: RejectReason; problem: string };
export type RejectReason = "bad_key" | "too_large" | "bad_json" | "bad_entry" | "unknown_service" | "bad_port" | "too_many_localities" | "too_many_entries";

/** Validates one raw key/value read from the registry (structure only; see the file comment). */
export function parseEntry(prefix: string, key: string, value: Buffer | string, oversized?: RawEntry["oversized"], restored?: boolean): ParsedEntry {
  if (oversized && oversized.keyBytes > maxKeyBytes(prefix)) return { ok: false, reason: "too_large", problem: `the key is ${oversized.keyBytes} bytes (at most ${maxKeyBytes(prefix)} under this prefix)` };
  if (oversized) return { ok: false, reason: "too_large", problem: oversized.valueBytes > 0 ? `the value is ${oversized.valueBytes} bytes (at most ${MAX_ENTRY_BYTES})` : "the entry alone is larger than the registry client's receive limit (its value was not read)" };
  const where = parseEntryKey(prefix, key);
  if (!where) return { ok: false, reason: "bad_key", problem: `the key is not ${servicesPrefix(prefix)}<service key>/<instance id>` };
  const bytes = typeof value === "string" ? Buffer.byteLength(value) : value.length;
  const max = restored ? RESTORED_ENTRY_BYTES : MAX_ENTRY_BYTES;
  if (bytes > max) return { ok: false, reason: "too_large", problem: `the value is ${bytes} bytes (at most ${max}${restored ? " restored" : ""})` };
  let json: unknown;
  try {
    json = JSON.parse(value.toString());
  } catch {
    return { ok: false, reason: "bad_json", problem: "the value is not JSON" };
  }
  const r = entrySchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const isPort = i.path[0] === "port" || i.path[0] === "ports";
    return { ok: false, reason: isPort ? "bad_port" : "bad_entry", problem: `${i.path.join(".") || "value"}: ${i.message}` };
  }
  if (r.data.port !== undefined && r.data.ports !== undefined) return { ok: false, reason: "bad_port", problem: "give port or ports, not both" };
  // JSON's "\ud800" escape gives a lone surrogate: text with no UTF-8 form, rejected like any malformed entry.
  const illFormed = illFormedStrings(r.data)[0];
  if (illFormed) return { ok: false, reason: "bad_entry", problem: `${illFormed.join(".")}: text with a lone surrogate (an unpaired \\uD800-\\uDFFF escape) has no UTF-8 form` };
  return { ok: true, ...where, entry: r.data };
}

/** The JSON value `meshc register` writes: keys in a fixed order, absent fields left out. */
export function entryValue(e: RegistryEntry): string {
  const out: Record<string, unknown> = { address: e.address };
  if (e.port !== undefined) out.port = e.port;
  if (e.ports !== undefined) out.ports = e.ports;
  if (e.labels !== undefined && Object.keys(e.labels).length > 0) out.labels = e.labels;
  if (e.locality !== undefined) out.locality = e.locality;
  if (e.weight !== undefined) out.weight = e.weight;
  return JSON.stringify(out);
}
