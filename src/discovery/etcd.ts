// etcd v3 as the mesh's registry (issue 16), through the maintained `etcd3` client (gRPC, leases, watches).
// - EtcdEndpointSource: lists <prefix>/services/ and watches it from the listed revision on. A probe every
//   probeMs notices a silent outage. One failure (a probe or list that times out, a watch stream error) is not an
//   outage: a loaded machine or etcd answers late now and then, and flipping /readyz on one slow answer cried wolf
//   (issue 16). The registry is reported unreachable after failuresBeforeDown consecutive failed attempts, retried
//   every retryMs; any success clears the count. So a real outage is reported within
//   probeMs + failuresBeforeDown * callTimeoutMs + (failuresBeforeDown - 1) * retryMs (2 + 3*4 + 2*1 = 16 s with the
//   defaults; sooner when etcd refuses connections outright). A broken watch is dropped and everything listed
//   again (each reconnect lists everything, so changes made while etcd was away arrive whole, and a compaction in
//   the meantime cannot lose events); recovery is noticed within retryMs + callTimeoutMs of etcd answering again.
// - The list is read in pages of pageEntries keys (a key cursor), every page at the revision of the first, so the
//   watch continues from one consistent state. The client's gRPC receive limit is set explicitly (maxReceiveBytes):
//   a page of valid entries (at most 4 KiB each) is far below it, and a few junk values up to etcd's own request
//   limit (1.5 MiB by default) fit too. A page that does not fit is read again in smaller pages, down to one key;
//   one entry alone beyond the limit is skipped (its key read alone) and reported as too large, like any key or
//   value larger than a valid entry's (src/discovery/layout.ts rawEntry: such values are not kept). A page too large
//   is not an etcd failure: it does not count toward the client's circuit breaker or retries.
// - registerInstance: writes one entry under a lease and keeps the lease alive; a lost lease (etcd was away longer
//   than the TTL) is granted again and the entry rewritten. stop() revokes the lease, removing the entry at once.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ConsecutiveBreaker, circuitBreaker, handleWhen, isBrokenCircuitError, retry } from "cockatiel";
import { Etcd3, GRPCResourceExhastedError, isRecoverableError, type IOptions, type Lease, type Watcher } from "etcd3";
import type { DiscoveryIR } from "../ir/types.js";
import { keyId, rawEntry, servicesPrefix } from "./layout.js";
import type { EndpointSource, EndpointSourceEvents, RawEntry } from "./source.js";

export interface EtcdTimings {
  /** Deadline of a list or probe. @default 4000 */
  callTimeoutMs?: number;
  /** Probe interval while connected. @default 2000 */
  probeMs?: number;
  /** Wait before the next attempt (probe or list) after a failure. @default 1000 */
  retryMs?: number;
  /** Consecutive failed attempts before the registry is reported unreachable. @default 3 */
  failuresBeforeDown?: number;
  /** Keys per page of a registry list. @default 500 */
  pageEntries?: number;
  /** The client's gRPC receive limit, bytes (grpc-js's own default is 4 MiB). @default 16 MiB */
  maxReceiveBytes?: number;
}

export const ETCD_DEFAULT_TIMINGS: Required<EtcdTimings> = { callTimeoutMs: 4000, probeMs: 2000, retryMs: 1000, failuresBeforeDown: 3, pageEntries: 500, maxReceiveBytes: 16 << 20 };

/** etcd3's own fault handling (retry 3 times, a host's breaker opens after 3 failures for 5 s), except that a
 * response larger than the receive limit is not an etcd failure: the list reads that page again in smaller ones. */
const hostFailure = handleWhen((e) => isRecoverableError(e) && !(e instanceof GRPCResourceExhastedError));

/** The longest time from etcd going silent to the registry being reported unreachable, with these timings. */
export function outageReportBoundMs(timings: EtcdTimings = {}): number {
  const t = { ...ETCD_DEFAULT_TIMINGS, ...timings };
  return t.probeMs + t.failuresBeforeDown * t.callTimeoutMs + (t.failuresBeforeDown - 1) * t.retryMs;
}

/** An etcd3 client for the mesh's discovery settings; TLS files are read relative to the mesh's directory. */
export function etcdClient(d: DiscoveryIR, baseDir: string, timings: EtcdTimings = {}): Etcd3 {
  const callTimeout = timings.callTimeoutMs ?? ETCD_DEFAULT_TIMINGS.callTimeoutMs;
  const options: IOptions = {
    hosts: d.endpoints,
    dialTimeout: callTimeout,
    grpcOptions: { "grpc.max_receive_message_length": timings.maxReceiveBytes ?? ETCD_DEFAULT_TIMINGS.maxReceiveBytes },
    faultHandling: {
      host: () => circuitBreaker(hostFailure, { halfOpenAfter: 5000, breaker: new ConsecutiveBreaker(3) }),
      global: retry(hostFailure, { maxAttempts: 3 }),
    },
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + callTimeout }),
  };
  if (d.tls) {
    const read = (p: string | undefined) => (p === undefined ? undefined : readFileSync(resolve(baseDir, p)));
    options.credentials = {
      rootCertificate: read(d.tls.ca) ?? Buffer.alloc(0),
      ...(d.tls.key !== undefined ? { privateKey: read(d.tls.key)! } : {}),
      ...(d.tls.cert !== undefined ? { certChain: read(d.tls.cert)! } : {}),
    };
  }
  return new Etcd3(options);
}

export function describeEtcd(d: DiscoveryIR): string {
  return `etcd ${d.endpoints.join(",")} ${d.prefix}`;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export class EtcdEndpointSource implements EndpointSource {
  readonly description: string;
  readonly prefix: string;
  private events: EndpointSourceEvents | undefined;
  private watcher: Watcher | undefined;
  private up: boolean | undefined;
  private closed = false;
  /** The next attempt: a list+watch (no watch running) or a probe (watch running). */
  private timer: NodeJS.Timeout | undefined;
  private epoch = 0;
  /** Consecutive failed attempts (probes, lists, watch errors); any success clears it. */
  private failures = 0;
  /** The last error that was not the etcd client's "circuit breaker is open" (which hides the cause). */
  private lastError: string | undefined;
  private readonly t: Required<EtcdTimings>;

  constructor(private readonly client: Etcd3, discovery: DiscoveryIR, timings: EtcdTimings = {}) {
    this.prefix = discovery.prefix;
    this.description = describeEtcd(discovery);
    this.t = { ...ETCD_DEFAULT_TIMINGS, ...Object.fromEntries(Object.entries(timings).filter(([, v]) => v !== undefined)) };
  }

  start(events: EndpointSourceEvents): void {
    this.events = events;
    void this.sync();
  }

  private schedule(what: () => Promise<void>, ms: number): void {
    clearTimeout(this.timer);
    if (this.closed) return;
    this.timer = setTimeout(() => void what(), ms);
    this.timer.unref();
  }

  private async sync(): Promise<void> {
    if (this.closed) return;
    const epoch = ++this.epoch;
    const head = servicesPrefix(this.prefix);
    try {
      const res = await this.list(head, () => this.closed || epoch !== this.epoch);
      if (!res || this.closed || epoch !== this.epoch) return;
      const revision = res.revision;
      const w = await withTimeout(this.client.watch().prefix(head).startRevision(String(revision + 1n)).create(), this.t.callTimeoutMs, "watching the registry");
      if (this.closed || epoch !== this.epoch) {
        void w.cancel().catch(() => undefined);
        return;
      }
      this.watcher = w;
      w.on("put", (kv) => epoch === this.epoch && this.events?.put({ ...rawEntry(this.prefix, kv.key, kv.value), created: String(kv.version) === "1" }));
      w.on("delete", (kv) => epoch === this.epoch && this.events?.delete(keyId(this.prefix, kv.key)));
      w.on("disconnected", (err) => epoch === this.epoch && this.watchBroke(`watch disconnected: ${err.message}`));
      w.on("error", (err) => epoch === this.epoch && this.watchBroke(`watch failed: ${err.message}`));
      // The list is applied before the watch's events (which start after its revision).
      this.events?.reset(res.entries);
      this.succeeded();
      this.schedule(() => this.check(), this.t.probeMs);
    } catch (err) {
      if (epoch !== this.epoch) return;
      this.failed(this.describe(err));
      this.schedule(() => this.sync(), this.t.retryMs);
    }
  }

  /**
   * Everything under `head`, in pages of at most pageEntries keys from a key cursor, every page read at the revision
   * of the first. A page larger than the receive limit is read again in halves; one key alone beyond it is skipped
   * (reported as oversized, its key read without its value). undefined when `stale` says the answer is not wanted.
   */
  private async list(head: string, stale: () => boolean): Promise<{ entries: RawEntry[]; revision: bigint } | undefined> {
    const end = Buffer.from(head);
    end[end.length - 1] = end[end.length - 1]! + 1; // the prefix's range end ("/" + 1: head always ends with "/")
    const entries: RawEntry[] = [];
    let cursor = Buffer.from(head);
    let revision: string | undefined;
    let limit = Math.max(1, this.t.pageEntries);
    for (;;) {
      const at = revision !== undefined ? { revision } : {};
      let res;
      try {
        res = await withTimeout(this.client.kv.range({ key: cursor, range_end: end, limit, ...at }), this.t.callTimeoutMs, "listing the registry");
      } catch (err) {
        if (!(err instanceof GRPCResourceExhastedError)) throw err;
        if (stale()) return undefined;
        if (limit > 1) {
          limit = Math.max(1, limit >> 1);
          continue;
        }
        // One entry alone is larger than the receive limit: its key (without the value) says what to skip.
        const k = await withTimeout(this.client.kv.range({ key: cursor, range_end: end, limit: 1, keys_only: true, ...at }), this.t.callTimeoutMs, "listing the registry").catch((e: Error) => {
          throw e instanceof GRPCResourceExhastedError ? new Error(`a key under ${head} is larger than the receive limit (${this.t.maxReceiveBytes} bytes): remove it`) : e;
        });
        revision ??= k.header.revision;
        const kv = k.kvs[0];
        if (!kv) break;
        entries.push({ key: keyId(this.prefix, kv.key), value: Buffer.alloc(0), oversized: { keyBytes: kv.key.length, valueBytes: 0 } }); // 0: not read
        if (!k.more) break;
        cursor = Buffer.concat([kv.key, Buffer.of(0)]);
        continue;
      }
      if (stale()) return undefined;
      revision ??= res.header.revision;
      for (const kv of res.kvs) entries.push(rawEntry(this.prefix, kv.key, kv.value));
      const last = res.kvs.at(-1);
      if (!res.more || !last) break;
      cursor = Buffer.concat([last.key, Buffer.of(0)]); // the next key after the last one read
      limit = Math.min(Math.max(1, this.t.pageEntries), limit * 2);
    }
    return { entries, revision: BigInt(revision ?? "0") };
  }

  /** An error's message; the etcd client's "circuit breaker is open" says what failed before it opened. */
  private describe(err: unknown): string {
    const message = (err as Error).message ?? String(err);
    if (!isBrokenCircuitError(err)) {
      this.lastError = message;
      return message;
    }
    return this.lastError !== undefined ? `${this.lastError} (the etcd client holds calls back for 5 s after repeated failures)` : message;
  }

  /** A probe while the watch runs: a failure is counted and retried sooner; enough of them drop the watch. */
  private async check(): Promise<void> {
    if (this.closed || !this.watcher) return;
    const epoch = this.epoch;
    try {
      await withTimeout(this.client.get(`${this.prefix}/.probe`).exec(), this.t.callTimeoutMs, "probing the registry");
      if (epoch !== this.epoch) return;
      this.succeeded();
      this.schedule(() => this.check(), this.t.probeMs);
    } catch (err) {
      if (epoch !== this.epoch) return;
      if (this.failed(this.describe(err))) {
        // Declared down: start over with a fresh list+watch (the old watch may be silently dead).
        this.dropWatch();
        this.schedule(() => this.sync(), this.t.retryMs);
      } else this.schedule(() => this.check(), this.t.retryMs);
    }
  }

  /** The watch stream is gone: list everything again (a failure that counts toward down). */
  private watchBroke(problem: string): void {
    if (this.closed) return;
    this.dropWatch();
    this.failed(problem);
    this.schedule(() => this.sync(), this.t.retryMs);
  }

  private dropWatch(): void {
    this.epoch++; // events and answers of the dropped watch are ignored from now on
    const w = this.watcher;
    this.watcher = undefined;
    if (w) {
      w.removeAllListeners();
      w.on("error", () => undefined);
      void w.cancel().catch(() => undefined);
    }
  }

  private succeeded(): void {
    this.failures = 0;
    this.lastError = undefined;
    this.setUp(true);
  }

  /** Counts a failed attempt; true when the registry is (now) reported unreachable. */
  private failed(problem: string): boolean {
    if (this.closed) return false;
    this.failures++;
    if (this.failures < this.t.failuresBeforeDown) return false;
    this.setUp(false, `${problem} (${this.failures} consecutive failed attempts)`);
    return true;
  }

  private setUp(up: boolean, problem?: string): void {
    if (this.up === up) return;
    this.up = up;
    this.events?.connected(up, problem);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.epoch++;
    clearTimeout(this.timer);
    const w = this.watcher;
    this.watcher = undefined;
    if (w) await withTimeout(w.cancel(), 1000, "cancel").catch(() => undefined);
    this.client.close();
  }
}

export interface Registration {
  /** Revokes the lease (the entry disappears at once) and closes the client. */
  stop(): Promise<void>;
}

/**
 * Writes `value` at `key` under a lease of `ttlSeconds` and keeps it alive while the process runs. A lost lease
 * (etcd away for longer than the TTL) is granted again and the entry rewritten, retrying every second.
 */
export async function registerInstance(
  client: Etcd3,
  key: string,
  value: string,
  ttlSeconds: number,
  log: (msg: string) => void,
): Promise<Registration> {
  let lease: Lease | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const establish = async (): Promise<void> => {
    const l = client.lease(ttlSeconds);
    lease = l;
    l.on("lost", (err) => {
      if (stopped || lease !== l) return;
      log(`lease lost (${err.message}); registering again`);
      again();
    });
    await l.put(key).value(value);
  };
  const again = () => {
    clearTimeout(retry);
    retry = setTimeout(() => {
      if (stopped) return;
      establish().then(
        () => log(`registered ${key} again`),
        (e: Error) => {
          log(`could not register yet: ${e.message}`);
          again();
        },
      );
    }, 1000);
  };
  await establish();
  let stopping: Promise<void> | undefined;
  return {
    stop() {
      return (stopping ??= stopNow());
    },
  };
  async function stopNow(): Promise<void> {
    {
      stopped = true;
      clearTimeout(retry);
      await withTimeout(lease?.revoke() ?? Promise.resolve(), 3000, "revoking the lease").catch((e: Error) => log(`could not revoke the lease: ${e.message}; it expires in ${ttlSeconds}s`));
      client.close();
    }
  }
}
