// etcd v3 as the mesh's registry (issue 16), through the maintained `etcd3` client (gRPC, leases, watches).
// - EtcdEndpointSource: lists <prefix>/services/ and watches it from the listed revision on. Any failure (a watch
//   stream error, a list or probe that times out) reports the registry down, keeps nothing running, and retries:
//   each reconnect lists everything again, so changes made while etcd was away arrive whole (and a compaction in
//   the meantime cannot lose events). A probe every few seconds notices a silent outage.
// - registerInstance: writes one entry under a lease and keeps the lease alive; a lost lease (etcd was away longer
//   than the TTL) is granted again and the entry rewritten. stop() revokes the lease, removing the entry at once.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Etcd3, type IOptions, type Lease, type Watcher } from "etcd3";
import type { DiscoveryIR } from "../ir/types.js";
import { servicesPrefix } from "./layout.js";
import type { EndpointSource, EndpointSourceEvents } from "./source.js";

export interface EtcdTimings {
  /** Deadline of a list or probe. @default 3000 */
  callTimeoutMs?: number;
  /** Probe interval while connected. @default 2000 */
  probeMs?: number;
  /** Wait before reconnecting after a failure. @default 1000 */
  retryMs?: number;
}

/** An etcd3 client for the mesh's discovery settings; TLS files are read relative to the mesh's directory. */
export function etcdClient(d: DiscoveryIR, baseDir: string, timings: EtcdTimings = {}): Etcd3 {
  const callTimeout = timings.callTimeoutMs ?? 3000;
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
  private retry: NodeJS.Timeout | undefined;
  private probe: NodeJS.Timeout | undefined;
  private epoch = 0;
  private readonly callTimeoutMs: number;
  private readonly probeMs: number;
  private readonly retryMs: number;

  constructor(private readonly client: Etcd3, discovery: DiscoveryIR, timings: EtcdTimings = {}) {
    this.prefix = discovery.prefix;
    this.description = describeEtcd(discovery);
    this.callTimeoutMs = timings.callTimeoutMs ?? 3000;
    this.probeMs = timings.probeMs ?? 2000;
    this.retryMs = timings.retryMs ?? 1000;
  }

  start(events: EndpointSourceEvents): void {
    this.events = events;
    void this.sync();
    this.probe = setInterval(() => void this.check(), this.probeMs);
    this.probe.unref();
  }

  private async sync(): Promise<void> {
    if (this.closed) return;
    const epoch = ++this.epoch;
    const head = servicesPrefix(this.prefix);
    try {
      const res = await withTimeout(this.client.getAll().prefix(head).exec(), this.callTimeoutMs, "listing the registry");
      if (this.closed || epoch !== this.epoch) return;
      const revision = BigInt(res.header.revision);
      const w = await withTimeout(this.client.watch().prefix(head).startRevision(String(revision + 1n)).create(), this.callTimeoutMs, "watching the registry");
      if (this.closed || epoch !== this.epoch) {
        void w.cancel().catch(() => undefined);
        return;
      }
      this.watcher = w;
      w.on("put", (kv) => epoch === this.epoch && this.events?.put({ key: kv.key.toString(), value: kv.value }));
      w.on("delete", (kv) => epoch === this.epoch && this.events?.delete(kv.key.toString()));
      w.on("disconnected", (err) => epoch === this.epoch && this.fail(`watch disconnected: ${err.message}`));
      w.on("error", (err) => epoch === this.epoch && this.fail(`watch failed: ${err.message}`));
      // The list is applied before the watch's events (which start after its revision).
      this.events?.reset(res.kvs.map((kv) => ({ key: kv.key.toString(), value: kv.value })));
      this.setUp(true);
    } catch (err) {
      if (epoch === this.epoch) this.fail((err as Error).message);
    }
  }

  private async check(): Promise<void> {
    if (this.closed || this.up !== true) return;
    const epoch = this.epoch;
    try {
      await withTimeout(this.client.get(`${this.prefix}/.probe`).exec(), this.callTimeoutMs, "probing the registry");
    } catch (err) {
      if (epoch === this.epoch) this.fail((err as Error).message);
    }
  }

  private setUp(up: boolean, problem?: string): void {
    if (this.up === up) return;
    this.up = up;
    this.events?.connected(up, problem);
  }

  private fail(problem: string): void {
    if (this.closed) return;
    this.epoch++; // events of the failed watch are ignored from now on
    const w = this.watcher;
    this.watcher = undefined;
    if (w) {
      w.removeAllListeners();
      w.on("error", () => undefined);
      void w.cancel().catch(() => undefined);
    }
    this.setUp(false, problem);
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.sync(), this.retryMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.epoch++;
    clearTimeout(this.retry);
    clearInterval(this.probe);
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
