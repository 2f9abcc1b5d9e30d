// Admission of new ADS streams (R1): a token bucket (--stream-rate, --stream-burst) decides when a stream starts
// being served. A stream over the bucket waits in a bounded queue for a token instead of being refused at once:
// up to one burst's worth of streams wait (so at most burst/rate seconds each, 1 s with the defaults), in arrival
// order; only streams beyond that are refused with UNAVAILABLE (clients retry with backoff). Refusing every stream
// over the bucket made a proxy that arrived a moment too late wait for Envoy's backoff (0.5 s and more, doubling)
// although a token came free milliseconds later: at 2,000 proxies with two workers (each with half the bucket),
// about half of the streams of a full sync were refused and reopened. The rate at which streams start being served,
// which is what protects the server, is unchanged. A waiting stream holds its HTTP/2 stream and the requests its
// client sent (bounded per stream by the message size limit) and nothing else; streams cancelled while waiting
// leave the queue.
import { TokenBucket } from "./limits.js";

export interface WaitingCall {
  once(event: "cancelled" | "close", listener: () => void): unknown;
}

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
