// Incremental ADS stream (DeltaAggregatedResources): per type, the subscription (wildcard and/or names) and the
// version of each resource the client holds (its EncodedResource.hash). Responses carry only what differs, plus
// removed_resources for what the client holds or asked for and does not exist.
import type { EncodedResource, ResourceKind } from "../snapshot/types.js";
import { resourceIndex } from "./cache.js";
import { NAME_OVERHEAD_BYTES } from "./limits.js";
import { XDS_TYPES, type XdsResourceType } from "./resource-types.js";
import { XdsStream } from "./stream.js";
import { serializeDeltaResponse, type DeltaRequest, type DeltaResponseOut } from "./wire.js";

const MAX_INFLIGHT = 32;

/** In TypeState.nacked: the client rejected a response that reported the name absent (removed_resources). */
const ABSENT = "\0absent";

interface TypeState {
  spec: XdsResourceType;
  seen: boolean;
  wildcard: boolean;
  names: Set<string>;
  /**
   * Bytes of the names in `names`, NAME_OVERHEAD_BYTES a name included; with their count bounded by
   * limits.maxSubscribedNameBytes and limits.maxSubscribedNames (R6). `reportedMissing` and `force` hold only names
   * of `names`, so they are bounded with it; `held` beyond the subscription comes from the server's responses or
   * the initial_resource_versions, which are bounded by the same limits.
   */
  nameBytes: number;
  /** name -> version (hash) the client holds, from our responses or its initial_resource_versions (P-22). */
  held: Map<string, string>;
  /** Subscribed names already reported as absent (P-23), so the report is not repeated. */
  reportedMissing: Set<string>;
  /** Unacknowledged responses by nonce (a Delta nonce only pairs ACK/NACK with a response, P-14). */
  inflight: Map<string, { version: string; sentAt: number; resources: readonly EncodedResource[]; removed: readonly string[] }>;
  /**
   * P-11: name -> the content (hash, or ABSENT) of it that the client NACKed on this stream. That content is not
   * sent again, even when the name is re-listed (P-21): it would only be rejected again (a client re-subscribing
   * after every NACK made the server answer and the client NACK in a loop). Entries go when the name's content
   * changes or it is unsubscribed; they only hold names the server sent, so they are bounded with them.
   */
  nacked: Map<string, string>;
  dirty: boolean;
  /** First request for the type: answer even with nothing to say. */
  respondEmpty: boolean;
  /** Names to send even if the client holds them: re-subscribed (P-21), warming (P-29). */
  force: Set<string>;
  /** Names to report in removed_resources even if not held (P-21 unsubscribe under wildcard). */
  forceRemoved: Set<string>;
}

export class DeltaStream extends XdsStream<DeltaRequest, DeltaResponseOut, TypeState> {
  protected serialize(res: DeltaResponseOut): Buffer {
    return serializeDeltaResponse(res);
  }

  protected handle(req: DeltaRequest): void {
    const spec = this.servedType(req.typeUrl);
    if (!spec) return;
    const st = this.state(spec);
    this.ackOrNack(st, req);
    /** Name bytes this request adds (subscriptions, initial versions) less those it frees: charged to the connection. */
    let charged = -st.nameBytes;

    if (!st.seen) {
      st.seen = true;
      st.respondEmpty = true;
      st.dirty = true;
      // Legacy wildcard: a first request naming nothing subscribes to everything (LDS/CDS only, P-17).
      if (spec.wildcard && req.subscribe.length === 0) st.wildcard = true;
      // P-22: what the client already holds (reconnect); matching versions are not sent again.
      const initial = Object.entries(req.initialResourceVersions);
      let bytes = 0;
      for (const [name, version] of initial) bytes += name.length + version.length + NAME_OVERHEAD_BYTES;
      if (this.namesOverLimit(spec, "initial_resource_versions", initial.length, bytes)) return;
      charged += bytes;
      for (const [name, version] of initial) if (name !== "*") st.held.set(name, version);
    }

    // P-14: subscription changes apply whatever the nonce.
    for (const n of req.subscribe) {
      if (n === "*") {
        if (spec.wildcard && !st.wildcard) {
          st.wildcard = true;
          st.dirty = true;
        }
      } else if (st.names.has(n)) {
        st.force.add(n); // P-21: a re-listed name is sent again
        st.reportedMissing.delete(n);
        st.dirty = true;
      } else {
        st.names.add(n);
        st.nameBytes += n.length + NAME_OVERHEAD_BYTES;
        st.reportedMissing.delete(n);
        st.dirty = true;
        // Subscriptions accumulate across requests: without a bound one stream could hold any amount of names.
        // Checked as they are added, so one request cannot grow the sets far past the limit first.
        if (this.namesOverLimit(spec, "subscribed names", st.names.size, st.nameBytes)) return;
      }
    }
    for (const n of req.unsubscribe) {
      if (n === "*") {
        if (st.wildcard) {
          st.wildcard = false;
          for (const held of [...st.held.keys()]) if (!st.names.has(held)) st.held.delete(held);
        }
      } else if (st.names.has(n)) {
        st.names.delete(n);
        st.nameBytes -= n.length + NAME_OVERHEAD_BYTES;
        st.reportedMissing.delete(n);
        st.nacked.delete(n);
        if (st.wildcard) {
          // P-21: still wanted through "*": send it again, or say it is gone.
          st.force.add(n);
          st.forceRemoved.add(n);
          st.dirty = true;
        } else {
          st.held.delete(n); // unsubscribe-only: no reply
        }
      }
      // else: a phantom unsubscribe, ignored (P-21)
    }
    this.chargeNames(spec, charged + st.nameBytes);
  }

  private ackOrNack(st: TypeState, req: DeltaRequest): void {
    if (!req.responseNonce) return;
    const sent = st.inflight.get(req.responseNonce);
    if (!sent) {
      this.log.debug({ type: st.spec.kind, nonce: this.clip(req.responseNonce) }, "stale or unknown nonce: not an ACK/NACK");
      return;
    }
    st.inflight.delete(req.responseNonce);
    if (req.errorDetail) {
      // P-10/P-11: recorded; the rejected resources stay marked as held, so they are not resent until they change,
      // and remembered as rejected, so re-listing them does not resend them either.
      for (const r of sent.resources) st.nacked.set(r.name, r.hash);
      for (const n of sent.removed) st.nacked.set(n, ABSENT);
      this.recordNack({
        type: st.spec.kind,
        typeUrl: st.spec.typeUrl,
        version: sent.version,
        nonce: req.responseNonce,
        code: req.errorDetail.code,
        message: req.errorDetail.message,
        at: new Date().toISOString(),
      });
    } else {
      this.recordAck(st.spec.kind, sent.version, sent.sentAt);
    }
  }

  protected next(): DeltaResponseOut | undefined {
    for (const spec of XDS_TYPES) {
      const st = this.types.get(spec.kind);
      if (!st?.dirty) continue;
      const res = this.build(st);
      if (res) return res;
    }
    return undefined;
  }

  protected override hasDue(): boolean {
    for (const st of this.types.values()) if (st.dirty) return true;
    return false;
  }

  protected pendingKinds(): ResourceKind[] {
    return XDS_TYPES.filter((t) => {
      const st = this.types.get(t.kind);
      return st && (st.dirty || st.inflight.size > 0);
    }).map((t) => t.kind);
  }

  private state(spec: XdsResourceType): TypeState {
    let st = this.types.get(spec.kind);
    if (!st) {
      st = {
        spec,
        seen: false,
        wildcard: false,
        names: new Set(),
        nameBytes: 0,
        held: new Map(),
        reportedMissing: new Set(),
        inflight: new Map(),
        nacked: new Map(),
        dirty: false,
        respondEmpty: false,
        force: new Set(),
        forceRemoved: new Set(),
      };
      this.types.set(spec.kind, st);
    }
    return st;
  }

  private build(st: TypeState): DeltaResponseOut | undefined {
    const { spec } = st;
    const proxy = this.proxy!;
    const { force, forceRemoved, respondEmpty } = st;
    st.dirty = false;
    st.respondEmpty = false;
    st.force = new Set();
    st.forceRemoved = new Set();

    const idx = resourceIndex(proxy, spec.kind);
    const send: EncodedResource[] = [];
    const removed = new Set<string>();
    const consider = (r: EncodedResource) => {
      const rejected = st.nacked.get(r.name);
      if (rejected !== undefined) {
        if (rejected === r.hash) return; // P-11: the client rejected exactly this
        st.nacked.delete(r.name); // changed since
      }
      if (force.has(r.name) || st.held.get(r.name) !== r.hash) send.push(r);
    };
    /** A removal the client has not rejected before (P-11). */
    const remove = (n: string) => {
      if (st.nacked.get(n) !== ABSENT) removed.add(n);
    };
    if (st.wildcard) for (const r of proxy.resources[spec.kind]) consider(r);
    for (const n of st.names) {
      const r = idx.get(n);
      if (r) {
        if (!st.wildcard) consider(r);
      } else if (!st.held.has(n) && !st.reportedMissing.has(n)) {
        remove(n); // P-23: subscribed but does not exist
        st.reportedMissing.add(n);
      }
    }
    for (const n of st.held.keys()) if (!idx.has(n) && (st.wildcard || st.names.has(n))) remove(n);
    for (const n of forceRemoved) if (!idx.has(n)) remove(n);
    if (send.length === 0 && removed.size === 0 && !respondEmpty) return undefined; // P-37

    send.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.warm(st, send);
    for (const r of send) st.held.set(r.name, r.hash);
    for (const n of removed) st.held.delete(n);

    const version = proxy.versions[spec.kind];
    const nonce = this.nextNonce();
    const removedList = [...removed].sort();
    st.inflight.set(nonce, { version, sentAt: performance.now(), resources: send, removed: removedList });
    if (st.inflight.size > MAX_INFLIGHT) st.inflight.delete(st.inflight.keys().next().value!);
    this.recordSent(spec.kind, version);
    return { systemVersionInfo: version, typeUrl: spec.typeUrl, nonce, resources: send, removed: removedList };
  }

  /** P-29: a Cluster whose content the client did not hold warms until its ClusterLoadAssignment arrives. */
  private warm(st: TypeState, send: readonly EncodedResource[]): void {
    const warms = st.spec.warms;
    if (!warms) return;
    const target = this.types.get(warms.kind);
    if (!target?.seen) return;
    for (const r of send) {
      if (st.held.get(r.name) === r.hash) continue;
      for (const n of warms.names(r)) {
        if (!target.wildcard && !target.names.has(n)) continue;
        target.force.add(n);
        target.dirty = true;
      }
    }
  }
}
