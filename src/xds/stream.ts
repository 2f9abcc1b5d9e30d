// What SotW and Delta streams share: binding the stream to a proxy snapshot from the first request's node,
// per-proxy status, nonces, and the push pump that honours write() backpressure. Responses are built when the
// pump runs, from the latest snapshot, so a slow client gets the newest state once it drains (latest wins, P-38).
import { X509Certificate } from "node:crypto";
import { Status as GrpcStatus } from "./grpc-frame.js";
import type { Logger } from "pino";
import type { ProxySnapshot, ResourceKind } from "../snapshot/types.js";
import type { XdsAuthenticator } from "./auth.js";
import type { SnapshotCache } from "./cache.js";
import { skewRefusal } from "./version-skew.js";
import { resolveProxy } from "../snapshot/variants.js";
import { isRejected, type RejectedRequest } from "./guard.js";
import { clip, NAME_OVERHEAD_BYTES, type XdsLimits } from "./limits.js";
import type { AdsCall } from "./grpc-transport.js";
import { labelled, type XdsMetrics } from "./metrics.js";
import { typeByUrl, type XdsResourceType } from "./resource-types.js";
import type { NodeInfo } from "./wire.js";

export type XdsApi = "sotw" | "delta";

/** The gRPC length prefix in front of every message (1 flag byte, 4 length bytes). */
const GRPC_PREFIX = 5;

/**
 * NACK log lines per stream and type: the first is written, later ones within this interval are only counted and
 * reported (with their count) by the next line after it or when the stream ends. The metric counts every NACK and
 * /debug/proxies keeps the latest in full (clipped to 16 x maxLoggedChars).
 */
export const NACK_LOG_INTERVAL_MS = 60_000;

/** Responses handed to the transport but not yet flushed, per stream: one full push (CDS, EDS, LDS, RDS) fits. */
const MAX_UNFLUSHED = 4;

export interface NackRecord {
  type: ResourceKind;
  typeUrl: string;
  /** The version the client rejected (the one we sent with that nonce). */
  version: string;
  nonce: string;
  code: number;
  message: string;
  at: string;
}

/** What `proxies()` reports for one connected stream (plain JSON). */
export interface ProxyStatus {
  streamId: number;
  api: XdsApi;
  service: string;
  node: NodeInfo;
  peer: string;
  connectedSince: string;
  /** Last version the proxy ACKed, per type. */
  acked: Partial<Record<ResourceKind, string>>;
  /** Last version sent, per type. */
  sent: Partial<Record<ResourceKind, string>>;
  /** When the last response of each type was sent (ISO time): how long a type has waited for its ACK. */
  sentAt: Partial<Record<ResourceKind, string>>;
  /** The last NACK of each type (cleared when that type is ACKed again). */
  nacked: Partial<Record<ResourceKind, NackRecord>>;
  /** Types with a response queued or sent and not yet ACKed/NACKed, in push order. */
  pending: ResourceKind[];
  nacks: number;
  lastNack?: NackRecord;
  /** The snapshot variant this proxy gets (src/snapshot/variants.ts); absent: the service's default. */
  variant?: string;
  /**
   * Authenticated ADS: the client certificate the proxy presented (its bootstrap credential): who issued it (the
   * issuer's distinguished name, as node:crypto prints it), its serial and expiry. Lets `meshc serve` tell which
   * proxies still run from bootstrap files of a root that a rotation is about to remove.
   */
  clientCertificate?: { issuer: string; serial: string; notAfter: string };
}

export interface StreamContext {
  cache: SnapshotCache;
  metrics: XdsMetrics;
  logger: Logger;
  streams: Set<LiveStream>;
  /** Every open stream, bound to a proxy or not (shutdown ends them all; the stall sweep checks them). */
  live: Set<LiveStream>;
  limits: XdsLimits;
  nextStreamId(): number;
  /** Called when a stream's status changes (bound, sent, ACK, NACK, closed): live views (SSE) follow it. */
  changed?(): void;
  /** Set when clients authenticate with certificates (./auth.ts). */
  auth?: XdsAuthenticator;
}

export interface XdsRequestBase {
  node?: NodeInfo;
  typeUrl: string;
}

/** Any stream, as the server's registry of live streams holds them. */
export interface LiveStream {
  readonly id: number;
  /** Changes whenever status() may have changed. */
  readonly statusSeq: number;
  /** With `clone` false, a shallow copy (for a caller that serializes it at once, e.g. to another process). */
  status(clone?: boolean): ProxyStatus | undefined;
  end(code: GrpcStatus, details: string, reset?: boolean): void;
  /** Closes the stream if its client stopped reading (unflushed responses, no progress for the stall timeout). */
  checkStall(now: number): void;
  /** Ends the stream if its service no longer runs as the identity it authenticated with. */
  recheckIdentity?(): void;
}

/** What every per-type stream state has: whether the client asked for the type, and whether a reply is due. */
export interface TypeStateBase {
  seen: boolean;
  dirty: boolean;
}

export abstract class XdsStream<Req extends XdsRequestBase, Res extends { typeUrl: string }, St extends TypeStateBase = TypeStateBase>
  implements LiveStream
{
  readonly id: number;
  /** Per-type state, created on the first request for the type. */
  protected readonly types = new Map<ResourceKind, St>();
  protected proxy: ProxySnapshot | undefined;
  /** The proxy's bindings for its log lines, once bound; the child logger is made from them on first use. */
  private logBindings: { stream: number; api: XdsApi; service: string; node: string } | undefined;
  private childLog: Logger | undefined;
  /** The server's logger before the stream is bound, then a child with the proxy's bindings (made when first used). */
  protected get log(): Logger {
    if (!this.logBindings) return this.ctx.logger;
    return (this.childLog ??= this.ctx.logger.child(this.logBindings));
  }
  private statusRec: ProxyStatus | undefined;
  /** When the last response of each type was sent (epoch ms); status() shows them as ISO times. */
  private readonly sentAtMs: Partial<Record<ResourceKind, number>> = {};
  /** The SPIFFE ID the client's certificate proved (authenticated ADS only). */
  private verified: string | undefined;
  private clientCertificate: ProxyStatus["clientCertificate"];
  private unwatch: (() => void) | undefined;
  private nonceCounter = 0;
  private scheduled = false;
  private outstanding = 0;
  private needDrain = false;
  private closed = false;
  /** Serialized bytes handed to the transport and not yet flushed (R8). */
  private queuedBytes = 0;
  /** When a write last completed (or the first write of an idle queue started). */
  private lastProgress = 0;
  /**
   * Called once, when the stream has answered (ACK or NACK) its first full config (clusters and listeners, nothing
   * pending) or ends: gives back its initial-sync admission slot (./admission.ts).
   */
  onInitialSync: (() => void) | undefined;
  /**
   * Set by the server before start() (./server.ts): called once, when the first request has authenticated and bound
   * the stream, to wait for an initial-sync slot (./admission.ts); it calls `grant` with the slot's release once the
   * stream may sync, or ends the stream. Until then the stream reads and applies requests but sends nothing, so a
   * stream that never sends a (valid) first request holds no slot. Unset: the stream syncs at once.
   */
  requestSlot: ((grant: (release: () => void) => void) => void) | undefined;
  /** False while the stream waits for its initial-sync slot (see requestSlot): nothing is sent meanwhile. */
  private admitted = true;
  /** Ends a stream whose first request has not come within limits.handshakeTimeoutMs (R1). */
  private firstRequestTimer: NodeJS.Timeout | undefined;

  constructor(
    protected readonly call: AdsCall<Req | RejectedRequest>,
    protected readonly ctx: StreamContext,
    readonly api: XdsApi,
  ) {
    this.id = ctx.nextStreamId();
  }

  start(): void {
    this.ctx.live.add(this);
    if (this.requestSlot) this.admitted = false;
    const waitMs = this.ctx.limits.handshakeTimeoutMs;
    if (waitMs > 0) {
      // As for the connection handshake (./listener.ts): a timer that fires late may find the first request unread,
      // so decide after this loop iteration's I/O.
      this.firstRequestTimer = setTimeout(() => setImmediate(() => this.firstRequestOverdue(waitMs)), waitMs);
      this.firstRequestTimer.unref();
    }
    this.call.on("data", (req: Req | RejectedRequest) => this.onRequest(req));
    this.call.on("end", () => {
      // The client half-closed: nothing more will come, so finish our side too.
      this.finish();
      this.call.end();
    });
    // "cancelled" is always followed at once by "close", which is enough to finish.
    this.call.on("close", () => this.finish());
    this.call.start();
  }

  /**
   * Bumped by every event that may change status() (a request, a push, an ACK/NACK, a snapshot change, the end), so
   * a reporter can skip streams whose status did not change since it last looked (src/serve/cluster/worker-main.ts).
   */
  statusSeq = 0;

  private firstRequestOverdue(waitMs: number): void {
    if (this.closed || this.statusRec) return;
    this.ctx.metrics.requestsRejected.inc({ reason: "first_request_timeout" });
    throttledWarn(this.ctx.logger, "first_request_timeout", { stream: this.id, api: this.api, peer: safePeer(this.call), timeoutMs: waitMs }, "xDS stream ended: no first request in time (further ones this second are only counted)");
    this.end(GrpcStatus.DEADLINE_EXCEEDED, `no first request within ${Math.round(waitMs / 1000)} s of opening the stream`);
  }

  /** The initial-sync slot is ours: start sending. */
  private grant(release: () => void): void {
    if (this.closed) {
      release();
      return;
    }
    this.admitted = true;
    this.onInitialSync = release;
    if (this.hasDue()) this.schedule();
  }

  /** The stream's status for `proxies()`, or undefined before the first request bound it to a proxy. */
  status(clone = true): ProxyStatus | undefined {
    if (!this.statusRec) return undefined;
    const sentAt: Partial<Record<ResourceKind, string>> = {};
    for (const k in this.sentAtMs) sentAt[k as ResourceKind] = new Date(this.sentAtMs[k as ResourceKind]!).toISOString();
    const row = { ...this.statusRec, sentAt, pending: this.pendingKinds() };
    return clone ? structuredClone(row) : row;
  }

  /**
   * Ends the stream with a gRPC status (the client sees `code: details`). With `reset`, the HTTP/2 stream is also
   * reset at once: a client that does not read would otherwise keep the status (and the queued data) waiting behind
   * its flow-control window.
   */
  end(code: GrpcStatus, details: string, reset = false): void {
    if (this.closed) return;
    this.finish();
    this.call.sendStatus(code, details);
    if (reset) this.call.reset();
  }

  checkStall(now: number): void {
    if (this.closed || this.outstanding === 0) return;
    const stuckMs = now - this.lastProgress;
    if (stuckMs < this.ctx.limits.stallTimeoutMs) return;
    this.ctx.metrics.stalledStreams.inc();
    (this.statusRec ? this.log : this.ctx.logger.child({ stream: this.id })).warn(
      { queuedBytes: this.queuedBytes, unflushed: this.outstanding, stuckMs: Math.round(stuckMs) },
      "closing xDS stream: the client stopped reading its responses",
    );
    this.end(
      GrpcStatus.RESOURCE_EXHAUSTED,
      `stream closed: ${this.queuedBytes} response bytes unread for ${Math.round(stuckMs / 1000)} s (client not reading)`,
      true,
    );
  }

  /** The response's wire bytes (the stream serializes them itself to know their size). */
  protected abstract serialize(res: Res): Buffer;
  /**
   * Optional fast path: the response's bytes behind their 5-byte gRPC prefix, in one buffer the transport writes as
   * it is (no framing copy). Must equal the prefix followed by `serialize(res)`.
   */
  protected serializeFramed?(res: Res): Buffer;

  protected abstract handle(req: Req): void;
  /** Marks the kinds that changed in the snapshot as needing a push (the response decides if anything differs). */
  /** The snapshot changed these kinds: a reply is due for each the client has asked for. */
  protected snapshotChanged(kinds: ReadonlySet<ResourceKind>): void {
    for (const kind of kinds) {
      const st = this.types.get(kind);
      if (st?.seen) st.dirty = true;
    }
  }
  /**
   * Whether `next()` may have a response to build. The default (always) is safe; a stream that knows cheaply that
   * nothing is due spares the event loop a pump (a write completing or an ACK arriving then schedules nothing).
   */
  protected hasDue(): boolean {
    return true;
  }
  /** Builds the next response in push order, or undefined when nothing is due. */
  protected abstract next(): Res | undefined;
  protected abstract pendingKinds(): ResourceKind[];

  protected get record(): ProxyStatus {
    if (!this.statusRec) throw new Error("stream not bound to a proxy");
    return this.statusRec;
  }

  private readonly unservedTypesLogged = new Set<string>();
  /** Per type: when a NACK was last logged, and the NACKs since that were not (NACK_LOG_INTERVAL_MS). */
  private readonly nackLog = new Map<ResourceKind, { at: number; unlogged: number; last: NackRecord }>();

  /**
   * The served type a request names; types we do not serve (VHDS, SRDS, RTDS, ...) stay unanswered, said once per
   * type for the first few distinct types (a client can send any number of garbage type URLs: R6).
   */
  protected servedType(typeUrl: string): XdsResourceType | undefined {
    const spec = typeByUrl(typeUrl);
    if (!spec && this.unservedTypesLogged.size < 8) {
      const shown = this.clip(typeUrl);
      if (!this.unservedTypesLogged.has(shown)) {
        this.unservedTypesLogged.add(shown);
        this.log.warn({ typeUrl: shown }, "request for an unserved type ignored");
      }
    }
    return spec;
  }

  /**
   * R6: ends the stream with RESOURCE_EXHAUSTED when `count` names of `bytes` (NAME_OVERHEAD_BYTES a name included)
   * exceed the per-type limits; `what` says which (subscribed names, initial_resource_versions).
   */
  protected namesOverLimit(spec: XdsResourceType, what: string, count: number, bytes: number): boolean {
    const { maxSubscribedNames: maxNames, maxSubscribedNameBytes: maxBytes } = this.ctx.limits;
    if (count <= maxNames && bytes <= maxBytes) return false;
    this.ctx.metrics.requestsRejected.inc({ reason: "too_many_names" });
    this.log.warn({ type: spec.kind, what, names: count, bytes, maxNames, maxBytes }, "xDS stream ended: resource names over the limit");
    this.end(
      GrpcStatus.RESOURCE_EXHAUSTED,
      `${what}: ${count} ${spec.short} names, ${bytes} bytes (${NAME_OVERHEAD_BYTES} a name counted besides its characters); this server keeps at most ${maxNames} names and ${maxBytes} bytes per type and stream`,
    );
    return true;
  }

  /** Name bytes this stream holds, charged to its connection (chargeNames). */
  private chargedNameBytes = 0;

  /**
   * R6: this stream now holds `delta` more (or fewer) name bytes; with its connection's other streams over
   * limits.maxNameBytesPerConnection, the stream ends with RESOURCE_EXHAUSTED (false). Given back when it ends.
   */
  protected chargeNames(spec: XdsResourceType, delta: number): boolean {
    if (delta === 0) return true;
    const conn = connectionNames(this.call);
    this.chargedNameBytes += delta;
    conn.bytes += delta;
    const max = this.ctx.limits.maxNameBytesPerConnection;
    if (delta < 0 || conn.bytes <= max) return true;
    this.ctx.metrics.requestsRejected.inc({ reason: "too_many_names" });
    this.log.warn({ type: spec.kind, connectionBytes: conn.bytes, max }, "xDS stream ended: its connection's streams hold resource names over the limit");
    this.end(
      GrpcStatus.RESOURCE_EXHAUSTED,
      `the streams of this connection hold ${conn.bytes} bytes of resource names (${NAME_OVERHEAD_BYTES} a name counted besides its characters); this server keeps at most ${max} per connection`,
    );
    return false;
  }

  /** A client-supplied string as logs, statuses and /debug/proxies may show it. */
  protected clip(s: string | undefined): string {
    return clip(s, this.ctx.limits.maxLoggedChars);
  }

  protected nextNonce(): string {
    return String(++this.nonceCounter);
  }

  protected schedule(): void {
    if (this.scheduled || this.closed || !this.admitted) return;
    this.scheduled = true;
    setImmediate(() => this.pump());
  }

  protected recordAck(kind: ResourceKind, version: string, sentAt: number): void {
    this.record.acked[kind] = version;
    delete this.record.nacked[kind];
    this.statusSeq++;
    this.ctx.changed?.();
    labelled(this.ctx.metrics.pushAck, kind).observe((performance.now() - sentAt) / 1000);
  }

  protected recordNack(nack: NackRecord): void {
    nack = { ...nack, nonce: this.clip(nack.nonce), message: clip(nack.message, 16 * this.ctx.limits.maxLoggedChars) };
    this.record.nacks++;
    this.record.lastNack = nack;
    this.record.nacked[nack.type] = nack;
    this.statusSeq++;
    this.ctx.changed?.();
    this.ctx.metrics.nacks.inc({ type: nack.type });
    this.ctx.metrics.nacksByService.inc({ service: this.record.service, type: nack.type });
    // A client can NACK every response: at most one line per type and interval, with a short prefix of its message.
    const now = performance.now();
    const seen = this.nackLog.get(nack.type);
    if (seen && now - seen.at < NACK_LOG_INTERVAL_MS) {
      seen.unlogged++;
      seen.last = nack;
      return;
    }
    this.nackLog.set(nack.type, { at: now, unlogged: 0, last: nack });
    this.logNack(nack, seen?.unlogged ?? 0);
  }

  private logNack(nack: NackRecord, unlogged: number): void {
    this.log.warn(
      {
        type: nack.type,
        version: nack.version,
        nonce: nack.nonce,
        code: nack.code,
        error: clip(nack.message, this.ctx.limits.maxLoggedChars),
        ...(unlogged > 0 && { nacksNotLogged: unlogged }),
      },
      unlogged > 0
        ? `proxy rejected config (NACK); not resending that version (${unlogged} more NACKs of this type since the last line were only counted)`
        : "proxy rejected config (NACK); not resending that version",
    );
  }

  protected recordSent(kind: ResourceKind, version: string): void {
    this.record.sent[kind] = version;
    this.sentAtMs[kind] = Date.now(); // as an ISO time only when someone reads status()
    this.statusSeq++;
    this.ctx.changed?.();
    labelled(this.ctx.metrics.pushes, kind).inc();
  }

  private onRequest(req: Req | RejectedRequest): void {
    if (this.closed) return;
    this.statusSeq++;
    try {
      if (isRejected(req)) {
        const { code, details, reason } = req.rejected;
        this.ctx.metrics.requestsRejected.inc({ reason });
        (this.statusRec ? this.log : this.ctx.logger).warn({ stream: this.id, peer: safePeer(this.call), reason, error: details }, "xDS request rejected; ending the stream");
        this.end(code, details);
        return;
      }
      if (!this.statusRec) {
        if (!this.bind(req.node)) return;
        // Authenticated and bound: only now may the stream take an initial-sync slot (R1).
        this.requestSlot?.((release) => this.grant(release));
        if (this.closed) return;
      }
      if (!req.typeUrl) {
        this.end(GrpcStatus.INVALID_ARGUMENT, "type_url is required on an aggregated (ADS) stream");
        return;
      }
      this.handle(req);
      if (this.hasDue()) this.schedule();
      if (this.onInitialSync) this.checkInitialSync();
    } catch (e) {
      this.log.error({ err: e }, "xDS request handling failed");
      this.end(GrpcStatus.INTERNAL, `internal error: ${(e as Error).message}`);
    }
  }

  /** First request: key the stream on node (P-05/P-06): node.cluster = service, node.id = instance. */
  private bind(full: NodeInfo | undefined): boolean {
    const { cache, logger } = this.ctx;
    const peer = safePeer(this.call);
    // What logs, statuses and /debug/proxies show of the node: every client string clipped (R6).
    const node = full && this.clipNode(full);
    if (!node?.id) {
      logger.warn({ stream: this.id, peer }, "xDS stream refused: first request has no node.id");
      this.end(GrpcStatus.INVALID_ARGUMENT, "the first request must carry node.id (the proxy instance)");
      return false;
    }
    if (!node.cluster) {
      logger.warn({ stream: this.id, peer, node: node.id }, "xDS stream refused: node.cluster (service name) is empty");
      this.end(GrpcStatus.INVALID_ARGUMENT, `node.cluster must name the proxy's service (node.id "${node.id}")`);
      return false;
    }
    // Authentication before anything that tells the client about the mesh (which services exist).
    if (this.ctx.auth && !this.authenticate(full!.cluster, node, peer)) return false;
    if (!cache.ready) {
      logger.warn({ stream: this.id, peer, node: node.id, service: node.cluster }, "xDS stream refused: no snapshot loaded yet");
      this.end(GrpcStatus.UNAVAILABLE, "no mesh snapshot loaded yet; retry later");
      return false;
    }
    const proxy = cache.get(full!.cluster);
    if (!proxy) {
      logger.warn({ stream: this.id, peer, node: node.id, service: node.cluster }, "xDS stream refused: unknown service");
      this.end(GrpcStatus.NOT_FOUND, `unknown service "${node.cluster}" (node.cluster): not in the current mesh snapshot`);
      return false;
    }
    // Its own instance's or locality's variant of the service's snapshot (issue 13), else the default.
    const resolved = resolveProxy(proxy, { id: full!.id, locality: full!.locality });
    if (this.refuseSkew(resolved.proxy, node, peer)) return false;
    this.proxy = resolved.proxy;
    clearTimeout(this.firstRequestTimer);
    if (resolved.fallback) {
      this.ctx.metrics.localityFallbacks.inc({ service: node.cluster });
      logger.warn(
        { stream: this.id, peer, node: node.id, service: node.cluster, locality: node.locality ?? null },
        "proxy's node.locality is none its service declares: serving the service's default snapshot (EDS priorities as the failover list is written)",
      );
    }
    this.statusRec = {
      streamId: this.id,
      api: this.api,
      service: full!.cluster,
      node,
      peer,
      connectedSince: new Date().toISOString(),
      acked: {},
      sent: {},
      sentAt: {},
      nacked: {},
      pending: [],
      nacks: 0,
      ...(resolved.variant !== undefined && { variant: resolved.variant }),
      ...(this.clientCertificate && { clientCertificate: this.clientCertificate }),
    };
    this.logBindings = { stream: this.id, api: this.api, service: node.cluster, node: node.id };
    this.unwatch = cache.watch(full!.cluster, (p, kinds) => this.onSnapshot(p, kinds));
    this.ctx.streams.add(this);
    labelled(this.ctx.metrics.connected, this.api).inc();
    this.ctx.changed?.();
    // The same line the child logger would write (its bindings first), without making a child for every stream: most
    // streams never log again until they disconnect.
    const { logger: xlog } = this.ctx;
    if (xlog.isLevelEnabled("info")) xlog.info({ ...this.logBindings, peer, userAgent: `${node.userAgentName} ${node.userAgentVersion}`.trim() }, "proxy connected");
    return true;
  }

  /** R9/R10: the verified identity must be the one the claimed service runs as; refusals are logged and counted. */
  private authenticate(service: string, node: NodeInfo, peer: string): boolean {
    const auth = this.ctx.auth!;
    let peerAuth;
    try {
      peerAuth = this.call.getAuthContext();
    } catch {
      peerAuth = {};
    }
    const d = auth.check(peerAuth, service, node.cluster);
    if (d.ok) {
      this.verified = d.verified;
      this.clientCertificate = clientCertificateOf(peerAuth.sslPeerCertificate?.raw);
      return true;
    }
    auth.denied.inc({ reason: d.reason, api: this.api });
    this.ctx.logger.warn(
      { stream: this.id, api: this.api, peer, node: node.id, claimedService: node.cluster, claimedIdentity: d.expected ?? null, verifiedIdentity: d.verified ?? null, reason: d.reason },
      "xDS stream refused: client identity does not match the service it asks for",
    );
    this.end(d.code, d.details);
    return false;
  }

  /** R15: a proxy too old for its service's authorization filters gets none of its configuration. */
  private refuseSkew(proxy: ProxySnapshot, node: NodeInfo, peer: string): boolean {
    const why = skewRefusal(proxy, node.userAgentName, node.userAgentVersion);
    if (!why) return false;
    this.ctx.metrics.streamsRefused.inc({ reason: "version_skew" });
    this.ctx.logger.warn({ stream: this.id, api: this.api, peer, node: node.id, service: node.cluster, userAgent: `${node.userAgentName} ${node.userAgentVersion}` }, `xDS stream refused: ${why}`);
    this.end(GrpcStatus.FAILED_PRECONDITION, why);
    return true;
  }

  recheckIdentity(): void {
    if (!this.ctx.auth || this.closed || !this.statusRec) return;
    const expected = this.ctx.auth.identityOf(this.statusRec.service);
    if (expected === this.verified) return;
    this.ctx.auth.denied.inc({ reason: expected === undefined ? "unknown_service_identity" : "identity_mismatch", api: this.api });
    this.log.warn({ claimedService: this.statusRec.service, claimedIdentity: expected ?? null, verifiedIdentity: this.verified ?? null }, "ending xDS stream: its service now runs as another identity");
    this.end(GrpcStatus.PERMISSION_DENIED, `service "${this.statusRec.service}" no longer runs as ${this.verified}`);
  }

  private clipNode(n: NodeInfo): NodeInfo {
    const out: NodeInfo = {
      id: this.clip(n.id),
      cluster: this.clip(n.cluster),
      userAgentName: this.clip(n.userAgentName),
      userAgentVersion: this.clip(n.userAgentVersion),
      clientFeatures: n.clientFeatures.slice(0, 32).map((f) => this.clip(f)),
    };
    if (n.locality) out.locality = { region: this.clip(n.locality.region), zone: this.clip(n.locality.zone), sub_zone: this.clip(n.locality.sub_zone) };
    return out;
  }

  private onSnapshot(proxy: ProxySnapshot | undefined, kinds: ReadonlySet<ResourceKind>): void {
    this.statusSeq++;
    if (!proxy) {
      this.log.warn("service left the mesh; ending its xDS stream (the proxy keeps its last config)");
      this.end(GrpcStatus.NOT_FOUND, `service "${this.record.service}" is no longer in the mesh snapshot`);
      return;
    }
    const node = this.record.node;
    const resolved = resolveProxy(proxy, { id: node.id, locality: node.locality });
    if (this.refuseSkew(resolved.proxy, node, this.record.peer)) return;
    const before = this.proxy;
    this.proxy = resolved.proxy;
    if (resolved.variant !== undefined) this.record.variant = resolved.variant;
    else delete this.record.variant;
    if (kinds.size === 0) return;
    // The service changed somewhere; what changed for this proxy is its own (variant's) versions.
    const mine = new Set([...kinds].filter((k) => (before?.versions[k] ?? "") !== (resolved.proxy.versions[k] ?? "")));
    if (mine.size === 0) return;
    this.snapshotChanged(mine);
    this.schedule();
  }

  private pump(): void {
    this.scheduled = false;
    this.statusSeq++;
    if (this.closed || !this.admitted || this.blocked()) return;
    try {
      for (;;) {
        if (this.blocked()) return; // resumed by a write callback or 'drain'; changes meanwhile are coalesced
        const res = this.next();
        if (res === undefined) return;
        const framed = this.serializeFramed?.(res);
        const bytes = framed ?? this.serialize(res);
        const size = framed ? framed.length - GRPC_PREFIX : bytes.length;
        if (size > this.ctx.limits.clientMaxMessageBytes) this.reportOversized(res.typeUrl, size);
        if (this.outstanding === 0) this.lastProgress = performance.now();
        this.outstanding++;
        this.queuedBytes += size;
        const done = () => {
          this.outstanding--;
          this.queuedBytes -= size;
          this.lastProgress = performance.now();
          this.resume();
        };
        const ok = framed ? this.call.writeFramed(framed, done) : this.call.write(bytes, done);
        if (!ok) {
          this.needDrain = true;
          this.call.once("drain", () => {
            this.needDrain = false;
            this.resume();
          });
        }
      }
    } catch (e) {
      this.log.error({ err: e }, "xDS push failed");
      this.end(GrpcStatus.INTERNAL, `internal error: ${(e as Error).message}`);
    }
  }

  /**
   * Backpressure (P-38): stop building responses while the transport reports a full buffer (write() false until
   * 'drain') or while MAX_UNFLUSHED responses are not yet flushed to the connection (HTTP/2 flow control of a
   * slow reader). A response is built from the latest snapshot only when it can go out: latest wins.
   */
  private blocked(): boolean {
    return this.needDrain || this.outstanding >= MAX_UNFLUSHED || (this.outstanding > 0 && this.queuedBytes >= this.ctx.limits.maxQueuedBytes);
  }

  /** R7: a response over the clients' receive limit is sent (Envoy may accept it) but never silently. */
  private reportOversized(typeUrl: string, size: number): void {
    const kind = typeByUrl(typeUrl)?.kind ?? "unknown";
    this.ctx.metrics.oversizedResponses.inc({ type: kind });
    this.log.warn(
      { type: kind, bytes: size, limit: this.ctx.limits.clientMaxMessageBytes },
      `xDS response of ${size} bytes exceeds the clients' receive limit (${this.ctx.limits.clientMaxMessageBytes}); a gRPC client with default settings rejects it`,
    );
  }

  private resume(): void {
    if (!this.closed && !this.blocked() && this.hasDue()) this.schedule();
  }

  /** The first full config is answered: clusters and listeners ACKed or NACKed, and no response pending. */
  private checkInitialSync(): void {
    const r = this.statusRec;
    if (!r) return;
    if (r.acked.cluster === undefined && r.nacked.cluster === undefined) return;
    if (r.acked.listener === undefined && r.nacked.listener === undefined) return;
    if (this.pendingKinds().length > 0) return;
    const done = this.onInitialSync!;
    this.onInitialSync = undefined;
    done();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.firstRequestTimer);
    if (this.chargedNameBytes !== 0) {
      connectionNames(this.call).bytes -= this.chargedNameBytes;
      this.chargedNameBytes = 0;
    }
    if (this.onInitialSync) {
      const done = this.onInitialSync;
      this.onInitialSync = undefined;
      done();
    }
    this.ctx.live.delete(this);
    this.unwatch?.();
    // NACKs counted but not logged yet: one closing line per type, with the latest.
    for (const s of this.nackLog.values()) if (s.unlogged > 0) this.logNack(s.last, s.unlogged);
    if (this.statusRec) {
      this.ctx.streams.delete(this);
      labelled(this.ctx.metrics.connected, this.api).dec();
      this.ctx.changed?.();
      this.log.info("proxy disconnected");
    }
  }
}

/** Name bytes held per connection (AdsCall.connection; a call without one counts as its own connection). */
const namesByConnection = new WeakMap<object, { bytes: number }>();

function connectionNames(call: object): { bytes: number } {
  const key = (call as { connection?: object }).connection ?? call;
  let n = namesByConnection.get(key);
  if (!n) namesByConnection.set(key, (n = { bytes: 0 }));
  return n;
}

const lastWarned = new Map<string, number>();

/** A warning a flood of clients could repeat: written at most once a second per key (the metric counts them all). */
export function throttledWarn(logger: Logger, key: string, fields: Record<string, unknown>, msg: string): void {
  const now = performance.now();
  if ((lastWarned.get(key) ?? -Infinity) > now - 1000) return;
  lastWarned.set(key, now);
  logger.warn(fields, msg);
}

function safePeer(call: { getPeer(): string }): string {
  try {
    return call.getPeer();
  } catch {
    return "unknown";
  }
}

/** What ProxyStatus shows of a verified client certificate (DER), or undefined. */
function clientCertificateOf(der: Buffer | undefined): ProxyStatus["clientCertificate"] {
  if (!der) return undefined;
  try {
    const c = new X509Certificate(der);
    return { issuer: c.issuer, serial: c.serialNumber, notAfter: new Date(c.validTo).toISOString() };
  } catch {
    return undefined;
  }
}
