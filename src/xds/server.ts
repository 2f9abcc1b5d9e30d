// The xDS server: gRPC ADS (SotW and Delta) over the snapshot cache. It knows snapshots and the xDS protocol, not
// the DSL: whoever compiles a mesh calls `setSnapshot`. Admin HTTP, file watching and the compile loop live elsewhere.
//
// Hardening (R1, R6, R7, R8, R20): the listening socket is meshc's own (./listener.ts: connection cap, handshake
// timeout; ./grpc-transport.ts: HTTP/2 and gRPC framing without grpc-js), new streams are admitted with a bound
// on how many are in their initial sync (./admission.ts), requests are checked before decoding (./guard.ts), streams cap what they
// queue and close when their reader is stuck (./stream.ts), and close() is bounded by its grace period.
import { pino, type Logger } from "pino";
import { Registry } from "prom-client";
import type { MeshSnapshot } from "../snapshot/types.js";
import { XdsAuthenticator, type PeerAuth, type XdsAuthOptions } from "./auth.js";
import { SnapshotCache, type SnapshotChange } from "./cache.js";
import { DeltaStream } from "./delta.js";
import { requestDecoders, type RejectedRequest } from "./guard.js";
import { Status as GrpcStatus } from "./grpc-frame.js";
import { GrpcTransport, type AdsCall, type GrpcMethod } from "./grpc-transport.js";
import { StreamAdmission, SyncSlots, type RefusalReason } from "./admission.js";
import { resolveLimits, type XdsLimits } from "./limits.js";
import { ConnectionGate } from "./listener.js";
import { createXdsMetrics, labelled } from "./metrics.js";
import { prewarm } from "./prewarm.js";
import { SotwStream } from "./sotw.js";
import { throttledWarn, type LiveStream, type ProxyStatus, type StreamContext } from "./stream.js";
import { adsService, type DeltaRequest, type SotwRequest } from "./wire.js";

export const DEFAULT_XDS_ADDRESS = "127.0.0.1:18000";

export interface XdsServerOptions {
  /** host:port; port 0 picks a free one. Default 127.0.0.1:18000. */
  address?: string;
  logger?: Logger;
  /** Where the xds_* metrics are registered (the admin endpoint serves it). Default: a private Registry. */
  registry?: Registry;
  /** Snapshot to serve from the start; without one, proxies are refused with UNAVAILABLE until `setSnapshot`. */
  snapshot?: MeshSnapshot;
  /** Bounds on what clients control; anything left out takes its default (DEFAULT_LIMITS in ./limits.ts). */
  limits?: Partial<XdsLimits>;
  /** Authenticated ADS over TLS (./auth.ts); without it the server speaks plaintext and trusts node.cluster. */
  auth?: XdsAuthOptions;
}

export interface XdsServer {
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** host:port actually bound. */
  readonly address: string;
  /** Publishes a new mesh atomically; pushes only to proxies whose resources changed, only the changed types. */
  setSnapshot(mesh: MeshSnapshot): SnapshotChange;
  /**
   * Which identity (SPIFFE ID) each service runs as; with `auth`, a stream may bind only to a service of its verified
   * identity. Streams bound under an older map that no longer hold are ended.
   */
  setIdentities(identities: ReadonlyMap<string, string>): void;
  /** Whether clients authenticate (TLS with client certificates). */
  readonly authenticated: boolean;
  /** The snapshot being served, if any. */
  snapshot(): MeshSnapshot | undefined;
  /** Every connected proxy stream, sorted by service, node id, stream id. */
  proxies(): ProxyStatus[];
  /**
   * The status rows that may have changed since the caller last asked, and the streams that ended: `seen` (stream id
   * -> the stream's statusSeq when last reported) is the caller's memory and is updated. Rows are fresh objects
   * (shallow), in no order. Only the in-process server has it (an xDS worker reports its streams with it).
   */
  statusChanges?(seen: Map<number, number>): { upsert: ProxyStatus[]; removed: number[] };
  /** Open TCP connections on the xDS port. */
  connections(): number;
  /**
   * Calls `listener` (at most once per event-loop turn) after the snapshot or any proxy's status changed; returns
   * the unsubscribe function. For live views (the admin dashboard's Server-Sent Events).
   */
  onChange(listener: () => void): () => void;
  /**
   * Bounded graceful shutdown: stops accepting, sends GOAWAY, ends every stream with UNAVAILABLE, waits for
   * connections to close for at most `graceMs` (default 5000), then closes whatever is left.
   */
  close(graceMs?: number): Promise<void>;
}

export async function startXdsServer(options: XdsServerOptions = {}): Promise<XdsServer> {
  const address = options.address ?? DEFAULT_XDS_ADDRESS;
  const logger = (options.logger ?? pino({ name: "meshc" })).child({ component: "xds" });
  const registry = options.registry ?? new Registry();
  const cache = new SnapshotCache();
  /** Stops the idle-time preparation of the previous snapshot (./prewarm.ts). */
  let stopPrewarm = () => {};
  if (options.snapshot) {
    cache.setSnapshot(options.snapshot);
    stopPrewarm = prewarm(options.snapshot);
  }
  const limits = resolveLimits(options.limits);
  const streams = new Set<LiveStream>();
  const live = new Set<LiveStream>();
  let streamIds = 0;
  const metrics = createXdsMetrics(registry);
  const listeners = new Set<() => void>();
  let notifyQueued = false;
  const changed = () => {
    if (notifyQueued || listeners.size === 0) return;
    notifyQueued = true;
    setImmediate(() => {
      notifyQueued = false;
      for (const l of [...listeners]) l();
    });
  };
  const auth = options.auth ? new XdsAuthenticator(options.auth, registry) : undefined;
  const ctx: StreamContext = { cache, metrics, logger, streams, live, limits, nextStreamId: () => ++streamIds, changed, ...(auth ? { auth } : {}) };
  let closing = false;
  const admission = new StreamAdmission(limits.streamsPerSecond, limits.streamBurst);
  const syncSlots = new SyncSlots(
    limits.maxSyncingStreams,
    limits.maxSyncQueue,
    limits.syncSlotTimeoutMs,
    (syncing, waiting) => {
      // Twice per admitted stream: label children made once (./metrics.ts labelled).
      labelled(metrics.admission, "syncing").set(syncing);
      labelled(metrics.admission, "waiting").set(waiting);
    },
    limits.maxSyncingPerConnection,
  );

  /** Ends a new stream with UNAVAILABLE (clients retry with backoff): shutting down, or over the rate with the admission queue full. */
  const refuse = (call: AdsCall<unknown>, reason: "shutting_down" | RefusalReason) => {
    metrics.streamsRefused.inc({ reason });
    const details = reason === "shutting_down" ? "xDS server shutting down" : "too many new xDS streams right now; retry with backoff";
    call.sendStatus(GrpcStatus.UNAVAILABLE, details);
  };
  /**
   * New streams: with authenticated ADS, the connection's TLS peer is checked first (a verified client certificate
   * with one SPIFFE ID), before anything is admitted or read: an anonymous connection's streams are refused at their
   * HEADERS (R1, R9). Then the optional rate limiter; then the stream starts reading, and only once its first
   * request has authenticated and bound it (node, identity, service) does it wait for an initial-sync slot, which
   * it gives back once it has ACKed its first full config or ends (./admission.ts). A stream whose first request
   * does not come within the handshake timeout is ended (./stream.ts), so silent streams hold no slot and not for long.
   */
  const admit = (call: AdsCall<unknown>, api: "sotw" | "delta", make: () => SotwStream | DeltaStream) => {
    if (closing) return refuse(call, "shutting_down");
    if (auth && !peerAuthorized(call, api)) return;
    const start = () => {
      if (closing) return refuse(call, "shutting_down");
      const stream = make();
      stream.requestSlot = (grant) => {
        const ok = syncSlots.admit(call, (release) => {
          if (closing) {
            release();
            refuseStream(stream, "shutting_down");
            return;
          }
          grant(release);
        }, call.connection);
        if (!ok) refuseStream(stream, closing ? "shutting_down" : "sync_limit");
      };
      stream.start();
    };
    if (!admission.admit(call, start)) refuse(call, "rate_limit");
  };
  /** A started stream refused a slot: ended through the stream (its bookkeeping), counted as `refuse` counts. */
  const refuseStream = (stream: SotwStream | DeltaStream, reason: "shutting_down" | RefusalReason) => {
    metrics.streamsRefused.inc({ reason });
    stream.end(GrpcStatus.UNAVAILABLE, reason === "shutting_down" ? "xDS server shutting down" : "too many new xDS streams right now; retry with backoff");
  };
  /** Authenticated ADS: the TLS peer must have proved an identity before its stream costs anything (R1, R9). */
  const peerAuthorized = (call: AdsCall<unknown>, api: "sotw" | "delta"): boolean => {
    let peer: PeerAuth;
    try {
      peer = call.getAuthContext();
    } catch {
      peer = {};
    }
    const d = auth!.checkPeer(peer);
    if (d.ok) return true;
    auth!.denied.inc({ reason: d.reason, api });
    throttledWarn(logger, `auth:${d.reason}`, { api, peer: call.getPeer(), reason: d.reason }, "xDS stream refused: the connection has no verified client certificate with one SPIFFE ID (further ones this second are only counted)");
    call.sendStatus(d.code, d.details);
    return false;
  };
  const decoders = requestDecoders(() => limits.maxNodeBytes);
  const sotw: GrpcMethod<SotwRequest | RejectedRequest> = {
    decode: decoders.sotw,
    handle: (call) => admit(call, "sotw", () => new SotwStream(call, ctx, "sotw")),
  };
  const delta: GrpcMethod<DeltaRequest | RejectedRequest> = {
    decode: decoders.delta,
    handle: (call) => admit(call, "delta", () => new DeltaStream(call, ctx, "delta")),
  };
  // HTTP/2 and gRPC framing of our own (./grpc-transport.ts) on the sockets meshc's listener accepted.
  const transport = new GrpcTransport({
    limits,
    logger,
    methods: new Map<string, GrpcMethod<never>>([
      [adsService.StreamAggregatedResources.path, sotw as GrpcMethod<never>],
      [adsService.DeltaAggregatedResources.path, delta as GrpcMethod<never>],
    ]),
  });
  const gate = new ConnectionGate({
    maxConnections: limits.maxConnections,
    handshakeTimeoutMs: limits.handshakeTimeoutMs,
    logger,
    metrics,
    inject: (socket) => transport.inject(socket),
    ...(options.auth ? { tls: options.auth.secureContext } : {}),
  });
  const host = address.slice(0, address.lastIndexOf(":"));
  const port = await gate.listen(host, Number(address.slice(address.lastIndexOf(":") + 1)));
  const bound = `${host}:${port}`;
  logger.info({ address: bound, tls: auth !== undefined }, `xDS server listening (ADS: SotW and Delta${auth ? ", TLS with client certificates" : ", plaintext"})`);

  // R8: streams whose client stopped reading are found by a sweep (one timer for all streams).
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const s of [...live]) s.checkStall(now);
  }, Math.max(50, Math.min(1000, limits.stallTimeoutMs / 4)));
  sweep.unref();

  return {
    port,
    address: bound,
    setSnapshot(mesh) {
      const change = cache.setSnapshot(mesh);
      stopPrewarm();
      stopPrewarm = prewarm(mesh);
      changed();
      logger.info(
        { services: mesh.proxies.size, changed: change.changed.length, added: change.added.length, removed: change.removed.length },
        "snapshot published",
      );
      return change;
    },
    authenticated: auth !== undefined,
    setIdentities(identities) {
      if (!auth) return;
      auth.setIdentities(identities);
      for (const s of [...streams]) s.recheckIdentity?.();
    },
    snapshot: () => cache.current(),
    proxies() {
      const list = [...streams].flatMap((s) => s.status() ?? []);
      return list.sort((a, b) => cmp(a.service, b.service) || cmp(a.node.id, b.node.id) || a.streamId - b.streamId);
    },
    statusChanges(seen) {
      const upsert: ProxyStatus[] = [];
      const live = new Set<number>();
      for (const s of streams) {
        live.add(s.id);
        if (seen.get(s.id) === s.statusSeq) continue;
        const row = s.status(false);
        if (!row) continue;
        seen.set(s.id, s.statusSeq);
        upsert.push(row);
      }
      const removed: number[] = [];
      for (const id of seen.keys()) if (!live.has(id)) removed.push(id);
      for (const id of removed) seen.delete(id);
      return { upsert, removed };
    },
    connections: () => gate.open,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close(graceMs = 5000) {
      if (closing) return;
      closing = true;
      clearInterval(sweep);
      stopPrewarm();
      const started = performance.now();
      admission.close((call) => refuse(call as AdsCall<unknown>, "shutting_down"));
      syncSlots.close((call) => refuse(call as AdsCall<unknown>, "shutting_down"));
      gate.stopAccepting();
      // GOAWAY on every connection (each session closes once its streams end), then end every stream.
      transport.goAwayAll();
      const drained = transport.whenIdle();
      for (const s of [...live]) s.end(GrpcStatus.UNAVAILABLE, "xDS server shutting down");
      let timer: NodeJS.Timeout | undefined;
      const graceOver = await Promise.race([
        Promise.all([drained, gate.whenEmpty()]).then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
      ]);
      clearTimeout(timer);
      if (graceOver) {
        logger.warn({ connections: gate.open, graceMs }, "shutdown grace over; closing the remaining xDS connections");
        transport.destroyAll();
        gate.destroyAll();
      }
      logger.info({ ms: Math.round(performance.now() - started) }, "xDS server stopped");
    },
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
