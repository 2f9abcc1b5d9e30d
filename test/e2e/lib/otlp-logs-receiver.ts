// An OTLP/gRPC logs receiver for tests: a grpc-js server implementing
// opentelemetry.proto.collector.logs.v1.LogsService/Export from the OpenTelemetry protobuf definitions shipped in
// @opentelemetry/otlp-grpc-exporter-base (build/protos), so what Envoy's OpenTelemetry access logger sends is
// decoded by the real schema. Records are kept flat: body and attributes as strings, plus the resource's attributes.
import { anyValue, attrs, serveOtlpExport } from "./otlp-receiver.js";

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
  const r: OtlpLogsReceiver = { port, records: [], exports: 0, close: async () => {} };
  r.close = await serveOtlpExport(port, "logs", (request) => {
    r.exports++;
    for (const rl of request.resourceLogs ?? []) {
      const resource = attrs(rl.resource?.attributes);
      for (const sl of [...(rl.scopeLogs ?? []), ...(rl.instrumentationLibraryLogs ?? [])]) {
        for (const rec of sl.logRecords ?? []) r.records.push({ resource, body: anyValue(rec.body), attributes: attrs(rec.attributes) });
      }
    }
  });
  return r;
}
