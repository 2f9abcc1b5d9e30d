// One xDS serving worker of `meshc serve --workers N` (forked by ./primary.ts through Node's cluster module). It runs
// the same xDS server as the single-process `meshc serve` (src/xds/server.ts: limits, TLS with client-certificate
// identity checks, graceful close) on the shared listening port, and holds the state of the proxies whose streams
// it accepted. Everything else (watching, compiling, certificates, registry, admin) stays in the primary, which
// sends snapshots, identities and the TLS context; this process reports its streams' status and, on request, its
// metrics. It ignores SIGINT/SIGTERM (a terminal's Ctrl-C reaches the whole process group): the primary decides
// when to drain, and a worker whose primary is gone drains and exits on its own.
import cluster from "node:cluster";
import type { SecureContextOptions } from "node:tls";
import { Registry, collectDefaultMetrics } from "prom-client";
import { startXdsServer, type XdsServer } from "../../xds/index.js";
import { tuneJitForServing } from "../../xds/jit.js";
import { createServeLogger } from "../logger.js";
import { SnapshotDecoder, type FromWorker, type ToWorker, type WorkerInit } from "./protocol.js";

if (!cluster.isWorker) {
  process.stderr.write("meshc: this is the xDS worker of `meshc serve --workers`; run `meshc serve` instead\n");
  process.exit(2);
}

const send = (m: FromWorker) => {
  if (process.connected) process.send!(m);
};
const ignore = () => undefined;
process.on("SIGINT", ignore);
process.on("SIGTERM", ignore);

let xds: XdsServer | undefined;
let closing = false;
let tlsContext: SecureContextOptions | undefined;
const decoder = new SnapshotDecoder();
const registry = new Registry();
collectDefaultMetrics({ register: registry });
/** Messages that arrived before the server was listening (applied in order once it is). */
const early: ToWorker[] = [];

async function start(init: WorkerInit): Promise<void> {
  const logger = createServeLogger({ level: init.logLevel, format: init.logFormat }).child({ worker: init.slot });
  tuneJitForServing(); // src/xds/jit.ts
  xds = await startXdsServer({
    address: init.address,
    logger,
    registry,
    limits: init.limits,
    ...(init.tls ? { auth: { secureContext: () => tlsContext } } : {}),
  });
  send({ t: "listening", port: xds.port });
  for (const m of early.splice(0)) handle(m);
  reportStatus(xds, init.statusEveryMs);
}

/**
 * Sends the rows of streams whose status changed since the last report (at most every `everyMs`). Streams are
 * skipped by their status sequence number (src/xds/stream.ts), so a quiet worker holding thousands of streams does
 * no per-stream work, and rows are not cloned before the IPC message serializes them.
 */
function reportStatus(server: XdsServer, everyMs: number): void {
  const seen = new Map<number, number>();
  let lastConnections = -1;
  let lastSent = -1;
  let dirty = true;
  server.onChange(() => (dirty = true));
  const timer = setInterval(() => {
    const connections = server.connections();
    if (!dirty && connections === lastConnections) return;
    dirty = false;
    lastConnections = connections;
    const { upsert, removed } = server.statusChanges!(seen);
    if (upsert.length === 0 && removed.length === 0 && connections === lastSent) return;
    lastSent = connections;
    send({ t: "status", upsert, removed, connections });
  }, everyMs);
  timer.unref();
}

function handle(m: ToWorker): void {
  if (m.t === "init") return; // handled on arrival
  if (!xds) {
    early.push(m);
    return;
  }
  switch (m.t) {
    case "snapshot":
      xds.setSnapshot(decoder.decode(m));
      send({ t: "applied", seq: m.seq });
      return;
    case "identities":
      xds.setIdentities(new Map(m.entries));
      return;
    case "tls":
      tlsContext = m.context ?? undefined;
      return;
    case "metrics":
      void registry.getMetricsAsJSON().then((json) => send({ t: "metrics", id: m.id, json }));
      return;
    case "close":
      void drain(m.graceMs);
      return;
  }
}

async function drain(graceMs: number): Promise<void> {
  if (closing) return;
  closing = true;
  // Bounded whatever happens (e.g. a log write to a closed pipe failing): the primary waits for this exit.
  setTimeout(() => process.exit(0), graceMs + 2000).unref();
  await xds?.close(graceMs);
  process.exit(0);
}

process.on("message", (m: ToWorker) => {
  if (m.t === "init") {
    // TLS material may come before the server listens: note it now, so the first connection can use it.
    start(m).catch((err: Error) => {
      process.stderr.write(`meshc xDS worker ${m.slot}: could not start: ${err.message}\n`);
      process.exit(1);
    });
  } else if (m.t === "tls") {
    tlsContext = m.context ?? undefined;
  } else {
    handle(m);
  }
});
send({ t: "ready" });
// The primary is gone (crashed or killed): drain what this worker holds and exit rather than serve stale config.
process.on("disconnect", () => void drain(1000));
