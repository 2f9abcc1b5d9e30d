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
import { groupBase } from "./endpoint-groups.js";

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

// A locality group with a priority (canonical form, inside a ClusterLoadAssignment from loadAssignment) -> the same
// group without it, shared by every assignment that has the group: the build writer renders that once (render.ts).
const groupBases = new WeakMap<Canonical, Canonical>();

/** The canonical form of `group` without its priority, when loadAssignment built it from one. */
export function groupWithoutPriority(group: Canonical): Canonical | undefined {
  return groupBases.get(group);
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

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n >>>= 7;
    size++;
  }
  return size;
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

  /** LocalityLbEndpoints without their priority, encoded once per content (null: refused; the caller falls back). */
  private readonly groups = new Map<string, { bytes: Uint8Array; canonical: Canonical } | null>();
  /** The same, by the group object endpoint-groups.ts built once per cluster (no JSON key to compute). */
  private readonly groupsByObject = new WeakMap<object, { bytes: Uint8Array; canonical: Canonical } | null>();

  /**
   * A ClusterLoadAssignment {cluster_name, endpoints} assembled from its locality groups, each encoded once without
   * its priority (issue 12 item 5): a service whose instances span localities gets one assignment per caller
   * locality for each upstream cluster (8,000 for the 1,000-service mesh, 2,000 clusters), and they differ only in
   * the groups' priorities. The bytes are exactly protobufjs's: fields in number order (cluster_name = 1, endpoints
   * = 2; in a group locality = 1, lb_endpoints = 2, load_balancing_weight = 3, then priority = 5), and the rules on
   * these fields (cluster_name min_len 1, priority lte 128) are checked here; the groups go through the codec.
   * Anything else (other fields, a refused group, a carry across reloads) takes encode(); test/backend checks both.
   */
  loadAssignment(name: string, msg: ResourceMessage<"endpoint">): EncodedResource | undefined {
    const m = msg as { cluster_name?: string; endpoints?: ({ priority?: number } & Record<string, unknown>)[] };
    const plain = !this.carry && name !== "" && m.cluster_name === name && Object.keys(m).every((k) => k === "cluster_name" || k === "endpoints");
    if (!plain) return this.encode("endpoint", name, msg);
    const list = m.endpoints ?? [];
    const parts: { bytes: Uint8Array; canonical: Canonical }[] = [];
    const priorities: number[] = [];
    for (const g of list) {
      const priority = g.priority ?? 0;
      if (!Number.isInteger(priority) || priority < 0 || priority > 128) return this.encode("endpoint", name, msg);
      // A group endpoint-groups.ts built is found by its object; any other by its JSON.
      const built = groupBase(g);
      let part = built ? this.groupsByObject.get(built) : undefined;
      if (part === undefined) {
        const { priority: _p, ...base } = g;
        if (!Object.keys(base).every((k) => k === "locality" || k === "lb_endpoints" || k === "load_balancing_weight")) return this.encode("endpoint", name, msg);
        const key = JSON.stringify(base);
        part = this.groups.get(key);
        if (part === undefined) {
          const r = encodeMessage("envoy.config.endpoint.v3.LocalityLbEndpoints", base as never, resourceLabel("endpoint", name));
          part = r.ok ? { bytes: r.message.bytes, canonical: r.message.canonical } : null;
          this.groups.set(key, part);
        }
        if (built) this.groupsByObject.set(built, part);
      }
      if (part === null) return this.encode("endpoint", name, msg);
      parts.push(part);
      priorities.push(priority);
    }
    const ids = parts.map((p, i) => `${this.groupId(p)}.${priorities[i]}`).join(",");
    const key = `${name}\0${ids}`;
    const seen = this.assembled.get(key);
    if (seen) {
      this.hits++;
      return seen;
    }
    this.encodes++;
    const nameBytes = Buffer.from(name, "utf8");
    const groupLen = parts.map((p, i) => p.bytes.length + (priorities[i]! > 0 ? 1 + varintSize(priorities[i]!) : 0));
    let size = 1 + varintSize(nameBytes.length) + nameBytes.length;
    for (const n of groupLen) size += 1 + varintSize(n) + n;
    const bytes = Buffer.alloc(size);
    let at = 0;
    const varint = (n: number) => {
      while (n >= 0x80) {
        bytes[at++] = (n & 0x7f) | 0x80;
        n >>>= 7;
      }
      bytes[at++] = n;
    };
    bytes[at++] = (1 << 3) | 2;
    varint(nameBytes.length);
    at += nameBytes.copy(bytes, at);
    for (let i = 0; i < parts.length; i++) {
      bytes[at++] = (2 << 3) | 2;
      varint(groupLen[i]!);
      bytes.set(parts[i]!.bytes, at);
      at += parts[i]!.bytes.length;
      if (priorities[i]! > 0) {
        bytes[at++] = (5 << 3) | 0;
        varint(priorities[i]!);
      }
    }
    const canonical: Canonical = { cluster_name: name };
    if (parts.length) {
      canonical.endpoints = parts.map((p, i) => {
        if (priorities[i] === 0) return p.canonical;
        const g: Canonical = { ...p.canonical, priority: priorities[i]! };
        groupBases.set(g, p.canonical);
        return g;
      });
    }
    const res: EncodedResource = { name, typeUrl: TYPE_URLS.endpoint, bytes, hash: contentHash(bytes) };
    canonicals.set(res, canonical);
    this.assembled.set(key, res);
    return res;
  }

  /**
   * Assignments and route tables assembled from encoded parts, by name and the parts' ids (and priorities). Apart
   * from `memo`, whose keys are whole messages' JSON: a lookup in that large table cost more than the assembly.
   */
  private readonly assembled = new Map<string, EncodedResource>();
  private readonly assembledRoutes = new Map<string, EncodedResource>();

  private readonly groupIds = new WeakMap<object, number>();
  private nextGroupId = 0;

  private groupId(p: object): number {
    let id = this.groupIds.get(p);
    if (id === undefined) this.groupIds.set(p, (id = ++this.nextGroupId));
    return id;
  }

  /**
   * A RouteConfiguration {name, virtual_hosts} from virtual hosts encoded once each: callers of the same upstreams
   * share the virtual hosts, and only these few bytes are new per proxy. The bytes are exactly protobufjs's
   * (fields in number order: name = 1, virtual_hosts = 2, each length-delimited), and RouteConfiguration has no
   * validation rules on these two fields; test/backend checks both against encodeMessage.
   */
  routeConfiguration(name: string, vhosts: EncodedPart[]): EncodedResource {
    const key = `${name}\0${vhosts.map((v) => v.id).join(",")}`;
    const seen = this.assembledRoutes.get(key);
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
    this.assembledRoutes.set(key, res);
    return res;
  }
}
