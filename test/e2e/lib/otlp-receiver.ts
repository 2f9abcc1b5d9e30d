// An OTLP/gRPC trace receiver for tests: a grpc-js server implementing
// opentelemetry.proto.collector.trace.v1.TraceService/Export from the OpenTelemetry protobuf definitions shipped in
// @opentelemetry/otlp-grpc-exporter-base (build/protos), so what Envoy's OpenTelemetry tracer sends is decoded by
// the real schema. Spans are kept flat with hex ids, their attributes as strings and the resource's service.name.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: string;
  service: string;
  attributes: Record<string, string>;
}

export interface OtlpReceiver {
  port: number;
  spans: ReceivedSpan[];
  /** Export calls received (each may carry several spans). */
  exports: number;
  close(): Promise<void>;
}

/** OpenTelemetry's protos as shipped by the OTLP exporter package (shared with otlp-logs-receiver.ts). */
export function protoDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("@opentelemetry/otlp-grpc-exporter-base/package.json")), "build", "protos");
}

const hex = (b: Buffer | Uint8Array | undefined) => (b ? Buffer.from(b).toString("hex") : "");

export function anyValue(v: any): string {
  if (!v) return "";
  for (const k of ["stringValue", "intValue", "doubleValue", "boolValue"]) if (v[k] !== undefined && v[k] !== null) return String(v[k]);
  return JSON.stringify(v);
}

export function attrs(list: any[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

/**
 * Serves one OTLP collector service (`signal`: "trace" or "logs") on 127.0.0.1:`port`, handing each Export request
 * to `onExport`; resolves to the server's close function.
 */
export async function serveOtlpExport(port: number, signal: "trace" | "logs", onExport: (request: any) => void): Promise<() => Promise<void>> {
  const def = protoLoader.loadSync(`opentelemetry/proto/collector/${signal}/v1/${signal}_service.proto`, {
    includeDirs: [protoDir()],
    keepCase: false,
    longs: String,
    enums: String,
    defaults: false,
  });
  const pkg = grpc.loadPackageDefinition(def) as any;
  const collector = pkg.opentelemetry.proto.collector[signal].v1;
  const server = new grpc.Server();
  server.addService((signal === "trace" ? collector.TraceService : collector.LogsService).service, {
    Export(call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) {
      onExport(call.request);
      cb(null, {});
    },
  });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())),
  );
  return () => new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
}

export async function startOtlpReceiver(port: number): Promise<OtlpReceiver> {
  const r: OtlpReceiver = { port, spans: [], exports: 0, close: async () => {} };
  r.close = await serveOtlpExport(port, "trace", (request) => {
    r.exports++;
    for (const rs of request.resourceSpans ?? []) {
      const svc = attrs(rs.resource?.attributes)["service.name"] ?? "";
      for (const ss of [...(rs.scopeSpans ?? []), ...(rs.instrumentationLibrarySpans ?? [])]) {
        for (const s of ss.spans ?? []) {
          r.spans.push({
            traceId: hex(s.traceId),
            spanId: hex(s.spanId),
            parentSpanId: hex(s.parentSpanId),
            name: s.name,
            kind: String(s.kind),
            service: svc,
            attributes: attrs(s.attributes),
          });
        }
      }
    }
  });
  return r;
}
