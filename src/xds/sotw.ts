// State-of-the-world ADS stream (StreamAggregatedResources): one sub-stream per type (P-04), each with its
// subscription, the resources the client holds from us, its last nonce and its NACK state.
import type { EncodedResource, ResourceKind } from "../snapshot/types.js";
import { versionOf } from "../snapshot/build.js";
import { resourceIndex } from "./cache.js";
import { NAME_OVERHEAD_BYTES } from "./limits.js";
import { XDS_TYPES, type XdsResourceType } from "./resource-types.js";
import { XdsStream } from "./stream.js";
import { serializeSotwResponse, serializeSotwResponseFramed, type SotwRequest, type SotwResponseOut } from "./wire.js";

interface SentResponse {
  nonce: string;
  version: string;
  /** The snapshot's version of the type when the response was built (what a NACK suppresses, P-11). */
  snapVersion: string;
  sentAt: number;
  answered: boolean;
}

interface TypeState {
  spec: XdsResourceType;
  /** A request for this type arrived on this stream. */
  seen: boolean;
  /** A non-empty resource_names was sent once: from then on an empty list means "none", not wildcard (P-17). */
  namesEverSent: boolean;
  wildcard: boolean;
  /** Explicitly requested names, remembered even when absent from the snapshot (P-19). */
  names: Set<string>;
  /** Bytes of the last resource_names (NAME_OVERHEAD_BYTES a name included), charged to the connection. */
  nameBytes: number;
  /** name -> hash the client holds from us: the last full set (full-state types) or everything sent (others). */
  held: Map<string, string>;
  /** CDS only: the Cluster objects themselves, to keep sending a removed one until routes moved off it (P-28). */
  heldClusters?: Map<string, EncodedResource>;
  last?: SentResponse;
  /** Snapshot version of the type that the client NACKed: stay silent while it is current (P-11). */
  nackedSnapVersion?: string;
  dirty: boolean;
  /** Respond even if nothing changed: first request (P-33), empty nonce. */
  forceAll: boolean;
  /** Names to include even if unchanged: newly requested (P-16), warming (P-29). */
  force: Set<string>;
  /** The newly requested names among them (P-16): answered even at a NACKed version. */
  added: Set<string>;
  /** CDS only: a make-before-break union was sent; send the final set after LDS/RDS (P-28). */
  cleanupPending: boolean;
}

export class SotwStream extends XdsStream<SotwRequest, SotwResponseOut, TypeState> {
  protected serialize(res: SotwResponseOut): Buffer {
    return serializeSotwResponse(res);
  }

  protected override serializeFramed(res: SotwResponseOut): Buffer {
    return serializeSotwResponseFramed(res);
  }

  protected handle(req: SotwRequest): void {
    const spec = this.servedType(req.typeUrl);
    if (!spec) return;
    // R6: resource_names is the whole subscription; bounded as a Delta stream's accumulated names are, before any
    // set is built from it.
    const listed = req.resourceNames;
    let nameBytes = 0;
    if (listed.length > 0) {
      for (const n of listed) nameBytes += n.length + NAME_OVERHEAD_BYTES;
      if (this.namesOverLimit(spec, "resource_names", listed.length, nameBytes)) return;
    }
    const st = this.state(spec);
    const nonce = req.responseNonce;
    if (st.last && nonce !== "" && nonce !== st.last.nonce) {
      // P-13: a stale (or never issued) nonce: no response and the subscription stays as it is.
      this.log.debug({ type: spec.kind, nonce: this.clip(nonce), latest: st.last.nonce }, "stale nonce ignored");
      return;
    }
    if (st.last && nonce === st.last.nonce && !st.last.answered) {
      st.last.answered = true;
      // P-10: error_detail alone decides between NACK and ACK.
      if (req.errorDetail) {
        st.nackedSnapVersion = st.last.snapVersion;
        this.recordNack({
          type: spec.kind,
          typeUrl: spec.typeUrl,
          version: st.last.version,
          nonce,
          code: req.errorDetail.code,
          message: req.errorDetail.message,
          at: new Date().toISOString(),
        });
      } else {
        // The version we sent with that nonce, not the request's version_info: a client string (up to the message
        // limit) that /debug/proxies and /metrics would otherwise keep and copy (Delta records its own too).
        this.recordAck(spec.kind, st.last.version, st.last.sentAt);
      }
    }
    const firstForType = !st.seen;
    st.seen = true;
    if (!this.chargeNames(spec, nameBytes - st.nameBytes)) return;
    st.nameBytes = nameBytes;
    updateSubscription(st, req.resourceNames);
    // P-33/P-35: the first request per type on a stream (a nonce from an earlier stream included) and an
    // empty-nonce request get the current state.
    if (firstForType || nonce === "") {
      st.forceAll = true;
      st.dirty = true;
    }
  }

  protected next(): SotwResponseOut | undefined {
    for (const spec of XDS_TYPES) {
      const st = this.types.get(spec.kind);
      if (!st?.dirty) continue;
      const res = this.build(st, false);
      if (res) return res;
    }
    const cds = this.types.get("cluster");
    if (cds?.cleanupPending) {
      cds.cleanupPending = false;
      return this.build(cds, true);
    }
    return undefined;
  }

  protected override hasDue(): boolean {
    for (const st of this.types.values()) if (st.dirty || st.cleanupPending) return true;
    return false;
  }

  protected pendingKinds(): ResourceKind[] {
    return XDS_TYPES.filter((t) => {
      const st = this.types.get(t.kind);
      return st && (st.dirty || st.cleanupPending || (st.last && !st.last.answered));
    }).map((t) => t.kind);
  }

  private state(spec: XdsResourceType): TypeState {
    let st = this.types.get(spec.kind);
    if (!st) {
      st = {
        spec,
        seen: false,
        namesEverSent: false,
        wildcard: false,
        names: new Set(),
        nameBytes: 0,
        held: new Map(),
        ...(spec.kind === "cluster" ? { heldClusters: new Map() } : {}),
        dirty: false,
        forceAll: false,
        force: new Set(),
        added: new Set(),
        cleanupPending: false,
      };
      this.types.set(spec.kind, st);
    }
    return st;
  }

  /** The response for one type from the current snapshot, or undefined if it would tell the client nothing new. */
  private build(st: TypeState, finalCds: boolean): SotwResponseOut | undefined {
    const { spec } = st;
    const proxy = this.proxy!;
    const forceAll = st.forceAll;
    const force = st.force;
    const added = st.added;
    st.dirty = false;
    st.forceAll = false;
    st.force = new Set();
    st.added = new Set();

    const snapVersion = proxy.versions[spec.kind];
    // P-11: silent on the rejected snapshot version, except (P-16) to answer names the client added since, e.g. a
    // gRPC client opening a channel to another target after it NACKed one target's route configuration.
    let onlyAdded = false;
    if (st.nackedSnapVersion !== undefined) {
      if (st.nackedSnapVersion === snapVersion) {
        if (added.size === 0) return undefined;
        onlyAdded = !spec.sotwFullState;
      } else st.nackedSnapVersion = undefined;
    }

    const idx = resourceIndex(proxy, spec.kind);
    let list: EncodedResource[] = st.wildcard
      ? proxy.resources[spec.kind]
      : requested(st.names, idx);
    let version = snapVersion;

    if (spec.sotwFullState) {
      if (st.heldClusters && !finalCds && this.routesFollow()) {
        // P-28 make before break: keep clusters that are going away until LDS/RDS no longer point at them.
        const kept = new Set(list.map((r) => r.name));
        const dropped = [...st.heldClusters.values()].filter((r) => !kept.has(r.name));
        if (dropped.length > 0) {
          list = [...list, ...dropped].sort(byName);
          version = versionOf(list);
          st.cleanupPending = true;
        }
      }
      if (!forceAll && force.size === 0 && sameContent(st.held, list)) return undefined; // P-37
    } else {
      // P-25: RDS/EDS/SDS carry the requested resources that changed, plus those forced (P-16, P-29).
      if (onlyAdded) list = list.filter((r) => added.has(r.name));
      else if (!forceAll) list = list.filter((r) => force.has(r.name) || st.held.get(r.name) !== r.hash);
      if (list.length === 0 && !forceAll) return undefined;
    }

    this.warm(st, list);
    if (spec.sotwFullState) st.held = new Map(list.map((r) => [r.name, r.hash]));
    else for (const r of list) st.held.set(r.name, r.hash);
    if (st.heldClusters) st.heldClusters = new Map(list.map((r) => [r.name, r]));

    const nonce = this.nextNonce();
    st.last = { nonce, version, snapVersion, sentAt: performance.now(), answered: false };
    this.recordSent(spec.kind, version);
    return { versionInfo: version, typeUrl: spec.typeUrl, nonce, resources: list };
  }

  /** P-29: a Cluster the client did not hold in this form warms until its ClusterLoadAssignment arrives: resend it. */
  private warm(st: TypeState, list: readonly EncodedResource[]): void {
    const warms = st.spec.warms;
    if (!warms) return;
    const target = this.types.get(warms.kind);
    if (!target?.seen) return;
    for (const r of list) {
      if (st.held.get(r.name) === r.hash) continue;
      for (const n of warms.names(r)) {
        target.force.add(n);
        target.dirty = true;
      }
    }
  }

  private routesFollow(): boolean {
    return Boolean(this.types.get("listener")?.seen || this.types.get("route")?.seen);
  }
}

/** The requested resources that exist, in name order. */
function requested(names: ReadonlySet<string>, idx: ReadonlyMap<string, EncodedResource>): EncodedResource[] {
  const out: EncodedResource[] = [];
  for (const n of [...names].sort()) {
    const r = idx.get(n);
    if (r) out.push(r);
  }
  return out;
}

/** What a request's resource_names change in a type's subscription (the part of TypeState it reads and writes). */
export interface Subscription {
  spec: { wildcard: boolean };
  namesEverSent: boolean;
  wildcard: boolean;
  names: Set<string>;
  held: Map<string, string>;
  heldClusters?: Map<string, unknown>;
  dirty: boolean;
  forceAll: boolean;
  force: Set<string>;
  added: Set<string>;
}

/**
 * Applies a request's resource_names to the subscription (P-16, P-17, P-19). Most requests of a sync are ACKs that
 * repeat the subscription: `subscriptionUnchanged` says so without building sets, and nothing is done
 * (test/xds/subscription-fast-path.test.ts checks that the full update would change nothing in those cases).
 */
export function updateSubscription(st: Subscription, listed: string[]): void {
  if (subscriptionUnchanged(st, listed)) {
    if (listed.length > 0) st.namesEverSent = true;
    return;
  }
  updateSubscriptionFull(st, listed);
}

/**
 * True when `listed` leaves the subscription as it is: (a) no names, none subscribed, and the wildcard state such a
 * request gives is the current one; (b) exactly the subscribed names, each once, no "*", not wildcard.
 */
export function subscriptionUnchanged(st: Subscription, listed: readonly string[]): boolean {
  if (listed.length === 0) return st.names.size === 0 && st.wildcard === (st.spec.wildcard && !st.namesEverSent);
  if (st.wildcard || listed.length !== st.names.size || listed.length > 64) return false;
  for (let i = 0; i < listed.length; i++) {
    const n = listed[i]!;
    if (n === "*" || !st.names.has(n)) return false;
    for (let j = 0; j < i; j++) if (listed[j] === n) return false;
  }
  return true;
}

/** The full update (every case). */
export function updateSubscriptionFull(st: Subscription, listed: string[]): void {
  const explicit = new Set(listed.filter((n) => n !== "*"));
  const wildcard = st.spec.wildcard && (listed.includes("*") || (listed.length === 0 && !st.namesEverSent));
  if (listed.length > 0) st.namesEverSent = true;
  const added: string[] = [];
  for (const n of explicit) if (!st.names.has(n)) added.push(n);
  for (const n of st.names) {
    // The client dropped n: it no longer holds it, so a later re-request sends it again (P-16).
    if (!explicit.has(n) && !wildcard) forget(st, n);
  }
  if (st.wildcard && !wildcard) for (const n of [...st.held.keys()]) if (!explicit.has(n)) forget(st, n);
  const wildcardAdded = wildcard && !st.wildcard;
  st.names = explicit;
  st.wildcard = wildcard;
  if (wildcardAdded) st.forceAll = true;
  for (const n of added) {
    st.force.add(n); // P-16: reply with newly added names even if sent before
    st.added.add(n);
  }
  if (wildcardAdded || added.length > 0) st.dirty = true;
}

function forget(st: Subscription, name: string): void {
  st.held.delete(name);
  st.heldClusters?.delete(name);
}

function sameContent(held: Map<string, string>, list: readonly EncodedResource[]): boolean {
  if (held.size !== list.length) return false;
  for (const r of list) if (held.get(r.name) !== r.hash) return false;
  return true;
}

function byName(a: EncodedResource, b: EncodedResource): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
