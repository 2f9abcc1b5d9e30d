// A plain HTTP backend for e2e tests that answers its own name, so a caller can tell which endpoint served it.
import { createServer, type Server } from "node:http";
import { send } from "./http.js";

export interface Backend {
  name: string;
  failing: boolean;
  close(): Promise<void>;
}

/**
 * A backend that answers its name, or 503 while `failing` (its health check still passes: only outlier detection
 * sees the failures); `close()` takes it down (connections refused, health checks fail).
 */
export async function nameBackend(name: string, port: number): Promise<Backend> {
  const b: Backend = { name, failing: false, close: async () => {} };
  const server: Server = createServer((req, res) => {
    req.resume();
    const failing = b.failing && req.url !== "/healthz";
    res.writeHead(failing ? 503 : 200, { "content-type": "text/plain", connection: "close" });
    res.end(failing ? `${name} failing` : name);
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", () => resolve()));
  let open = true;
  b.close = () =>
    open
      ? new Promise<void>((resolve) => {
          open = false;
          server.close(() => resolve());
          server.closeAllConnections();
        })
      : Promise.resolve();
  return b;
}

/** Requests per answering backend (by the name it answers; an error status as "<status>"). */
export type Counts = Record<string, number>;

/** n requests to `host` through a sidecar's outbound listener, counted per answering backend. */
export async function countBackends(outbound: number, n: number, host = "api"): Promise<Counts> {
  const counts: Counts = {};
  for (let i = 0; i < n; i++) {
    const r = await send({ port: outbound, host, path: `/r${i}`, timeoutMs: 10_000 });
    const key = r.status === 200 ? r.body : String(r.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
