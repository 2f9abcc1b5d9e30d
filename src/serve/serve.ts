// `meshc serve`: load a source, serve it over ADS, reload on change. A load that fails keeps the last good
// snapshot serving and exposes the diagnostics (logs, /debug/diagnostics, metrics); a good one is handed to the
// xDS server, which pushes only what changed to only the proxies it changed for.
import { pino, type Logger } from "pino";
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { renderHuman } from "../diagnostics/render.js";
import type { Diagnostic } from "../diagnostics/types.js";
import { startXdsServer, type XdsServer } from "../xds/index.js";
import { startAdmin } from "./admin.js";
import { checkXdsExposure } from "./exposure.js";
import { CertificateManager, meshUsesMtls } from "./certificates.js";
import { CODES } from "../analysis/codes.js";
import { openSource } from "./source.js";
import { watchBuildDir, watchFiles, type Watcher } from "./watch.js";

export interface ServeOptions {
  source: string;
  xdsAddress?: string;
  adminAddress?: string;
  /** Warnings block a snapshot too. */
  strict?: boolean;
  watch?: boolean;
  debounceMs?: number;
  logger?: Logger;
  /** Bearer token for admin /debug/* on a non-loopback admin address. */
  adminToken?: string;
  /** Plaintext ADS (the only kind served so far) on a non-loopback address needs both. */
  insecure?: boolean;
  insecureAllowRemote?: boolean;
  /** Mesh CA directory: issue leaf certificates and serve them over SDS (issue 8). */
  caDir?: string;
}

export interface ServeHandle {
  xds: XdsServer;
  adminPort: number;
  /** Loads the source now (also what a file change triggers); resolves when that load is applied or refused. */
  reload(): Promise<boolean>;
  close(): Promise<void>;
}

export async function startServe(options: ServeOptions): Promise<ServeHandle> {
  const logger = options.logger ?? pino({ name: "meshc" });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const compileSeconds = new Histogram({ name: "meshc_compile_duration_seconds", help: "Time to load the source into a snapshot", registers: [registry], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10] });
  const compileFailures = new Counter({ name: "meshc_compile_failures_total", help: "Loads that produced no snapshot (the previous one keeps serving)", registers: [registry] });
  const source = openSource(options.source, { strict: options.strict });
  let last: { ok: boolean; at: string; diagnostics: Diagnostic[]; source: string } | undefined;
  let watcher: Watcher | undefined;

  for (const w of checkXdsExposure(options.xdsAddress ?? "127.0.0.1:18000", options)) logger.warn(w);
  const xds = await startXdsServer({ address: options.xdsAddress, logger, registry });
  const certs = options.caDir === undefined ? undefined : new CertificateManager({ caDir: options.caDir, logger, registry, onChange: (s) => {
    const change = xds.setSnapshot(s);
    logger.info({ ...change }, "certificates changed");
  } });
  if (certs) {
    try {
      await certs.start();
    } catch (err) {
      await xds.close();
      throw err;
    }
  }

  const loadOnce = async (): Promise<boolean> => {
    const end = compileSeconds.startTimer();
    const r = await source.load().catch((err: Error): Awaited<ReturnType<typeof source.load>> => ({
      diagnostics: [{ code: "MESH0002", severity: "error", message: err.stack ?? err.message }],
      inputs: [],
    }));
    const seconds = end();
    watcher?.setFiles(r.inputs);
    const ok = r.snapshot !== undefined;
    last = { ok, at: new Date().toISOString(), diagnostics: r.diagnostics, source: source.path };
    if (r.diagnostics.length) {
      const text = renderHuman(r.diagnostics, { color: false });
      logger[ok ? "warn" : "error"]({ diagnostics: r.diagnostics }, `${ok ? "warnings" : "load failed, still serving the previous snapshot"}:\n${text}`);
    }
    // A mesh with mTLS needs certificates: without --ca its listeners and clusters would wait for them forever.
    if (r.snapshot && r.ir && meshUsesMtls(r.ir) && !certs) {
      const info = CODES.MtlsWithoutCa;
      const d: Diagnostic = { code: info.code, severity: info.severity, message: info.message, hint: info.hint };
      last = { ok: false, at: last!.at, diagnostics: [...r.diagnostics, d], source: source.path };
      logger.error({ diagnostics: [d] }, `load refused, still serving the previous snapshot:\n${renderHuman([d], { color: false })}`);
      r.snapshot = undefined;
    }
    if (r.snapshot && certs && r.ir) r.snapshot = await certs.attach(r.snapshot, r.ir);
    if (!r.snapshot) {
      compileFailures.inc();
      return false;
    }
    const change = xds.setSnapshot(r.snapshot);
    logger.info({ seconds: Math.round(seconds * 1000) / 1000, proxies: r.snapshot.proxies.size, ...change }, "snapshot loaded");
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
      while (again) {
        again = false;
        ok = await loadOnce();
      }
      return ok;
    })();
    try {
      return await running;
    } finally {
      running = undefined;
    }
  };

  if (options.watch !== false) {
    const onChange = (path: string) => {
      logger.info({ path }, "change detected");
      void reload();
    };
    watcher = source.kind === "build-dir" ? watchBuildDir(source.path, onChange, options.debounceMs) : watchFiles([source.path], onChange, options.debounceMs);
  }
  await reload();
  let admin: Awaited<ReturnType<typeof startAdmin>>;
  try {
    admin = await startAdmin(options.adminAddress ?? "127.0.0.1:18001", { xds, registry, lastLoad: () => last, ...(options.adminToken !== undefined ? { adminToken: options.adminToken } : {}) });
  } catch (err) {
    // Without this the xDS server would keep the process alive after the error is reported.
    await watcher?.close();
    await xds.close();
    throw err;
  }
  logger.info({ xds: xds.address, admin: admin.port, source: source.path }, "meshc serve ready");

  return {
    xds,
    adminPort: admin.port,
    reload,
    async close() {
      certs?.close();
      await watcher?.close();
      await new Promise<void>((resolve) => admin.server.close(() => resolve()));
      admin.server.closeAllConnections();
      await xds.close();
    },
  };
}
