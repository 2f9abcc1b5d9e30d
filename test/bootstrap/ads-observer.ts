// Observes what an xDS client sends to the address in its bootstrap: a gRPC server offering both ADS methods that
// records each stream's method and first request (decoded as a real DiscoveryRequest), and never answers. It is
// not a control plane; it proves a client parsed the bootstrap, dialed the server from it, chose SotW or Delta,
// and identified itself with the node the bootstrap gave it.
import * as grpc from "@grpc/grpc-js";
import { decodeMessage } from "../../src/backends/envoy/api/codec.js";
import type { Canonical } from "../../src/backends/envoy/api/canonical.js";

const SERVICE = "/envoy.service.discovery.v3.AggregatedDiscoveryService/";
export type AdsMethod = "StreamAggregatedResources" | "DeltaAggregatedResources";

export interface ObservedStream {
  method: AdsMethod;
  first: Canonical;
}

export interface AdsObserver {
  streams: ObservedStream[];
  /** Resolves with the first stream whose first request arrives. */
  firstStream: Promise<ObservedStream>;
  close(): Promise<void>;
}

export async function startAdsObserver(port: number): Promise<AdsObserver> {
  const server = new grpc.Server();
  const streams: ObservedStream[] = [];
  const open: grpc.ServerDuplexStream<Buffer, Buffer>[] = [];
  let resolveFirst!: (s: ObservedStream) => void;
  const firstStream = new Promise<ObservedStream>((r) => (resolveFirst = r));
  const method = (name: AdsMethod): grpc.MethodDefinition<Buffer, Buffer> => ({
    path: SERVICE + name,
    requestStream: true,
    responseStream: true,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  });
  const handler = (name: AdsMethod, type: string) => (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
    open.push(call);
    let seen = false;
    call.on("data", (bytes: Buffer) => {
      if (seen) return;
      seen = true;
      const s = { method: name, first: decodeMessage(type, bytes) };
      streams.push(s);
      resolveFirst(s);
    });
    call.on("error", () => {});
  };
  server.addService(
    { StreamAggregatedResources: method("StreamAggregatedResources"), DeltaAggregatedResources: method("DeltaAggregatedResources") },
    {
      StreamAggregatedResources: handler("StreamAggregatedResources", "envoy.service.discovery.v3.DiscoveryRequest"),
      DeltaAggregatedResources: handler("DeltaAggregatedResources", "envoy.service.discovery.v3.DeltaDiscoveryRequest"),
    },
  );
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );
  return {
    streams,
    firstStream,
    close: async () => {
      for (const c of open) c.destroy();
      server.forceShutdown();
    },
  };
}
