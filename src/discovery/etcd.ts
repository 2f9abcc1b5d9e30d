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
// - registerInstance: writes one entry under a lease and keeps the lease alive; a lost lease (etcd was away longer
//   than the TTL) is granted again and the entry rewritten. stop() revokes the lease, removing the entry at once.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Etcd3, type IOptions, type Lease, type Watcher } from "etcd3";
import type { DiscoveryIR } from "../ir/types.js";
import { servicesPrefix } from "./layout.js";
import type { EndpointSource, EndpointSourceEvents } from "./source.js";

export interface EtcdTimings {
  /** Deadline of a list or probe. @default 4000 */
  callTimeoutMs?: number;
  /** Probe interval while connected. @default 2000 */
  probeMs?: number;
  /** Wait before the next attempt (probe or list) after a failure. @default 1000 */
  retryMs?: number;
  /** Consecutive failed attempts before the registry is reported unreachable. @default 3 */
  failuresBeforeDown?: number;
}

export const ETCD_DEFAULT_TIMINGS: Required<EtcdTimings> = { callTimeoutMs: 4000, probeMs: 2000, retryMs: 1000, failuresBeforeDown: 3 };

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
      const res = await withTimeout(this.client.getAll().prefix(head).exec(), this.t.callTimeoutMs, "listing the registry");
      if (this.closed || epoch !== this.epoch) return;
      const revision = BigInt(res.header.revision);
      const w = await withTimeout(this.client.watch().prefix(head).startRevision(String(revision + 1n)).create(), this.t.callTimeoutMs, "watching the registry");
      if (this.closed || epoch !== this.epoch) {
        void w.cancel().catch(() => undefined);
        return;
      }
      this.watcher = w;
      w.on("put", (kv) => epoch === this.epoch && this.events?.put({ key: kv.key.toString(), value: kv.value }));
      w.on("delete", (kv) => epoch === this.epoch && this.events?.delete(kv.key.toString()));
      w.on("disconnected", (err) => epoch === this.epoch && this.watchBroke(`watch disconnected: ${err.message}`));
      w.on("error", (err) => epoch === this.epoch && this.watchBroke(`watch failed: ${err.message}`));
      // The list is applied before the watch's events (which start after its revision).
      this.events?.reset(res.kvs.map((kv) => ({ key: kv.key.toString(), value: kv.value })));
      this.succeeded();
      this.schedule(() => this.check(), this.t.probeMs);
    } catch (err) {
      if (epoch !== this.epoch) return;
      this.failed((err as Error).message);
      this.schedule(() => this.sync(), this.t.retryMs);
    }
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
      if (this.failed((err as Error).message)) {
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
