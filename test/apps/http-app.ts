// A tiny HTTP app for end-to-end tests and the demo: it answers every request with JSON
// {service, version, path, headers} and can be told to misbehave, per request:
//   x-fail-first: K  + x-test-id: ID   the first K attempts carrying that ID answer 503 (then 200): a retry target
//   x-fail-every: N                     every Nth request carrying this header answers 503 (--fail-every N, or
//                                       the failEvery option, makes that the app's default)
//   failFirstTryEvery: N (option)       the first try of every Nth request answers 503 and its retries (same
//                                       x-request-id, which Envoy keeps across retries) succeed: a transient fault
//   x-delay-ms: MS  (or ?delay=MS)      answer after MS milliseconds (a timeout target)
// It counts what it saw (requests, 503s it produced, attempts per test id) so a test can compare what the client
// saw with what reached the app. Runs in-process (startHttpApp) or as a child process:
//   node --import tsx test/apps/http-app.ts --service echo --version v1 --port 19421 [--host 127.0.0.1] [--fail-every N]
// which prints one JSON line {"listening": port} once bound, and answers GET /__app/stats with its counters.
import { createServer, type IncomingMessage, type Server } from "node:http";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

export interface HttpAppOptions {
  service: string;
  version: string;
  port: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** Every Nth request answers 503 (a request's x-fail-every header overrides it). @default never */
  failEvery?: number;
  /**
   * The first try of every Nth request answers 503; its retries (the same x-request-id) answer 200. Unlike
   * failEvery, whose counter also hits retries, this makes a retry policy's outcome certain. @default never
   */
  failFirstTryEvery?: number;
}

export interface HttpAppStats {
  requests: number;
  /** 503s the app produced on purpose. */
  failures: number;
  /** Attempts seen per x-test-id. */
  attempts: Record<string, number>;
}

export interface HttpApp {
  readonly port: number;
  stats(): HttpAppStats;
  reset(): void;
  close(): Promise<void>;
}

/** What the app answers with (a 503 adds `error`). */
export interface EchoReply {
  service: string;
  version: string;
  path: string;
  headers: Record<string, string>;
  error?: string;
}

const MAX_DELAY_MS = 30_000;

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export async function startHttpApp(opts: HttpAppOptions): Promise<HttpApp> {
  let stats: HttpAppStats = { requests: 0, failures: 0, attempts: {} };
  let everyCounter = 0;
  let firstTryCounter = 0;
  // Request ids whose first try failed; bounded, as a retry follows within seconds.
  let failedIds = new Set<string>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://app");
    if (url.pathname === "/__app/stats") {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify(stats));
    }
    stats.requests++;
    const headers: Record<string, string> = {};
    for (const k of Object.keys(req.headers).sort()) headers[k] = String(req.headers[k]);
    // The path as sent (new URL() would read "//x" as a host).
    const reply: EchoReply = { service: opts.service, version: opts.version, path: req.url?.startsWith("/") ? req.url : url.pathname + url.search, headers };

    let fail: string | undefined;
    const id = header(req, "x-test-id");
    const attempt = id === undefined ? 0 : (stats.attempts[id] = (stats.attempts[id] ?? 0) + 1);
    const failFirst = Number(header(req, "x-fail-first") ?? 0);
    if (id !== undefined && attempt <= failFirst) fail = `injected failure: attempt ${attempt} of ${failFirst} failing for ${id}`;
    const every = Number(header(req, "x-fail-every") ?? opts.failEvery ?? 0);
    if (every > 0 && ++everyCounter % every === 0) fail = `injected failure: every ${every}th request`;
    const requestId = header(req, "x-request-id");
    if (opts.failFirstTryEvery && requestId !== undefined && !failedIds.has(requestId) && ++firstTryCounter % opts.failFirstTryEvery === 0) {
      if (failedIds.size >= 10_000) failedIds = new Set();
      failedIds.add(requestId);
      fail = `injected failure: the first try of every ${opts.failFirstTryEvery}th request`;
    }

    const delay = Math.min(MAX_DELAY_MS, Number(header(req, "x-delay-ms") ?? url.searchParams.get("delay") ?? 0) || 0);
    const answer = () => {
      if (fail) {
        stats.failures++;
        reply.error = fail;
      }
      const body = JSON.stringify(reply);
      res.writeHead(fail ? 503 : 200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    };
    // The client (Envoy after a timeout) may go away first; a late write is harmless.
    if (delay > 0) setTimeout(answer, delay).unref();
    else answer();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host ?? "127.0.0.1", () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    stats: () => structuredClone(stats),
    reset() {
      stats = { requests: 0, failures: 0, attempts: {} };
      everyCounter = 0;
      firstTryCounter = 0;
      failedIds = new Set();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({
    options: { service: { type: "string" }, version: { type: "string", default: "v1" }, port: { type: "string" }, host: { type: "string" }, "fail-every": { type: "string" } },
  });
  if (!values.service || !values.port) {
    process.stderr.write("usage: http-app.ts --service NAME [--version V] --port PORT [--host ADDR] [--fail-every N]\n");
    process.exit(2);
  }
  const app = await startHttpApp({
    service: values.service,
    version: values.version!,
    port: Number(values.port),
    host: values.host,
    ...(values["fail-every"] !== undefined && { failEvery: Number(values["fail-every"]) }),
  });
  process.stdout.write(`${JSON.stringify({ listening: app.port })}\n`);
  const stop = () => void app.close().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
