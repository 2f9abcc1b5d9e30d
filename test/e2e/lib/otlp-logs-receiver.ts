// An OTLP/gRPC logs receiver for tests: a grpc-js server implementing
// opentelemetry.proto.collector.logs.v1.LogsService/Export from the OpenTelemetry protobuf definitions shipped in
// @opentelemetry/otlp-grpc-exporter-base (build/protos), so what Envoy's OpenTelemetry access logger sends is
// decoded by the real schema. Records are kept flat: body and attributes as strings, plus the resource's attributes.
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { anyValue, attrs, protoDir } from "./otlp-receiver.js";

export interface ReceivedLogRecord {
  /** The resource's attributes (service.name, Envoy's log_name, node_name, cluster_name, zone_name). */
  resource: Record<string, string>;
  body: string;
  attributes: Record<string, string>;
}

export interface OtlpLogsReceiver {
  port: number;
  records: ReceivedLogRecord[];
  /** Export calls received (each may carry several records). */
  exports: number;
  close(): Promise<void>;
}

export async function startOtlpLogsReceiver(port: number): Promise<OtlpLogsReceiver> {
  const def = protoLoader.loadSync("opentelemetry/proto/collector/logs/v1/logs_service.proto", {
    includeDirs: [protoDir()],
    keepCase: false,
    longs: String,
    enums: String,
    defaults: false,
  });
  const pkg = grpc.loadPackageDefinition(def) as any;
  const service = pkg.opentelemetry.proto.collector.logs.v1.LogsService.service;
  const r: OtlpLogsReceiver = { port, records: [], exports: 0, close: async () => {} };
  const server = new grpc.Server();
  server.addService(service, {
    Export(call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) {
      r.exports++;
      for (const rl of call.request.resourceLogs ?? []) {
        const resource = attrs(rl.resource?.attributes);
        for (const sl of [...(rl.scopeLogs ?? []), ...(rl.instrumentationLibraryLogs ?? [])]) {
          for (const rec of sl.logRecords ?? []) r.records.push({ resource, body: anyValue(rec.body), attributes: attrs(rec.attributes) });
        }
      }
      cb(null, {});
    },
  });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())),
  );
  r.close = () => new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  return r;
}
