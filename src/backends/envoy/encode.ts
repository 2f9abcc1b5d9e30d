// Encodes each distinct resource once. Builders produce plain typed objects; equal content (same type, same JSON
// of the typed object) yields the very same EncodedResource, shared by every proxy that receives it: the xDS server
// then holds one copy of the bytes however many proxies subscribe (issue 4, "encoded once").
import protobuf from "protobufjs";
import { contentHash } from "../../snapshot/build.js";
import { TYPE_URLS, type EncodedResource, type ResourceKind } from "../../snapshot/types.js";
import type { Canonical } from "./api/canonical.js";
import { decodeMessage, encodeMessage, type EnvoyTypeName, type EnvoyTypes } from "./api/codec.js";
import type { EnvoyIssue } from "./api/issues.js";
import type { EncodeCarry } from "./encode-carry.js";

/** The resource message type of each snapshot kind. */
export const RESOURCE_TYPES = {
  cluster: "envoy.config.cluster.v3.Cluster",
  endpoint: "envoy.config.endpoint.v3.ClusterLoadAssignment",
  listener: "envoy.config.listener.v3.Listener",
  route: "envoy.config.route.v3.RouteConfiguration",
  secret: "envoy.extensions.transport_sockets.tls.v3.Secret",
} as const satisfies Record<ResourceKind, EnvoyTypeName>;

const LABEL: Record<ResourceKind, string> = {
  cluster: "Cluster",
  endpoint: "ClusterLoadAssignment",
  listener: "Listener",
  route: "RouteConfiguration",
  secret: "Secret",
};

export type ResourceMessage<K extends ResourceKind> = EnvoyTypes[(typeof RESOURCE_TYPES)[K]];

// Side table: the canonical form of each EncodedResource this process encoded (the snapshot contract stays
// bytes-only; the build writer and the consistency check read canonicals from here, or decode the bytes).
const canonicals = new WeakMap<EncodedResource, Canonical>();

/** The canonical (decoded) form of a resource: from the side table, else decoded from its bytes. */
export function canonicalOf(kind: ResourceKind, r: EncodedResource): Canonical {
  let c = canonicals.get(r);
  if (!c) {
    c = decodeMessage(RESOURCE_TYPES[kind], r.bytes);
    canonicals.set(r, c);
  }
  return c;
}

/** Records the canonical form a reader already has for `r` (what encodeMessage returned), sparing a decode later. */
export function rememberCanonical(r: EncodedResource, c: Canonical): void {
  if (!canonicals.has(r)) canonicals.set(r, c);
}

export function resourceLabel(kind: ResourceKind, name: string): string {
  return `${LABEL[kind]} ${JSON.stringify(name)}`;
}

/** An encoded, validated sub-message (e.g. a VirtualHost) that resources are assembled from. */
export interface EncodedPart {
  id: number;
  bytes: Uint8Array;
  canonical: Canonical;
}

export class ResourceEncoder {
  /** Content key -> result; null records a failed encode so its issues are reported once, not per proxy. */
  private readonly memo = new Map<string, EncodedResource | null>();
  readonly issues: EnvoyIssue[] = [];
  /** Counters for tests and the benchmark. */
  encodes = 0;
  hits = 0;

  /** `carry`: encoded content kept across translations (`meshc serve` reloads; encode-carry.ts). */
  constructor(private readonly carry?: EncodeCarry) {}

  encode<K extends ResourceKind>(kind: K, name: string, msg: ResourceMessage<K>): EncodedResource | undefined {
    const key = `${kind}\0${JSON.stringify(msg)}`;
    const seen = this.memo.get(key);
    if (seen !== undefined) {
      this.hits++;
      return seen ?? undefined;
    }
    const carried = this.carry?.resource(key);
    if (carried) {
      this.memo.set(key, carried);
      return carried;
    }
    this.encodes++;
    const r = encodeMessage(RESOURCE_TYPES[kind], msg as never, resourceLabel(kind, name));
    if (!r.ok) {
      this.issues.push(...r.issues);
      this.memo.set(key, null);
      return undefined;
    }
    const res: EncodedResource = { name, typeUrl: TYPE_URLS[kind], bytes: r.message.bytes, hash: contentHash(r.message.bytes) };
    canonicals.set(res, r.message.canonical);
    this.memo.set(key, res);
    this.carry?.keepResource(key, res);
    return res;
  }

  private readonly parts = new Map<string, EncodedPart | null>();
  private partIds = 0;

  /** Encodes and validates a sub-message once per `key` (the caller's build-input key). */
  encodePart<T extends EnvoyTypeName>(typeName: T, key: string, msg: EnvoyTypes[T], label: string): EncodedPart | undefined {
    const seen = this.parts.get(key);
    if (seen !== undefined) return seen ?? undefined;
    // Across translations parts are found by content (`key` identifies the inputs within one translation only).
    const contentKey = this.carry ? `${typeName}\0${JSON.stringify(msg)}` : "";
    const carried = this.carry?.part(contentKey);
    if (carried) {
      this.parts.set(key, carried);
      return carried;
    }
    this.encodes++;
    const r = encodeMessage(typeName, msg as never, label);
    if (!r.ok) {
      this.issues.push(...r.issues);
      this.parts.set(key, null);
      return undefined;
    }
    const part: EncodedPart = { id: this.carry ? this.carry.nextPartId() : ++this.partIds, bytes: r.message.bytes, canonical: r.message.canonical };
    this.parts.set(key, part);
    this.carry?.keepPart(contentKey, part);
    return part;
  }

  /**
   * A RouteConfiguration {name, virtual_hosts} from virtual hosts encoded once each: callers of the same upstreams
   * share the virtual hosts, and only these few bytes are new per proxy. The bytes are exactly protobufjs's
   * (fields in number order: name = 1, virtual_hosts = 2, each length-delimited), and RouteConfiguration has no
   * validation rules on these two fields; test/backend checks both against encodeMessage.
   */
  routeConfiguration(name: string, vhosts: EncodedPart[]): EncodedResource {
    const key = `route\0${name}\0${vhosts.map((v) => v.id).join(",")}`;
    const seen = this.memo.get(key);
    if (seen) {
      this.hits++;
      return seen;
    }
    const w = protobuf.Writer.create();
    if (name !== "") w.uint32((1 << 3) | 2).string(name);
    for (const v of vhosts) w.uint32((2 << 3) | 2).bytes(v.bytes);
    const bytes = w.finish();
    const canonical: Canonical = {};
    if (name !== "") canonical.name = name;
    if (vhosts.length) canonical.virtual_hosts = vhosts.map((v) => v.canonical);
    const res: EncodedResource = { name, typeUrl: TYPE_URLS.route, bytes, hash: contentHash(bytes) };
    canonicals.set(res, canonical);
    this.memo.set(key, res);
    return res;
  }
}
