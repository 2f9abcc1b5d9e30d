// Admission of new ADS streams (R1), in two stages, so a herd of proxies cannot take the server down without a
// fixed rate tax on a normal full sync:
//
// 1. Initial-sync slots (--max-syncing, --sync-queue): what a new stream costs the server is its first full
//    config (every type built, serialized and written, then ACKed). At most `maxSyncing` streams are in that phase
//    at once; a stream asks for a slot once its first request has bound it to a proxy (authenticated, with --ca: a
//    stream that sends nothing, or nothing valid, takes none) and holds it until it has ACKed (or NACKed) its first full config
//    (XdsStream.onInitialSync), ends, or `syncSlotTimeoutMs` passes (a client that never ACKs cannot hold a slot).
//    Streams over the limit wait in arrival order in a bounded queue (`maxWaiting`); beyond it they are refused
//    with UNAVAILABLE (clients retry with backoff). One connection holds at most `maxPerConnection` slots (Envoy and
//    grpc-js open one ADS stream per connection; a connection may open up to SETTINGS_MAX_CONCURRENT_STREAMS): a
//    stream over its connection's share waits without blocking the streams of other connections behind it, so a
//    few connections full of streams that never ACK cannot hold every slot for the slot timeout. A herd therefore runs at the speed the server can sync
//    (bounded concurrency, the shape of istiod's push throttle), not at a fixed number of streams a second.
// 2. An optional token bucket (--stream-rate, --stream-burst; off by default): a stream over the bucket waits in
//    a bounded queue (one burst's worth) for a token; beyond that it is refused. istiod has the same shape
//    (PILOT_MAX_REQUESTS_PER_SECOND: wait up to 1 s, then refuse); go-control-plane has no admission control.
//    Before, the bucket (500/s, burst 500) was the only stage and was on by default: it alone added >= 1 s to a
//    1,000-proxy sync and ~3 s at 2,000, whether or not the server was busy.
//
// A stream waiting for a slot is bound and applies its client's requests (subscriptions, bounded per type by the
// name limits) but sends nothing; a stream waiting for a token holds its HTTP/2 stream and the requests its client
// sent (bounded by flow control and the message size limit). Streams cancelled while waiting leave the queue.
import { TokenBucket } from "./limits.js";

export interface WaitingCall {
  once(event: "cancelled" | "close", listener: () => void): unknown;
}

/** Why a stream was refused: the rate queue or the initial-sync queue is full. */
export type RefusalReason = "rate_limit" | "sync_limit";

/** The token-bucket stage (stage 2 above). */
export class StreamAdmission {
  private readonly bucket: TokenBucket;
  private readonly queue: { call: WaitingCall; start: () => void; gone: boolean }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly rate: number,
    burst: number,
    /** Streams that may wait for a token; default: one burst. */
    private readonly maxWaiting = burst,
  ) {
    this.bucket = new TokenBucket(rate, burst);
  }

  /** Starts the stream now, or once a token is free; false: refused (the queue is full). */
  admit(call: WaitingCall, start: () => void): boolean {
    if (this.rate <= 0) {
      start();
      return true;
    }
    this.drain();
    if (this.queue.length === 0 && this.bucket.take()) {
      start();
      return true;
    }
    if (this.queue.length >= this.maxWaiting) return false;
    const entry = { call, start, gone: false };
    const leave = () => (entry.gone = true);
    call.once("cancelled", leave);
    call.once("close", leave);
    this.queue.push(entry);
    this.schedule();
    return true;
  }

  /** Streams waiting for a token. */
  get waiting(): number {
    return this.queue.filter((e) => !e.gone).length;
  }

  /** Shutting down: hands every waiting stream to `refuse` and stops. */
  close(refuse: (call: WaitingCall) => void): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const e of this.queue.splice(0)) if (!e.gone) refuse(e.call);
  }

  private drain(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (head.gone) {
        this.queue.shift();
        continue;
      }
      if (!this.bucket.take()) return;
      this.queue.shift();
      head.start();
    }
  }

  private schedule(): void {
    if (this.timer || this.queue.length === 0) return;
    // The next token comes 1/rate seconds after the last one was taken (at most that long from now).
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain();
      this.schedule();
    }, Math.max(1, Math.ceil(1000 / this.rate)));
  }
}

interface SlotWaiter {
  call: WaitingCall;
  start: (release: () => void) => void;
  owner: object | undefined;
  gone: boolean;
}

/**
 * The initial-sync stage (stage 1 above): a counting semaphore with a bounded wait queue, served in arrival order
 * except that a stream whose connection (`owner`) holds its share of slots lets later streams of other connections
 * go first.
 */
export class SyncSlots {
  private inUse = 0;
  private queue: SlotWaiter[] = [];
  /** Entries before it have left the queue (granted or gone). */
  private head = 0;
  private waitingCount = 0;
  private closed = false;
  /** Slots held per connection (only connections holding some). */
  private readonly held = new Map<object, number>();

  constructor(
    /** Streams in their initial sync at once; 0: no limit. */
    private readonly maxSyncing: number,
    /** Streams that may wait for a slot. */
    private readonly maxWaiting: number,
    /** A slot is given back after this long even if the stream never ACKed its first config. */
    private readonly slotTimeoutMs: number,
    /** Told the counts after every change (a metric). */
    private readonly onChange: (syncing: number, waiting: number) => void = () => {},
    /** Slots one connection may hold at once; 0: no per-connection bound. */
    private readonly maxPerConnection = 0,
  ) {}

  /** Streams holding a slot. */
  get syncing(): number {
    return this.inUse;
  }

  /** Streams waiting for a slot. */
  get waiting(): number {
    return this.waitingCount;
  }

  /**
   * Starts the stream now (or once a slot is free) with the function that gives its slot back (idempotent; also
   * called by the slot timeout); false: refused (the wait queue is full). `owner` is the stream's connection (any
   * object that identifies it), for the per-connection share.
   */
  admit(call: WaitingCall, start: (release: () => void) => void, owner?: object): boolean {
    if (this.closed) return false;
    if (this.maxSyncing <= 0) {
      start(() => {});
      return true;
    }
    // With a slot free, every stream still waiting is one whose connection holds its share (next() grants the others
    // as soon as a slot frees), so a stream of a connection under its share goes now without jumping a fair turn.
    if (this.inUse < this.maxSyncing && this.mayHold(owner)) {
      start(this.reserve(owner));
      return true;
    }
    if (this.waitingCount >= this.maxWaiting) return false;
    const entry: SlotWaiter = { call, start, owner, gone: false };
    const leave = () => {
      if (entry.gone) return;
      entry.gone = true;
      this.waitingCount--;
      this.onChange(this.inUse, this.waitingCount);
    };
    call.once("cancelled", leave);
    call.once("close", leave);
    this.queue.push(entry);
    this.waitingCount++;
    this.onChange(this.inUse, this.waitingCount);
    return true;
  }

  /** Shutting down: hands every waiting stream to `refuse`; later admissions are refused. */
  close(refuse: (call: WaitingCall) => void): void {
    this.closed = true;
    this.head = 0;
    for (const e of this.queue.splice(0)) {
      if (e.gone) continue;
      e.gone = true;
      this.waitingCount--;
      refuse(e.call);
    }
    this.onChange(this.inUse, this.waitingCount);
  }

  private mayHold(owner: object | undefined): boolean {
    return owner === undefined || this.maxPerConnection <= 0 || (this.held.get(owner) ?? 0) < this.maxPerConnection;
  }

  /** Takes a slot for a stream of `owner`; returns the function that gives it back. */
  private reserve(owner: object | undefined): () => void {
    this.inUse++;
    if (owner !== undefined) this.held.set(owner, (this.held.get(owner) ?? 0) + 1);
    let held = true;
    const timer = setTimeout(() => release(), this.slotTimeoutMs);
    timer.unref();
    const release = () => {
      if (!held) return;
      held = false;
      clearTimeout(timer);
      this.inUse--;
      if (owner !== undefined) {
        const n = this.held.get(owner)! - 1;
        if (n > 0) this.held.set(owner, n);
        else this.held.delete(owner);
      }
      this.next();
      this.onChange(this.inUse, this.waitingCount);
    };
    this.onChange(this.inUse, this.waitingCount);
    return release;
  }

  /**
   * Grants free slots to the earliest waiting streams whose connections are under their share. Streams passed over
   * keep their places; the queue's state is settled before any stream starts (a start may release its slot at once).
   */
  private next(): void {
    const ready: [(release: () => void) => void, () => void][] = [];
    for (let i = this.head; i < this.queue.length && this.inUse < this.maxSyncing; i++) {
      const e = this.queue[i]!;
      if (e.gone || !this.mayHold(e.owner)) {
        if (e.gone && i === this.head) this.head++;
        continue;
      }
      e.gone = true;
      this.waitingCount--;
      if (i === this.head) this.head++;
      ready.push([e.start, this.reserve(e.owner)]);
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    for (const [start, release] of ready) start(release);
  }
}
