// `meshc serve <mesh.ts | build-dir>`: the xDS control plane. Serves ADS (SotW and Delta) on --xds, admin HTTP on
// --admin, reloads on change (debounced), keeps the last good snapshot when a change does not compile, and shuts
// down gracefully on SIGTERM/SIGINT within --shutdown-grace. The limit options bound what xDS clients control
// (defaults in src/xds/limits.ts; README "Server limits").
import { Option, type Command } from "@commander-js/extra-typings";
import { createServeLogger } from "../../serve/logger.js";
import { DEFAULT_SHUTDOWN_GRACE_MS, StartCancelled, startServe, type ServeHandle } from "../../serve/serve.js";
import { DEFAULT_LIMITS as D, type XdsLimits } from "../../xds/limits.js";
import { addEvalOptions, evalLimits } from "../eval-options.js";
import { parseCount, parseDurationMs, parseSize, showDuration, showSize } from "../units.js";
import { ExposureError, readAdminToken } from "../../serve/exposure.js";
import { CaError } from "../../pki/ca-error.js";
import { availableParallelism } from "node:os";
import { exitProcess } from "../../runtime/stuck-workers.js";

/**
 * `--workers` by default: 0, ADS served in this process (`--workers N` forks N serving workers). The requests the
 * mTLS e2e tests lost with workers were the tests' own doing (a spawnSync of `meshc ca rotate` froze the test
 * process hosting the echo app and the traffic loop; the same loss happened with --workers 0; fixed in
 * test/e2e/lib/procs.ts runMeshc). One worker per core is still not the default: the worker protocol
 * (src/serve/cluster/protocol.ts) carries no snapshot variants, so with workers a proxy that should get its instance
 * or locality variant (issue 13) is served its service's base snapshot; test/e2e/instance-localities.test.ts fails
 * with the default set to the number of cores ("each web instance is served its own instance variant").
 */
const DEFAULT_WORKERS = 0;

export function register(program: Command): void {
  const cmd = program
    .command("serve")
    .description("serve a mesh (mesh.ts, compiled in process) or a build directory to Envoy and gRPC clients over xDS")
    .argument("<source>", "mesh entry module (mesh.ts) or a directory written by `meshc build`")
    .option("--xds <host:port>", "ADS gRPC address", "127.0.0.1:18000")
    .option("--admin <host:port>", "admin HTTP address (/healthz /readyz /metrics /debug/*)", "127.0.0.1:18001")
    .option("--strict", "warnings also keep a change from being served")
    .option("--no-watch", "load once; do not reload on change")
    .option("--debounce <ms>", "wait this long after the last change before reloading (default 25 for a mesh.ts, 100 for a build directory)")
    .option("--poll <ms>", "also re-check the inputs' contents this often (a safety net for missed file events; 0: off)", "2000")
    .option("--state-dir <dir>", "keep the last good snapshot here and serve it at once on the next start (default: .meshc beside the mesh)")
    .option("--no-state", "no warm-start state: compile before serving anything")
    .option("--log-level <level>", "pino log level", "info")
    .option("--shutdown-grace <duration>", `on SIGTERM/SIGINT, time given to streams and admin requests before everything is closed (default ${showDuration(DEFAULT_SHUTDOWN_GRACE_MS)})`, parseDurationMs)
    .option("--max-message-size <size>", `largest inbound xDS message; larger ones end the stream with RESOURCE_EXHAUSTED (default ${showSize(D.maxMessageBytes)})`, parseSize)
    .option("--max-node-size <size>", `largest encoded node (id, cluster, metadata) in a request (default ${showSize(D.maxNodeBytes)})`, parseSize)
    .option("--max-connections <n>", `open xDS connections; more are closed at once (default ${D.maxConnections})`, parseCount)
    .option("--max-streams-per-connection <n>", `concurrent streams on one HTTP/2 connection (default ${D.maxStreamsPerConnection})`, parseCount)
    .option("--stream-rate <n>", `optional rate limit on new ADS streams per second (over it they wait, one --stream-burst's worth, then get UNAVAILABLE); 0 = no limit (default ${D.streamsPerSecond}: --max-syncing bounds a herd instead)`, parseCount)
    .option("--stream-burst <n>", `new ADS streams admitted at once before --stream-rate applies (default ${D.streamBurst}; only with --stream-rate)`, parseCount)
    .option("--max-syncing <n>", `ADS streams in their initial sync (first full config not yet ACKed) at once; more wait in arrival order; 0 = no limit (default ${D.maxSyncingStreams})`, parseCount)
    .option("--max-syncing-per-connection <n>", `initial-sync slots one HTTP/2 connection may hold at once; its further new streams wait without holding up other connections'; 0 = no per-connection bound (default ${D.maxSyncingPerConnection})`, parseCount)
    .option("--sync-queue <n>", `ADS streams that may wait for an initial-sync slot; more get UNAVAILABLE and retry (default ${D.maxSyncQueue})`, parseCount)
    .option("--handshake-timeout <duration>", `close connections that send no HTTP/2 preface, and end streams that send no first request, within this time (default ${showDuration(D.handshakeTimeoutMs)})`, parseDurationMs)
    .option("--max-queued-bytes <size>", `unflushed response bytes per stream before it stops queueing (default ${showSize(D.maxQueuedBytes)})`, parseSize)
    .option("--stall-timeout <duration>", `close a stream whose client has not read its responses for this long (default ${showDuration(D.stallTimeoutMs)})`, parseDurationMs)
    .option("--client-max-message <size>", `report (log + metric) responses larger than the clients' receive limit (default ${showSize(D.clientMaxMessageBytes)})`, parseSize)
    .option("--max-connection-age <duration>", `GOAWAY connections after this age, ±10% jitter, so clients rebalance; 0 = never (default ${showDuration(D.maxConnectionAgeMs)})`, parseDurationMs)
    .option("--max-connection-age-grace <duration>", `streams still open that long after the age GOAWAY are cut (default ${showDuration(D.maxConnectionAgeGraceMs)})`, parseDurationMs)
    .option("--keepalive-time <duration>", `HTTP/2 PING interval to find dead (half-open) connections (default ${showDuration(D.keepaliveTimeMs)})`, parseDurationMs)
    .option("--keepalive-timeout <duration>", `drop a connection whose PING is not answered within this time (default ${showDuration(D.keepaliveTimeoutMs)})`, parseDurationMs)
    .option("--ca <dir>", "mesh CA directory (`meshc ca init`): issue each proxy's leaf certificate and serve it over SDS; ADS is then served over TLS and every proxy authenticates with a client certificate (`meshc bootstrap --ca`)")
    .option("--admin-token-file <file>", "bearer token required for /debug/* when --admin is not a loopback address")
    .option("--insecure", "serve ADS in plaintext, trusting node.cluster (the only mode without --ca; with --ca it turns TLS off; required with --insecure-allow-remote)")
    .option("--workers <n>", `xDS serving worker processes sharing the --xds port (this process keeps compiling, watching and the admin API); 0 serves ADS in this process (default ${DEFAULT_WORKERS}; this machine has ${availableParallelism()} cores)`, parseCount)
    .option("--insecure-allow-remote", "allow plaintext ADS on a non-loopback --xds address (warned at start)")
    .addOption(new Option("--log-format <format>", "json lines, or pretty (for people, ISO timestamps)").choices(["json", "pretty"] as const).default("json" as const));
  addEvalOptions(cmd).action(async (source, opts) => {
      const logger = createServeLogger({ level: opts.logLevel, format: opts.logFormat });
      const limits: Partial<XdsLimits> = {
        maxMessageBytes: opts.maxMessageSize,
        maxNodeBytes: opts.maxNodeSize,
        maxConnections: opts.maxConnections,
        maxStreamsPerConnection: opts.maxStreamsPerConnection,
        streamsPerSecond: opts.streamRate,
        streamBurst: opts.streamBurst,
        maxSyncingStreams: opts.maxSyncing,
        maxSyncQueue: opts.syncQueue,
        maxSyncingPerConnection: opts.maxSyncingPerConnection,
        handshakeTimeoutMs: opts.handshakeTimeout,
        maxQueuedBytes: opts.maxQueuedBytes,
        stallTimeoutMs: opts.stallTimeout,
        clientMaxMessageBytes: opts.clientMaxMessage,
        maxConnectionAgeMs: opts.maxConnectionAge,
        maxConnectionAgeGraceMs: opts.maxConnectionAgeGrace,
        keepaliveTimeMs: opts.keepaliveTime,
        keepaliveTimeoutMs: opts.keepaliveTimeout,
      };
      const graceMs = opts.shutdownGrace ?? DEFAULT_SHUTDOWN_GRACE_MS;
      let adminToken: string | undefined;
      try {
        if (opts.adminTokenFile) adminToken = readAdminToken(opts.adminTokenFile);
      } catch (err) {
        return program.error(`meshc serve: ${(err as Error).message}`, { exitCode: 2 }) as never;
      }
      // Signals are handled from the start: SIGTERM during a cold start (the first load of a large mesh or build
      // directory) cancels it and takes the same clean shutdown path as later (exit 0), not Node's default exit.
      let handle: ServeHandle | undefined;
      let stopping = false;
      const starting = new AbortController();
      let stopped!: () => void;
      const done = new Promise<void>((r) => (stopped = r));
      const stop = (signal: string) => {
        if (stopping) {
          // A second signal: the operator does not want to wait for the grace period.
          logger.warn({ signal }, "second signal; exiting now");
          exitProcess(1);
        }
        stopping = true;
        logger.info({ signal, graceMs }, "shutting down");
        starting.abort();
        if (handle) void handle.close().then(stopped, stopped);
      };
      process.on("SIGTERM", () => stop("SIGTERM"));
      process.on("SIGINT", () => stop("SIGINT"));
      handle = await startServe({
        signal: starting.signal,
        ...(adminToken !== undefined ? { adminToken } : {}),
        insecure: opts.insecure === true,
        insecureAllowRemote: opts.insecureAllowRemote === true,
        source,
        xdsAddress: opts.xds,
        adminAddress: opts.admin,
        strict: opts.strict === true,
        watch: opts.watch,
        ...(opts.debounce !== undefined && { debounceMs: Number(opts.debounce) }),
        pollMs: Number(opts.poll),
        eval: evalLimits(opts as { evalTimeout?: number; evalMaxHeap?: number }),
        stateDir: opts.state === false ? false : opts.stateDir,
        logger,
        limits,
        shutdownGraceMs: graceMs,
        workers: opts.workers ?? DEFAULT_WORKERS,
        logFormat: opts.logFormat,
        ...(opts.ca !== undefined && { caDir: opts.ca }),
      }).catch((err: Error) => {
        if (err instanceof StartCancelled) return undefined;
        // A CA directory that cannot be used (src/pki/ca-dir.ts: it names the file and the problem) is a
        // configuration error like an unsafe exposure: one line, exit 2, no stack.
        if (err instanceof ExposureError || err instanceof CaError) return program.error(`meshc serve: ${err.message}`, { exitCode: 2 }) as never;
        throw err;
      });
      if (!handle) {
        logger.info("stopped before serving (signal during start-up)");
        stopped();
      } else if (stopping) void handle.close().then(stopped, stopped); // the signal came as the start finished
      await done;
      // Everything meshc opened is closed by now; should anything else still hold the event loop (a library
      // timer, a socket in an odd state), shutdown stays bounded: this timer only fires if the process lingers.
      setTimeout(() => {
        logger.warn("handles still open after shutdown; exiting");
        exitProcess(typeof process.exitCode === "number" ? process.exitCode : 0);
      }, 1000).unref();
    });
}
