// A tiny gRPC app for end-to-end tests: one unary method, /meshc.test.Greeter/Who, with JSON-encoded messages (a
// generic service definition, so no .proto is needed). It answers {service, version} and can be told to fail, per
// call, through metadata:
//   x-fail-first: K  + x-test-id: ID   the first K attempts carrying that ID fail with UNAVAILABLE (a retry target)
// and counts attempts per test id, like test/apps/http-app.ts does for HTTP. Behind an mTLS sidecar the reply also
// carries the x-forwarded-client-cert header the app received (the caller's SPIFFE ID).
import { Server, ServerCredentials, status, type ServiceDefinition, type handleUnaryCall } from "@grpc/grpc-js";

export const WHO_METHOD = "/meshc.test.Greeter/Who";

export interface WhoReply {
  service: string;
  version: string;
  /** The x-forwarded-client-cert header the app received (set by an mTLS sidecar in front of it), if any. */
  xfcc?: string;
}

const json = {
  serialize: (v: unknown) => Buffer.from(JSON.stringify(v ?? {})),
  deserialize: (b: Buffer): unknown => (b.length ? JSON.parse(b.toString("utf8")) : {}),
};

export const greeterService: ServiceDefinition = {
  Who: {
    path: WHO_METHOD,
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
};

export interface GrpcAppStats {
  calls: number;
  failures: number;
  attempts: Record<string, number>;
}

export interface GrpcApp {
  readonly port: number;
  stats(): GrpcAppStats;
  reset(): void;
  close(): Promise<void>;
}

export async function startGrpcApp(opts: { service: string; version: string; port: number; host?: string }): Promise<GrpcApp> {
  let stats: GrpcAppStats = { calls: 0, failures: 0, attempts: {} };
  const who: handleUnaryCall<unknown, WhoReply> = (call, callback) => {
    stats.calls++;
    const md = (k: string) => {
      const v = call.metadata.get(k)[0];
      return v === undefined ? undefined : String(v);
    };
    const id = md("x-test-id");
    if (id !== undefined) {
      const attempt = (stats.attempts[id] = (stats.attempts[id] ?? 0) + 1);
      if (attempt <= Number(md("x-fail-first") ?? 0)) {
        stats.failures++;
        return callback({ code: status.UNAVAILABLE, details: `injected failure: attempt ${attempt} for ${id}` });
      }
    }
    const xfcc = md("x-forwarded-client-cert");
    callback(null, { service: opts.service, version: opts.version, ...(xfcc !== undefined ? { xfcc } : {}) });
  };
  const server = new Server();
  server.addService(greeterService, { Who: who });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${opts.host ?? "127.0.0.1"}:${opts.port}`, ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return {
    port,
    stats: () => structuredClone(stats),
    reset() {
      stats = { calls: 0, failures: 0, attempts: {} };
    },
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())).then(() => server.forceShutdown()),
  };
}
