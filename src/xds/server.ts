// The xDS server: gRPC ADS (SotW and Delta) over the snapshot cache. It knows snapshots and the xDS protocol, not
// the DSL: whoever compiles a mesh calls `setSnapshot`. Admin HTTP, file watching and the compile loop live elsewhere.
import { Server, ServerCredentials, status as GrpcStatus, type ChannelOptions, type ServerDuplexStream } from "@grpc/grpc-js";
import { pino, type Logger } from "pino";
import { Registry } from "prom-client";
import type { MeshSnapshot } from "../snapshot/types.js";
import { SnapshotCache, type SnapshotChange } from "./cache.js";
import { DeltaStream } from "./delta.js";
import { createXdsMetrics } from "./metrics.js";
import { SotwStream } from "./sotw.js";
import type { LiveStream, ProxyStatus, StreamContext } from "./stream.js";
import { adsService, type DeltaRequest, type DeltaResponseOut, type SotwRequest, type SotwResponseOut } from "./wire.js";

export const DEFAULT_XDS_ADDRESS = "127.0.0.1:18000";

export interface XdsServerOptions {
  /** host:port; port 0 picks a free one. Default 127.0.0.1:18000. */
  address?: string;
  logger?: Logger;
  /** Where the xds_* metrics are registered (the admin endpoint serves it). Default: a private Registry. */
  registry?: Registry;
  /** Snapshot to serve from the start; without one, proxies are refused with UNAVAILABLE until `setSnapshot`. */
  snapshot?: MeshSnapshot;
  /** Extra grpc-js server options (merged over the defaults below). */
  grpcOptions?: ChannelOptions;
}

export interface XdsServer {
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** host:port actually bound. */
  readonly address: string;
  /** Publishes a new mesh atomically; pushes only to proxies whose resources changed, only the changed types. */
  setSnapshot(mesh: MeshSnapshot): SnapshotChange;
  /** The snapshot being served, if any. */
  snapshot(): MeshSnapshot | undefined;
  /** Every connected proxy stream, sorted by service, node id, stream id. */
  proxies(): ProxyStatus[];
  /** Ends every stream with UNAVAILABLE and stops the server (forcefully after `graceMs`, default 2000). */
  close(graceMs?: number): Promise<void>;
}

const DEFAULT_GRPC_OPTIONS: ChannelOptions = {
  // Find dead peers (half-open TCP) within a minute; proxies reconnect on their own.
  "grpc.keepalive_time_ms": 30_000,
  "grpc.keepalive_timeout_ms": 10_000,
  // Envoy's own limit is far above gRPC's 4 MiB default; requests carry at most names and a node.
  "grpc.max_receive_message_length": 16 * 1024 * 1024,
  // Channelz bookkeeping costs ~10% of the server's CPU at 2,000 streams; meshc exposes its own status.
  "grpc.enable_channelz": 0,
};

export async function startXdsServer(options: XdsServerOptions = {}): Promise<XdsServer> {
  const address = options.address ?? DEFAULT_XDS_ADDRESS;
  const logger = (options.logger ?? pino({ name: "meshc" })).child({ component: "xds" });
  const registry = options.registry ?? new Registry();
  const cache = new SnapshotCache();
  if (options.snapshot) cache.setSnapshot(options.snapshot);
  const streams = new Set<LiveStream>();
  let streamIds = 0;
  const ctx: StreamContext = { cache, metrics: createXdsMetrics(registry), logger, streams, nextStreamId: () => ++streamIds };
  let closing = false;

  const server = new Server({ ...DEFAULT_GRPC_OPTIONS, ...options.grpcOptions });
  const refuseIfClosing = (call: { emit(e: string, err: unknown): unknown }) => {
    if (!closing) return false;
    call.emit("error", Object.assign(new Error("xDS server shutting down"), { code: GrpcStatus.UNAVAILABLE, details: "xDS server shutting down" }));
    return true;
  };
  server.addService(adsService, {
    StreamAggregatedResources: (call: ServerDuplexStream<SotwRequest, SotwResponseOut>) => {
      if (!refuseIfClosing(call)) new SotwStream(call, ctx, "sotw").start();
    },
    DeltaAggregatedResources: (call: ServerDuplexStream<DeltaRequest, DeltaResponseOut>) => {
      if (!refuseIfClosing(call)) new DeltaStream(call, ctx, "delta").start();
    },
  });

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const host = address.slice(0, address.lastIndexOf(":"));
  const bound = `${host}:${port}`;
  logger.info({ address: bound }, "xDS server listening (ADS: SotW and Delta)");

  return {
    port,
    address: bound,
    setSnapshot(mesh) {
      const change = cache.setSnapshot(mesh);
      logger.info(
        { services: mesh.proxies.size, changed: change.changed.length, added: change.added.length, removed: change.removed.length },
        "snapshot published",
      );
      return change;
    },
    snapshot: () => cache.current(),
    proxies() {
      const list = [...streams].flatMap((s) => s.status() ?? []);
      return list.sort((a, b) => cmp(a.service, b.service) || cmp(a.node.id, b.node.id) || a.streamId - b.streamId);
    },
    async close(graceMs = 2000) {
      if (closing) return;
      closing = true;
      for (const s of [...streams]) s.end(GrpcStatus.UNAVAILABLE, "xDS server shutting down");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      logger.info("xDS server stopped");
    },
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
