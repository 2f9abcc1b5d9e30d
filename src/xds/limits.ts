// Every bound the xDS server puts on what a client controls (R1, R6, R7, R8, R20), with its default in one place,
// plus the small tools that enforce them: a token bucket for new streams and `clip` for client strings that reach
// logs and gRPC statuses. `meshc serve` exposes each limit as an option (src/cli/commands/serve.ts).

export interface XdsLimits {
  /** Largest inbound gRPC message; larger ones end the stream with RESOURCE_EXHAUSTED before being buffered. */
  maxMessageBytes: number;
  /** Largest encoded `node` (id, cluster, metadata, ...) in a request; larger: RESOURCE_EXHAUSTED. */
  maxNodeBytes: number;
  /** Longest client string (node.id, type_url, NACK message, ...) written to a log, a status or /debug/proxies. */
  maxLoggedChars: number;
  /**
   * Bytes of resource names one stream may hold subscribed per type (Delta: accumulated subscriptions and
   * initial_resource_versions; SotW: a request's resource_names), each name charged its length plus
   * NAME_OVERHEAD_BYTES (what holding it costs besides its characters); more: RESOURCE_EXHAUSTED.
   */
  maxSubscribedNameBytes: number;
  /**
   * Resource names one stream may hold subscribed per type (same scope as maxSubscribedNameBytes); more:
   * RESOURCE_EXHAUSTED. A bound on the work per request (sets, sorts, removed lists) however short the names: a
   * proxy subscribes at most one name per cluster, listener, route configuration or secret of its snapshot, and
   * 50,000 is several times what the largest meshes give one proxy.
   */
  maxSubscribedNames: number;
  /**
   * Bytes of resource names (counted as in maxSubscribedNameBytes) all streams of one connection hold together, every
   * type; more: the stream that adds them ends with RESOURCE_EXHAUSTED. The per-stream limits times
   * maxStreamsPerConnection (100 streams x 5 types x 4 MiB) would let one connection hold over 2 GB of heap; one
   * Envoy (one stream, 5 types at their limit: 20 MiB) fits.
   */
  maxNameBytesPerConnection: number;
  /** Open TCP connections; further ones are closed at once (the client sees UNAVAILABLE and retries). */
  maxConnections: number;
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS: streams one connection may have open at a time. */
  maxStreamsPerConnection: number;
  /** New ADS streams admitted per second (token bucket, ./admission.ts); refused ones get UNAVAILABLE. 0: no limit (default). */
  streamsPerSecond: number;
  /** Token bucket size: new streams admitted at once before the rate applies (only with streamsPerSecond > 0). */
  streamBurst: number;
  /** Streams in their initial sync (admitted, first full config not yet ACKed) at once; more wait (./admission.ts). 0: no limit. */
  maxSyncingStreams: number;
  /** Streams that may wait for an initial-sync slot; beyond that they are refused with UNAVAILABLE. */
  maxSyncQueue: number;
  /**
   * Initial-sync slots one connection may hold at once (its other new streams wait without holding up other
   * connections'). A connection may open maxStreamsPerConnection streams, so without it three connections of streams
   * that never ACK held all 256 slots for the slot timeout; with 32 it takes eight. Above 1 because clients may
   * multiplex many ADS streams over one connection (grpc-js shares a connection between clients of one target).
   * 0: no per-connection bound.
   */
  maxSyncingPerConnection: number;
  /** A stream gives its initial-sync slot back after this long even if it never ACKed its first config. */
  syncSlotTimeoutMs: number;
  /**
   * A connection that has not sent the HTTP/2 client preface within this time is closed; a stream that has not sent
   * its first request within it is ended with DEADLINE_EXCEEDED.
   */
  handshakeTimeoutMs: number;
  /** Response bytes handed to the transport and not yet flushed, per stream, before the stream stops queueing more. */
  maxQueuedBytes: number;
  /** A stream with unflushed responses and no progress for this long (a stuck reader) is closed. */
  stallTimeoutMs: number;
  /** Responses larger than this (the clients' receive limit; gRPC's default is 4 MiB) are reported (log + metric). */
  clientMaxMessageBytes: number;
  /** Connections get GOAWAY after this age (±10 % jitter), so clients spread over replicas. 0: never. */
  maxConnectionAgeMs: number;
  /** After GOAWAY for age, streams still open are cut after this grace. */
  maxConnectionAgeGraceMs: number;
  /** HTTP/2 PING interval; a peer that does not answer within keepaliveTimeoutMs is dropped (half-open TCP). */
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: XdsLimits = {
  maxMessageBytes: 4 * MiB,
  maxNodeBytes: 64 * 1024,
  maxLoggedChars: 256,
  maxSubscribedNameBytes: 4 * MiB,
  maxSubscribedNames: 50_000,
  maxNameBytesPerConnection: 32 * MiB,
  maxConnections: 10_000,
  maxStreamsPerConnection: 100,
  streamsPerSecond: 0,
  streamBurst: 500,
  maxSyncingStreams: 256,
  maxSyncQueue: 10_000,
  maxSyncingPerConnection: 32,
  syncSlotTimeoutMs: 10_000,
  handshakeTimeoutMs: 30_000,
  maxQueuedBytes: 16 * MiB,
  stallTimeoutMs: 60_000,
  clientMaxMessageBytes: 4 * MiB,
  maxConnectionAgeMs: 30 * 60_000,
  maxConnectionAgeGraceMs: 10_000,
  keepaliveTimeMs: 30_000,
  keepaliveTimeoutMs: 10_000,
};

/**
 * What a subscribed name costs besides its characters, charged in maxSubscribedNameBytes: a short name's string
 * header and its entries in the stream's sets (subscribed, reported missing) take about 60 bytes of heap. Without
 * it, 4 MiB of one-character names held about 30 times that much memory.
 */
export const NAME_OVERHEAD_BYTES = 64;

export function resolveLimits(partial: Partial<XdsLimits> | undefined): XdsLimits {
  const out = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(partial ?? {})) if (v !== undefined) (out as Record<string, number>)[k] = v;
  return out;
}

/** A client string cut to `max` characters, with a marker saying how much was dropped. */
export function clip(s: string | undefined, max: number): string {
  if (s === undefined) return "";
  return s.length <= max ? s : `${s.slice(0, max)}…[${s.length - max} more chars]`;
}

/** Token bucket: `take()` is true while tokens last; tokens refill at `rate` per second up to `burst`. */
export class TokenBucket {
  private tokens: number;
  private last = performance.now();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  take(): boolean {
    if (this.rate <= 0) return true;
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
