// A plain HTTP backend for e2e tests that answers its own name, so a caller can tell which endpoint served it.
import { createServer, type Server } from "node:http";

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
