// `meshc serve --workers N`: the xDS server as N worker processes sharing one listening port (Node's cluster module;
// by default the primary accepts and hands connections to workers round-robin, NODE_CLUSTER_SCHED_POLICY=none lets
// the kernel pick). This module is the primary's side: it looks like the single-process XdsServer to the rest of
// `meshc serve` (setSnapshot, setIdentities, proxies, onChange, close), so the watcher, compiler, build-directory
// reader, certificate manager, registry overlay and admin API stay as they are, in this process.
// - Snapshots: each published snapshot goes to every worker once (./protocol.ts: only the resources a worker does
//   not hold travel); the change report (which services changed) is computed here from the same snapshot cache.
// - Status: workers report their streams' status (only rows that changed, at most every statusEveryMs); proxies()
//   merges them, each row saying which worker holds the stream. /debug/proxies, the dashboard, `meshc status`, the
//   sync gauges and the CA rollout's "every proxy ACKed" all read it.
// - Metrics: workerMetrics() asks each worker for its registry (xds_* counters, its process metrics) for the admin's
//   /metrics to aggregate (./metrics.ts).
// - Limits: per stream and per connection limits apply in every worker as given; the global ones (--max-connections,
//   --stream-rate, --stream-burst) are split evenly, so the whole server admits what one process would.
// - A worker that exits unexpectedly is forked again (backoff 0.5 s doubling to 30 s while it keeps failing at
//   start); its proxies' connections are gone, and Envoy reconnects to the shared port (another worker or the new one).
// - close(): every worker drains (GOAWAY, streams end with UNAVAILABLE, bounded by the grace) and exits; workers
//   still running after grace + 2 s are killed.
import { packageRoot } from "../../frontend/paths.js";
import cluster, { type Worker } from "node:cluster";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SecureContextOptions } from "node:tls";
import type { Logger } from "pino";
import type { MeshSnapshot } from "../../snapshot/types.js";
import { SnapshotCache } from "../../xds/cache.js";
import type { XdsServer } from "../../xds/index.js";
import { resolveLimits, type XdsLimits } from "../../xds/limits.js";
import type { ProxyStatus } from "../../xds/stream.js";
import { CODES } from "../../analysis/codes.js";
import { WorkerMetricsMemory } from "./metrics.js";
import { emptyHoldings, SnapshotEncoder, type FromWorker, type ToWorker, type WorkerHoldings } from "./protocol.js";

export interface XdsWorkersOptions {
  workers: number;
  address: string;
  logger: Logger;
  limits?: Partial<XdsLimits>;
  /** TLS context of authenticated ADS (the primary's XdsServerTls); checked for changes every second. */
  secureContext?: () => SecureContextOptions | undefined;
  logFormat?: "json" | "pretty";
  statusEveryMs?: number;
}

/** A stream's status as /debug/proxies shows it with workers: which worker holds it. */
export type WorkerProxyStatus = ProxyStatus & { worker: number };

export interface WorkerInfo {
  slot: number;
  pid: number | undefined;
  listening: boolean;
  /** The newest snapshot this worker applied is the current one. */
  current: boolean;
  /** It applied a snapshot (any): a listening worker without one refuses streams with UNAVAILABLE. */
  serving: boolean;
  streams: number;
  connections: number;
  restarts: number;
}

export interface XdsWorkers extends XdsServer {
  /** Resolves once a worker listens; rejects when the first workers exit before any listened (e.g. port in use). */
  whenListening(): Promise<void>;
  workers(): WorkerInfo[];
  /** Every live worker's metrics (prom-client getMetricsAsJSON), for aggregation; a worker that does not answer within 2 s counts with its last answer, and an exited worker's counters stay in the sum (./metrics.ts). */
  workerMetrics(): Promise<unknown[][]>;
}

/** Where the worker entry is: the TypeScript source when running from sources (tsx), else dist/xds-worker.js. */
function workerEntry(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith(".ts")) return join(dirname(here), "worker-main.ts");
  // Found from the package root, not from this module: the CLI bundle is code-split, so this code runs from dist/chunks/.
  const dist = join(packageRoot(), "dist", "xds-worker.js");
  if (!existsSync(dist)) throw new Error(`meshc serve --workers: the worker script ${dist} is missing (run npm run build)`);
  return dist;
}

/** The limits one worker enforces: global caps split evenly over the workers. */
export function workerLimits(limits: Partial<XdsLimits> | undefined, n: number): Partial<XdsLimits> {
  const l = resolveLimits(limits);
  return {
    ...l,
    maxConnections: Math.max(1, Math.ceil(l.maxConnections / n)),
    streamsPerSecond: l.streamsPerSecond <= 0 ? 0 : Math.max(1, l.streamsPerSecond / n),
    streamBurst: Math.max(1, Math.ceil(l.streamBurst / n)),
  };
}

interface Slot {
  slot: number;
  worker: Worker | undefined;
  /** The worker's message handler is installed: messages to it are delivered from now on. */
  ready: boolean;
  listening: boolean;
  /** What the worker holds (resource numbers, service entries) from the snapshots sent to it. */
  holdings: WorkerHoldings;
  sentSeq: number;
  appliedSeq: number;
  rows: Map<number, WorkerProxyStatus>;
  connections: number;
  restarts: number;
  failures: number;
  startedAt: number;
}

export async function startXdsWorkers(o: XdsWorkersOptions): Promise<XdsWorkers> {
  if (!cluster.isPrimary) throw new Error("meshc serve --workers must run in the primary process");
  const logger = o.logger.child({ component: "xds-workers" });
  const n = Math.max(1, Math.floor(o.workers));
  const host = o.address.slice(0, o.address.lastIndexOf(":"));
  let port = Number(o.address.slice(o.address.lastIndexOf(":") + 1));
  const cache = new SnapshotCache();
  const encoder = new SnapshotEncoder();
  let seq = 0;
  let identities: [string, string][] | undefined;
  let tlsSent: SecureContextOptions | undefined;
  let closing = false;
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

  // The workers get this process's loaders (tsx when running from sources), not its test-runner or inspector flags.
  const execArgv = process.execArgv.filter((a) => !/^--(test|inspect|watch)/.test(a));
  cluster.setupPrimary({ exec: workerEntry(), args: [], execArgv, serialization: "advanced", silent: false });
  const slots: Slot[] = Array.from({ length: n }, (_, i) => ({ slot: i + 1, worker: undefined, ready: false, listening: false, holdings: emptyHoldings(), sentSeq: 0, appliedSeq: 0, rows: new Map(), connections: 0, restarts: 0, failures: 0, startedAt: 0 }));
  const byWorker = new Map<Worker, Slot>();
  const metricWaiters = new Map<number, (json: unknown[]) => void>();
  /** Last answers and exited workers' counters, so the summed /metrics never goes backwards (./metrics.ts). */
  const memory = new WorkerMetricsMemory();
  let metricIds = 0;

  const post = (s: Slot, m: ToWorker): boolean => {
    if (!s.ready || !s.worker?.isConnected()) return false;
    s.worker.send(m);
    return true;
  };
  const sendSnapshot = (s: Slot) => {
    // A worker not ready yet gets the current snapshot once it is (start()); what it holds stays as it was.
    if (!cache.current() || !s.ready || !s.worker?.isConnected()) return;
    post(s, encoder.message(seq, s.holdings));
    s.sentSeq = seq;
  };
  let firstListening: (() => void) | undefined;
  let firstFailed: ((err: Error) => void) | undefined;

  const fork = (s: Slot) => {
    s.holdings = emptyHoldings();
    s.ready = false;
    s.listening = false;
    s.appliedSeq = 0;
    s.startedAt = performance.now();
    const w = cluster.fork({ MESHC_XDS_WORKER: String(s.slot) });
    s.worker = w;
    byWorker.set(w, s);
    w.on("message", (m: FromWorker) => {
      switch (m.t) {
        case "ready":
          s.ready = true;
          start(s);
          return;
        case "listening":
          s.listening = true;
          if (port === 0) port = m.port;
          logger.info({ worker: s.slot, pid: w.process.pid, port: m.port }, "xDS worker listening");
          firstListening?.();
          changed();
          return;
        case "applied":
          s.appliedSeq = m.seq;
          changed();
          return;
        case "status":
          for (const id of m.removed) s.rows.delete(id);
          for (const row of m.upsert) s.rows.set(row.streamId, { ...row, worker: s.slot });
          s.connections = m.connections;
          changed();
          return;
        case "metrics":
          metricWaiters.get(m.id)?.(m.json);
          return;
      }
    });
    w.on("exit", (code, signal) => {
      byWorker.delete(w);
      if (s.worker !== w) return;
      void memory.exited(s.slot);
      s.worker = undefined;
      s.ready = false;
      s.listening = false;
      s.rows.clear();
      s.connections = 0;
      changed();
      if (closing) return;
      const quick = performance.now() - s.startedAt < 5_000;
      s.failures = quick ? s.failures + 1 : 0;
      if (firstFailed && !slots.some((x) => x.listening)) firstFailed(new Error(`xDS worker ${s.slot} exited before listening (code ${code}, signal ${signal})`));
      const delay = Math.min(30_000, 500 * 2 ** Math.max(0, s.failures - 1));
      s.restarts++;
      const info = CODES.XdsWorkerExited;
      const reason = signal ? `signal ${signal}` : `exit code ${code}`;
      logger.error({ code: info.code, worker: s.slot, pid: w.process.pid, exitCode: code, signal, restartInMs: delay }, `${info.code}: ${info.message.replace("{worker}", String(s.slot)).replace("{reason}", reason)}`);
      setTimeout(() => {
        if (!closing && !s.worker) fork(s);
      }, delay).unref();
    });
  };
  /** Start, then everything it needs to serve, in order (the worker queues what arrives before it listens). */
  const start = (s: Slot) => {
    post(s, {
      t: "init",
      slot: s.slot,
      address: o.address,
      limits: workerLimits(o.limits, n),
      tls: o.secureContext !== undefined,
      logLevel: o.logger.level,
      logFormat: o.logFormat ?? "json",
      statusEveryMs: o.statusEveryMs ?? 1000,
    });
    if (tlsSent) post(s, { t: "tls", context: tlsSent });
    if (identities) post(s, { t: "identities", entries: identities });
    sendSnapshot(s);
  };

  // The first worker binds (port 0 picks a free port), then the others are forked. Every worker listens with the
  // address as given: the cluster module shares one listening handle per address key, so with port 0 they all get
  // the port the first one bound (should every worker die at once, port 0 would pick a new port: use it in tests).
  // With a fixed port they all start at once, and this returns at once: the caller reads its build directory or
  // compiles while the workers start (whenListening() says when one listens, or why none could).
  const fixedPort = port !== 0;
  const listening = new Promise<void>((resolve, reject) => {
    firstListening = resolve;
    firstFailed = reject;
    for (const s of fixedPort ? slots : slots.slice(0, 1)) fork(s);
  }).finally(() => {
    firstListening = undefined;
    firstFailed = undefined;
  });
  listening.catch(() => undefined); // observed through whenListening()
  if (!fixedPort) {
    await listening;
    for (const s of slots.slice(1)) fork(s);
  }

  const syncTls = () => {
    const ctx = o.secureContext?.();
    if (ctx === tlsSent) return;
    tlsSent = ctx;
    for (const s of slots) post(s, { t: "tls", context: ctx ?? null });
  };
  const tlsTimer = o.secureContext ? setInterval(syncTls, 1000) : undefined;
  tlsTimer?.unref();
  syncTls();

  const proxies = () => {
    const list = slots.flatMap((s) => [...s.rows.values()]);
    return list.sort((a, b) => cmp(a.service, b.service) || cmp(a.node.id, b.node.id) || a.worker - b.worker || a.streamId - b.streamId);
  };

  return {
    get port() {
      return port;
    },
    get address() {
      return `${host}:${port}`;
    },
    authenticated: o.secureContext !== undefined,
    whenListening: () => listening,
    setSnapshot(mesh: MeshSnapshot) {
      const change = cache.setSnapshot(mesh);
      encoder.index(mesh);
      seq++;
      for (const s of slots) sendSnapshot(s);
      changed();
      logger.info({ services: mesh.proxies.size, resources: encoder.size, workers: slots.filter((s) => s.worker).length, changed: change.changed.length, added: change.added.length, removed: change.removed.length }, "snapshot published to the xDS workers");
      return change;
    },
    setIdentities(map: ReadonlyMap<string, string>) {
      if (!o.secureContext) return;
      syncTls(); // the certificate follows the trust domain, applied just before
      identities = [...map];
      for (const s of slots) post(s, { t: "identities", entries: identities });
    },
    snapshot: () => cache.current(),
    proxies,
    connections: () => slots.reduce((sum, s) => sum + s.connections, 0),
    onChange(listener: () => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    workers: () =>
      slots.map((s) => ({ slot: s.slot, pid: s.worker?.process.pid, listening: s.listening, current: s.worker !== undefined && s.appliedSeq === seq, serving: s.worker !== undefined && s.appliedSeq > 0, streams: s.rows.size, connections: s.connections, restarts: s.restarts })),
    async workerMetrics() {
      const asks = slots.map((s) =>
        !(s.ready && s.worker?.isConnected())
          ? memory.parts(s.slot, undefined)
          : new Promise<unknown[] | undefined>((resolve) => {
              const id = ++metricIds;
              const timer = setTimeout(() => {
                metricWaiters.delete(id);
                resolve(undefined);
              }, 2000);
              metricWaiters.set(id, (json) => {
                clearTimeout(timer);
                metricWaiters.delete(id);
                resolve(json);
              });
              post(s, { t: "metrics", id });
            }).then((json) => memory.parts(s.slot, json)),
      );
      return (await Promise.all(asks)).flat();
    },
    async close(graceMs = 5000) {
      if (closing) return;
      closing = true;
      if (tlsTimer) clearInterval(tlsTimer);
      const started = performance.now();
      const running = slots.flatMap((s) => (s.worker ? [s.worker] : []));
      const exited = running.map((w) => new Promise<void>((r) => (w.isDead() ? r() : w.once("exit", () => r()))));
      for (const w of running) if (w.isConnected()) w.send({ t: "close", graceMs } satisfies ToWorker);
      let timer: NodeJS.Timeout | undefined;
      const over = await Promise.race([Promise.all(exited).then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs + 2000)))]);
      clearTimeout(timer);
      if (over) {
        logger.warn({ graceMs }, "xDS workers still running after the shutdown grace; killing them");
        for (const w of running) if (!w.isDead()) w.process.kill("SIGKILL");
        await Promise.all(exited);
      }
      logger.info({ ms: Math.round(performance.now() - started), workers: running.length }, "xDS workers stopped");
    },
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
