// `meshc serve`: load a source, serve it over ADS, reload on change. A load that fails keeps the last good
// snapshot serving and exposes the diagnostics (logs, /debug/diagnostics, /readyz, metrics); a good one is handed to
// the xDS server, which pushes only what changed to only the proxies it changed for.
// Warm start (mesh.ts sources): the last good snapshot is kept in a state directory (state.ts) and served at once on
// the next start, while the first compile runs; the compile then replaces it (unchanged content keeps its versions).
// Evaluation runs in a worker (src/frontend/isolate.ts), so an edit that loops, exits or exhausts its heap cannot
// stall the ADS server, the admin endpoints or signal handling; close() cancels a load in progress.
import { dirname, join, resolve } from "node:path";
import { pino, type Logger } from "pino";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { CODES } from "../analysis/codes.js";
import { renderHuman } from "../diagnostics/render.js";
import type { Diagnostic } from "../diagnostics/types.js";
import type { EvalLimits } from "../frontend/isolate.js";
import type { MeshSnapshot } from "../snapshot/types.js";
import { startXdsServer, type XdsServer } from "../xds/index.js";
import { tuneJitForServing } from "../xds/jit.js";
import type { XdsLimits } from "../xds/limits.js";
import { registerProxySyncMetrics } from "../xds/sync-metrics.js";
import { startAdmin, type Readiness } from "./admin.js";
import { checkXdsExposure } from "./exposure.js";
import type { CertificateManager } from "./certificates.js";
import { planIdentities, serviceIdentities } from "./identities.js";
import type { CertificatePlan } from "../pki/plan.js";
import type { MeshIR } from "../ir/types.js";
import { openSource } from "./source.js";
import { loadRegistryState, loadState, registryStoreIntervalMs, saveRegistryState, saveState } from "./state.js";
import { LiveStatus } from "./live.js";
import { graphFromIr, graphFromSnapshot } from "../graph/model.js";
import { RegistryFeed } from "./registry.js";
import { watchBuildDir, watchFiles, type Fingerprint, type Watcher } from "./watch.js";
import { startXdsWorkers, type XdsWorkers } from "./cluster/primary.js";
import { ClusterRegistry } from "./cluster/metrics.js";
import { withinGrace } from "./shutdown.js";

export interface ServeOptions {
  source: string;
  xdsAddress?: string;
  adminAddress?: string;
  /** Warnings block a snapshot too. */
  strict?: boolean;
  watch?: boolean;
  debounceMs?: number;
  /** Safety-net re-check of the inputs' contents, in ms; 0 turns it off. @default 2000 */
  pollMs?: number;
  /** Limits for evaluating mesh.ts (time, heap). */
  eval?: Omit<EvalLimits, "signal">;
  /**
   * Where the last good snapshot is kept for a warm start (mesh.ts sources): a directory, or false for none.
   * @default `.meshc` beside the mesh
   */
  stateDir?: string | false;
  logger?: Logger;
  /** Bounds on what xDS clients control (defaults: DEFAULT_LIMITS in src/xds/limits.ts). */
  limits?: Partial<XdsLimits>;
  /** How long `close` lets streams and admin requests finish before closing everything (default 5000 ms). */
  shutdownGraceMs?: number;
  /** Bearer token for admin /debug/* on a non-loopback admin address. */
  adminToken?: string;
  /**
   * Plaintext ADS. With `caDir`, ADS is served over TLS with client certificates unless this is set; plaintext on a
   * non-loopback address also needs `insecureAllowRemote`.
   */
  insecure?: boolean;
  insecureAllowRemote?: boolean;
  /** Mesh CA directory: issue leaf certificates and serve them over SDS (issue 8). */
  caDir?: string;
  /** Registry (issue 16): coalescing window for endpoint changes, and etcd call timings. */
  registry?: {
    coalesceMs?: number; callTimeoutMs?: number; probeMs?: number; retryMs?: number; failuresBeforeDown?: number;
    /** The least time between two stores of registry.json (state.ts registryStoreIntervalMs). @default 5000 */
    storeIntervalMs?: number;
  };
  /**
   * xDS serving worker processes (src/serve/cluster/): 0 serves ADS in this process; N >= 1 forks N workers that
   * share the xDS port while this process keeps compiling, watching and the admin API. @default 0
   */
  workers?: number;
  /** Log format of the worker processes (this process logs through `logger`). @default "json" */
  logFormat?: "json" | "pretty";
  /**
   * Aborted (SIGTERM/SIGINT) while starting: the first load is cancelled, what was opened is closed, and startServe
   * rejects with StartCancelled instead of serving. After startServe resolves, stop with the handle's close().
   */
  signal?: AbortSignal;
}

/** startServe's rejection when its `signal` was aborted before the server was ready (a signal during a cold start). */
export class StartCancelled extends Error {
  override name = "StartCancelled";
  constructor() {
    super("stopped before the server was ready");
  }
}

export const DEFAULT_SHUTDOWN_GRACE_MS = 5_000;

export interface ServeHandle {
  xds: XdsServer;
  adminPort: number;
  /** Loads the source now (also what a file change triggers); resolves when that load is applied or refused. */
  reload(): Promise<boolean>;
  /** The first compile after start (already settled unless the server started warm). */
  initialLoad: Promise<boolean>;
  close(): Promise<void>;
}

interface LastLoad {
  ok: boolean;
  at: string;
  diagnostics: Diagnostic[];
  source: string;
}

export async function startServe(options: ServeOptions): Promise<ServeHandle> {
  const logger = options.logger ?? pino({ name: "meshc" });
  const workers = Math.max(0, Math.floor(options.workers ?? 0));
  const registry = workers > 0 ? new ClusterRegistry() : new Registry();
  collectDefaultMetrics({ register: registry });
  const compileSeconds = new Histogram({ name: "meshc_compile_duration_seconds", help: "Time to load the source into a snapshot", registers: [registry], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10] });
  const compileFailures = new Counter({ name: "meshc_compile_failures_total", help: "Loads that produced no snapshot (the previous one keeps serving)", registers: [registry] });
  const newestCompiled = new Gauge({ name: "meshc_newest_source_compiled", help: "1 when the newest load of the source produced the snapshot being served, 0 when it failed (or none finished yet)", registers: [registry] });
  const newestAt = new Gauge({ name: "meshc_newest_source_load_timestamp_seconds", help: "When the newest load of the source finished (Unix time)", registers: [registry] });
  const serving = new Gauge({ name: "meshc_serving_snapshot", help: "1 while a snapshot is being served (what /readyz reports)", registers: [registry] });
  const inputGone = new Counter({ name: "meshc_watch_input_disappeared_total", help: "Times a watched input file or directory disappeared", registers: [registry] });
  const inputBack = new Counter({ name: "meshc_watch_input_reappeared_total", help: "Times a disappeared watched input came back", registers: [registry] });
  const source = openSource(options.source, { strict: options.strict, eval: options.eval });
  const stateDir = source.kind === "mesh" && options.stateDir !== false ? resolve(options.stateDir ?? join(dirname(source.path), ".meshc")) : undefined;
  let last: LastLoad | undefined;
  let served: { origin: "warm-start" | "compiled"; since: string; compiledAt: string } | undefined;
  let stored: string | undefined; // versions of the snapshot in the state dir, to skip rewriting the same one
  let watcher: Watcher | undefined;
  let closing = false;
  const cancel = new AbortController();
  const stopStarting = () => {
    closing = true; // loads started from now on do nothing; the one in progress is cancelled
    cancel.abort();
  };
  if (options.signal?.aborted) stopStarting();
  else options.signal?.addEventListener("abort", stopStarting, { once: true });

  const versionsKey = (s: MeshSnapshot) => JSON.stringify([...s.proxies].map(([k, p]) => [k, p.versions, ...[...(p.variants ?? [])].map(([v, x]) => [v, x.versions])]));

  // With a CA, ADS is TLS with client certificates (./xds-tls.ts) unless --insecure asks for plaintext.
  // The CA's modules (X.509) are loaded only with --ca (issue 12: start -> ready).
  const xdsTls = options.caDir !== undefined && !options.insecure ? new (await import("./xds-tls.js")).XdsServerTls({ caDir: options.caDir, logger, registry }) : undefined;
  if (!xdsTls) for (const w of checkXdsExposure(options.xdsAddress ?? "127.0.0.1:18000", { ...options, withCa: options.caDir !== undefined })) logger.warn(w);
  await xdsTls?.start();
  // Which identity each service's proxies must present (authenticated ADS): from the IR, else the certificate plan
  // of a build directory or stored snapshot.
  const bindIdentities = async (ir: MeshIR | undefined, plan: CertificatePlan | undefined): Promise<void> => {
    if (ir) {
      await xdsTls?.apply(ir.trustDomain);
      xds.setIdentities(serviceIdentities(ir));
    } else if (plan) {
      const { identities, trustDomain } = planIdentities(plan);
      if (trustDomain !== undefined) await xdsTls?.apply(trustDomain);
      xds.setIdentities(identities);
    }
  };
  const pool: XdsWorkers | undefined =
    workers > 0
      ? await startXdsWorkers({ workers, address: options.xdsAddress ?? "127.0.0.1:18000", logger, limits: options.limits, ...(options.logFormat && { logFormat: options.logFormat }), ...(xdsTls ? { secureContext: () => xdsTls.secureContext() } : {}) })
      : undefined;
  if (!pool) tuneJitForServing(); // before the first stream (src/xds/jit.ts); the workers do the same
  const xds: XdsServer = pool ?? (await startXdsServer({ address: options.xdsAddress, logger, registry, limits: options.limits, ...(xdsTls ? { auth: { secureContext: () => xdsTls.secureContext() } } : {}) }));
  if (pool && registry instanceof ClusterRegistry) registry.workerMetrics = () => pool.workerMetrics();
  if (xdsTls) xdsTls.clients = () => xds.proxies();
  const graceMs = options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
  const syncMetrics = registerProxySyncMetrics(registry, xds);
  const live = new LiveStatus(xds, () => last, (err) => logger.warn({ err: err.message }, "could not render the service graph"));

  // Registry endpoints (issue 16) are overlaid on whatever base snapshot is served (compiled, warm, re-certified).
  let base: MeshSnapshot | undefined;
  const feed = new RegistryFeed({ logger, registry, coalesceMs: options.registry?.coalesceMs, timings: options.registry, republish: () => {
    if (base && !closing) xds.setSnapshot(feed.apply(base));
    scheduleRegistryStore();
  } });

  // The warm-start state (state.ts): the last compiled snapshot (key-free, static instances only) with the mesh's IR
  // when it has a registry, stored after each compile; and the registry entries in use (registry.json), stored on
  // their own after registry changes: streamed in chunks, one store at a time, the next no sooner than
  // registryStoreIntervalMs after the last (longer for a larger registry), and once more at close. A registry change
  // never stores the snapshot again (a registry at its limits made that block serve for seconds).
  let storedRegistry: string | undefined;
  let compiles = 0; // a compile can change which entries are in use (registry keys) without a registry change
  let registryDirty = false;
  let registryTimer: NodeJS.Timeout | undefined;
  let registryWriting: Promise<void> | undefined;
  let registryLastEnd = 0;
  let registryInterval = 0;
  const registryStores = new Counter({ name: "meshc_state_registry_stores_total", help: "Times registry.json was written to the state directory (registry entries for a warm start)", registers: [registry] });
  const registryStoreBytes = new Gauge({ name: "meshc_state_registry_bytes", help: "Size of registry.json as last written", registers: [registry] });
  const storeRegistry = async (): Promise<void> => {
    registryDirty = false;
    const reg = stateDir ? feed.toStore() : undefined;
    const regKey = reg && `${reg.prefix}@${reg.version}@${compiles}`;
    if (!stateDir || !reg || regKey === storedRegistry) return;
    const t0 = performance.now();
    const entries = reg.entries();
    const r = await saveRegistryState(stateDir, source.path, { prefix: reg.prefix, savedAt: new Date().toISOString(), entries }).then(
      (r) => {
        storedRegistry = regKey;
        registryStores.inc();
        registryStoreBytes.set(r.bytes);
        if (r.truncated) logger.warn({ stateDir, stored: r.entries, entries: entries.length, bytes: r.bytes }, `registry.json holds only ${r.entries} of the ${entries.length} registry entries in use (it is bounded); a warm start serves those until the registry lists`);
        return r;
      },
      (e: Error) => {
        logger.warn({ stateDir, err: e.message }, "could not store the registry entries for a warm start");
        return undefined;
      },
    );
    registryLastEnd = performance.now();
    registryInterval = registryStoreIntervalMs(r?.bytes ?? 0, registryLastEnd - t0, options.registry?.storeIntervalMs);
  };
  const writeRegistry = (): Promise<void> =>
    (registryWriting ??= storeRegistry().finally(() => {
      registryWriting = undefined;
      if (registryDirty) scheduleRegistryStore();
    }));
  const scheduleRegistryStore = () => {
    if (!stateDir || closing) return;
    registryDirty = true;
    if (registryTimer || registryWriting) return;
    // The first store a second after the registry lists; the next ones spaced by registryInterval.
    const wait = Math.max(1000, registryLastEnd + registryInterval - performance.now());
    registryTimer = setTimeout(() => {
      registryTimer = undefined;
      void writeRegistry();
    }, wait);
    registryTimer.unref();
  };
  const storedMesh = (ir: MeshIR | undefined) => (ir?.discovery ? ir : undefined);
  const stateKey = (s: MeshSnapshot, ir: MeshIR | undefined) => `${versionsKey(s)}|${ir?.discovery ? JSON.stringify(ir) : ""}`;
  const certificates = options.caDir === undefined ? undefined : await import("./certificates.js");
  const certs: CertificateManager | undefined = options.caDir === undefined || !certificates ? undefined : new certificates.CertificateManager({ caDir: options.caDir, logger, registry, acked: () => certificates.secretsAcked(xds), ...(xdsTls && { rolloutCaveat: () => {
    const old = xdsTls.oldRootClients();
    return old.length ? `${old.length} prox${old.length === 1 ? "y" : "ies"} (${old.slice(0, 10).join(", ")}${old.length > 10 ? ", …" : ""}) still authenticate to the xDS server with a bootstrap credential from the old root; \`meshc ca rotate --finish\` would cut them off: run \`meshc bootstrap --ca\` for each again and restart it first` : undefined;
  } }), onChange: (s) => {
    base = s;
    const change = xds.setSnapshot(feed.apply(s));
    logger.info({ ...change }, "certificates changed");
  } });
  if (certs) {
    try {
      await certs.start();
    } catch (err) {
      xdsTls?.close();
      await xds.close(graceMs);
      throw err;
    }
  }

  // The stored snapshot carries no certificates (only what `meshc build` writes, with its certificate plan): with
  // --ca, fresh leaves are issued for it before it is served.
  if (stateDir) {
    const warm = await loadState(stateDir, source.path).catch((e: Error) => ({ problem: e.message }));
    const entries = await loadRegistryState(stateDir, source.path).catch((e: Error) => ({ problem: e.message }));
    if (entries && "entries" in entries) {
      feed.restore(entries);
      if (entries.truncatedFrom !== undefined) logger.warn({ stateDir, stored: entries.entries.length, entries: entries.truncatedFrom }, `the state directory holds only ${entries.entries.length} of the ${entries.truncatedFrom} registry entries that were in use (registry.json is bounded)`);
    } else if (entries) logger.warn({ stateDir, problem: entries.problem }, `the stored registry entries are not used: ${entries.problem}`);
    if (warm && "snapshot" in warm && warm.certificates && !certs) {
      const info = CODES.StoredSnapshotUnusable;
      logger.warn({ code: info.code, stateDir }, `${info.code}: the stored snapshot uses mTLS and needs --ca; compiling first`);
    } else if (warm && "snapshot" in warm) {
      await bindIdentities(undefined, warm.certificates);
      // A mesh with a registry: its stored IR says how the stored entries become endpoints and which registry to
      // follow, so they are overlaid now, and the registry's changes apply even while mesh.ts does not compile.
      if (warm.registryMesh) {
        try {
          await feed.compiled(warm.registryMesh, dirname(source.path), { compiledAt: warm.compiledAt });
          feed.apply(warm.snapshot); // a stored IR that does not fit the snapshot fails here, not on a registry change
        } catch (err) {
          logger.warn({ stateDir, err: (err as Error).message }, "the stored registry setting is not used; the registry is followed once mesh.ts compiles");
          await feed.forget();
          if (entries && "entries" in entries) feed.restore(entries); // for the first compile, as without a stored setting
        }
      } else if (warm.registryMeshProblem) {
        logger.warn({ stateDir, problem: warm.registryMeshProblem }, `the stored registry setting is not used; the registry is followed once mesh.ts compiles: ${warm.registryMeshProblem}`);
      }
      xds.setSnapshot(feed.apply((base = certs ? await certs.attach(warm.snapshot, warm.certificates) : warm.snapshot)));
      live.setGraph(graphFromSnapshot("mesh", warm.snapshot));
      stored = stateKey(warm.snapshot, warm.registryMesh);
      served = { origin: "warm-start", since: new Date().toISOString(), compiledAt: warm.compiledAt };
      serving.set(1);
      logger.info({ stateDir, compiledAt: warm.compiledAt, proxies: warm.snapshot.proxies.size, ...(warm.registryMesh && { registryEntries: feed.status()?.entries ?? 0 }) }, "warm start: serving the stored snapshot while compiling");
    } else if (warm) {
      const info = CODES.StoredSnapshotUnusable;
      logger.warn({ code: info.code, stateDir, problem: warm.problem }, `${info.code}: the stored snapshot is not served: ${warm.problem}`);
    }
  }

  const loadOnce = async (): Promise<boolean> => {
    if (closing) return false;
    const end = compileSeconds.startTimer();
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const before: Fingerprint | undefined = await watcher?.fingerprint();
    const fingerprinted = performance.now();
    const r = await source.load(cancel.signal).catch((err: Error): Awaited<ReturnType<typeof source.load>> => ({
      diagnostics: [{ code: "MESH0002", severity: "error", message: err.stack ?? err.message }],
      inputs: [],
    }));
    const seconds = end();
    const loadedAt = performance.now();
    if (closing) {
      // Shutting down: a load cut short by close() is neither applied nor reported as a failure.
      if (r.cancelled) logger.info({ source: source.path }, "load cancelled by shutdown");
      return false;
    }
    if (before) watcher?.loaded(r.inputs.length ? r.inputs : [source.path], before);
    const ok = r.snapshot !== undefined;
    const at = new Date().toISOString();
    last = { ok, at, diagnostics: r.diagnostics, source: source.path };
    newestCompiled.set(ok ? 1 : 0);
    newestAt.set(Date.parse(at) / 1000);
    if (r.diagnostics.length) {
      const text = renderHuman(r.diagnostics, { color: false });
      logger[ok ? "warn" : "error"]({ diagnostics: r.diagnostics }, `${ok ? "warnings" : served ? "load failed, still serving the previous snapshot" : "load failed, nothing to serve yet"}:\n${text}`);
    }
    // A mesh with mTLS needs certificates: without --ca its listeners and clusters would wait for them forever.
    if (r.snapshot && r.certificates && !certs) {
      const info = CODES.MtlsWithoutCa;
      const d: Diagnostic = { code: info.code, severity: info.severity, message: info.message, hint: info.hint };
      last = { ok: false, at: last!.at, diagnostics: [...r.diagnostics, d], source: source.path };
      logger.error({ diagnostics: [d] }, `load refused, still serving the previous snapshot:\n${renderHuman([d], { color: false })}`);
      r.snapshot = undefined;
    }
    // Stored for a warm start without its secrets (keys never go to disk): the snapshot from before they are attached.
    const keyFree = r.snapshot;
    // With a CA, attach() through publishing is one section no certificate tick runs in (CertificateManager.exclusive):
    // a tick in between would publish this snapshot's leaves (attach keeps it as the one to re-certify) before its
    // identities are bound, giving a service's new identity's key to streams still bound under its old identity.
    const publish = async () => {
      if (r.snapshot && certs) r.snapshot = await certs.attach(r.snapshot, r.certificates);
      if (closing) return undefined; // shutdown began meanwhile: nothing is published after it starts
      const snapshot = r.snapshot;
      if (!snapshot) {
        compileFailures.inc();
        return undefined;
      }
      if (r.ir) await feed.compiled(r.ir, dirname(source.path));
      await bindIdentities(r.ir, r.certificates);
      if (closing) return undefined;
      base = snapshot;
      const checked = performance.now();
      const change = xds.setSnapshot(feed.apply(snapshot));
      return { snapshot, change, checked, published: performance.now() };
    };
    const done = certs ? await certs.exclusive(publish) : await publish();
    if (!done) return false;
    const { snapshot, change, checked, published } = done;
    served = { origin: "compiled", since: at, compiledAt: at };
    serving.set(1);
    // Push first: the streams' pumps (setImmediate, src/xds/stream.ts) write the change out before the service graph,
    // the log line and the warm-start store run on this event loop (issue 12: publish -> last ACK).
    await new Promise((r) => setImmediate(r));
    const graphed = performance.now();
    live.setGraph(r.ir ? graphFromIr(r.ir) : graphFromSnapshot(r.meshName ?? "mesh", snapshot));
    // Where the reload's time went (ms): bench/hot-reload.ts prints these.
    const ms = (a: number, b: number) => Math.round((b - a) * 10) / 10;
    const stages: Record<string, number> = { fingerprint: ms(t0, fingerprinted), ...r.timings, load: ms(fingerprinted, loadedAt), checks: ms(loadedAt, checked), publish: ms(checked, published), pushed: ms(published, graphed), graph: ms(graphed, performance.now()) };
    // CPU of the whole process (every thread: the type check's, the evaluation worker's) from start to published.
    const cpu = process.cpuUsage(cpu0);
    stages.cpu = Math.round((cpu.user + cpu.system) / 100) / 10;
    logger.info({ seconds: Math.round(seconds * 1000) / 1000, proxies: snapshot.proxies.size, ...change, ...(r.readStats && { read: r.readStats }), stages, ...(r.translation && { translation: r.translation }) }, "snapshot loaded");
    if (stateDir && r.meshName !== undefined) {
      const key = stateKey(keyFree!, r.ir);
      if (key !== stored) {
        await saveState(stateDir, source.path, r.meshName, keyFree!, at, r.certificates, storedMesh(r.ir)).then(
          () => (stored = key),
          (e: Error) => logger.warn({ stateDir, err: e.message }, "could not store the snapshot for a warm start"),
        );
      }
      compiles++;
      if (r.ir?.discovery) scheduleRegistryStore();
    }
    return true;
  };

  // One load at a time; changes during a load coalesce into one more load after it.
  let running: Promise<boolean> | undefined;
  let again = false;
  const reload = async (): Promise<boolean> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let ok = await loadOnce();
      while (again && !closing) {
        again = false;
        ok = await loadOnce();
      }
      return ok;
    })();
    try {
      return await running;
    } finally {
      running = undefined;
      live.notify(); // the dashboard shows the load's outcome and diagnostics
    }
  };

  if (options.watch !== false) {
    const onChange = (path: string) => {
      logger.info({ path }, "change detected");
      void reload();
    };
    const watchOptions = {
      debounceMs: options.debounceMs,
      pollMs: options.pollMs,
      disappeared(path: string) {
        inputGone.inc();
        logger.warn({ path }, "a watched input disappeared; waiting for it to come back");
      },
      reappeared(path: string) {
        inputBack.inc();
        logger.info({ path }, "a watched input is back");
      },
    };
    watcher = source.kind === "build-dir" ? watchBuildDir(source.path, onChange, watchOptions) : watchFiles([source.path], onChange, watchOptions);
  }

  const readiness = (): Readiness => ({
    // With workers: also at least one worker listening with the current snapshot, and none listening without any
    // snapshot (it would refuse the streams handed to it); a worker not listening (restarting) gets no connections.
    ready: xds.snapshot() !== undefined && (!pool || (pool.workers().some((w) => w.listening && w.current) && pool.workers().every((w) => !w.listening || w.serving))),
    ...(pool && { workers: pool.workers() }),
    serving: served ?? null,
    newest: last ? { compiled: last.ok, at: last.at, errors: last.diagnostics.filter((d) => d.severity === "error").length } : null,
    compiling: running !== undefined,
    ...(feed.status() ? { registry: feed.status() } : {}),
  });

  const initialLoad = reload();
  // Warm: answer proxies and admin requests now; cold: the first compile decides what there is to serve.
  if (!served) await initialLoad;
  else initialLoad.catch(() => undefined);
  let admin: Awaited<ReturnType<typeof startAdmin>>;
  try {
    if (options.signal?.aborted) throw new StartCancelled(); // a signal during the cold start: close, serve nothing
    await pool?.whenListening(); // the workers started while the source loaded
    admin = await startAdmin(options.adminAddress ?? "127.0.0.1:18001", { xds, registry, lastLoad: () => last, readiness, live, ...(options.adminToken !== undefined ? { adminToken: options.adminToken } : {}) });
  } catch (err) {
    // Without this the xDS server would keep the process alive after the error is reported.
    closing = true;
    cancel.abort();
    syncMetrics.stop();
    live.close();
    certs?.close();
    xdsTls?.close();
    await Promise.all([watcher?.close(), feed.close(), withinGrace(initialLoad, graceMs), xds.close(graceMs)]);
    throw err;
  }
  const ready = { xds: xds.address, admin: admin.port, source: source.path, warm: served?.origin === "warm-start", serving: served !== undefined };
  // Listening either way; with nothing to serve (the first load failed) /readyz answers 503 until a load succeeds.
  if (served) logger.info(ready, "meshc serve ready");
  else logger.warn(ready, "meshc serve ready, serving nothing: the first load failed; waiting for a good one");

  return {
    xds,
    adminPort: admin.port,
    reload,
    initialLoad,
    async close() {
      // A load in progress is cancelled (its worker terminated) and never applied.
      closing = true;
      cancel.abort();
      syncMetrics.stop();
      live.close();
      certs?.close();
      await feed.close();
      // Registry changes not stored yet (the store is spaced out) are stored now; nothing is written after close().
      clearTimeout(registryTimer);
      const pending = registryDirty || registryTimer !== undefined;
      registryTimer = undefined;
      await registryWriting;
      if (pending) await writeRegistry();
      xdsTls?.close();
      // Bounded: both servers get the same grace in parallel, then whatever is left is closed. The cancelled load
      // is waited for within the same grace only (it publishes nothing once closing is set).
      await Promise.all([watcher?.close(), withinGrace(running, graceMs), admin.close(graceMs), xds.close(graceMs)]);
    },
  };
}
