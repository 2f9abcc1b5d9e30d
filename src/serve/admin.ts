// Admin HTTP for `meshc serve` (default 127.0.0.1:18001): health, readiness, Prometheus metrics and debug views of
// what each proxy holds. Read-only: nothing here changes what is served. Requests are bounded (header size and
// time, whole-request time, connections) and a malformed one is a 400, never a 500; `close` is bounded by a grace.
import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";
import { renderDiscoveryResponse } from "../build/render.js";
import type { Diagnostic } from "../diagnostics/types.js";
import type { XdsServer } from "../xds/index.js";
import { PUSH_ORDER } from "../snapshot/types.js";
import { adminGuard } from "./exposure.js";
import { DASHBOARD_PAGE_PATHS, handleDashboard } from "./dashboard-routes.js";
import type { LiveStatus } from "./live.js";

export interface AdminState {
  xds: XdsServer;
  registry: Registry;
  /** The last load's outcome; `ok` false means the server still serves the previous good snapshot. */
  lastLoad(): { ok: boolean; at: string; diagnostics: Diagnostic[]; source: string } | undefined;
  /** What /readyz reports; without it, readiness is "a snapshot is loaded". */
  readiness?(): Readiness;
  /** Bearer token for /debug/* when the admin is bound to a non-loopback address (src/serve/exposure.ts). */
  adminToken?: string;
  /** The dashboard's live status (`/`, /debug/status, /debug/events; src/serve/dashboard-routes.ts). */
  live?: LiveStatus;
}

/** /readyz's JSON body: 200 only while a snapshot is served; whether the newest source compiled, and when. */
export interface Readiness {
  ready: boolean;
  /** The snapshot being served: from the warm-start state or a compile, since when, compiled when. */
  serving: { origin: "warm-start" | "compiled"; since: string; compiledAt: string } | null;
  /** The newest finished load of the source: did it compile, when, with how many errors. */
  newest: { compiled: boolean; at: string; errors: number } | null;
  /** A load is in progress. */
  compiling: boolean;
  /** The registry of live endpoints (issue 16), when the mesh has one: connected or not, entries, rejections. */
  registry?: import("./registry.js").RegistryStatus;
  /** `meshc serve --workers N`: each xDS worker process, listening or not, with the current snapshot or not. */
  workers?: import("./cluster/primary.js").WorkerInfo[];
}

/** Bounds on admin requests: a client may not hold a connection or a half-sent request for long. */
export const ADMIN_LIMITS = {
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxHeaderBytes: 16 * 1024,
  maxConnections: 128,
};

export interface AdminHandle {
  server: Server;
  port: number;
  /** Stops accepting, lets requests in progress finish for at most `graceMs`, then closes every connection. */
  close(graceMs: number): Promise<void>;
}

/** The request's path, or undefined when it is malformed (bad percent-escape, unparsable target). */
function parsePath(raw: string | undefined): { pathname: string; segments: string[]; variant: string | null } | undefined {
  try {
    const url = new URL(raw ?? "/", "http://admin");
    return { pathname: url.pathname, segments: url.pathname.split("/").map((p) => decodeURIComponent(p)), variant: url.searchParams.get("variant") };
  } catch {
    return undefined;
  }
}

const serverOptions = {
  headersTimeout: ADMIN_LIMITS.headersTimeoutMs,
  requestTimeout: ADMIN_LIMITS.requestTimeoutMs,
  keepAliveTimeout: ADMIN_LIMITS.keepAliveTimeoutMs,
  maxHeaderSize: ADMIN_LIMITS.maxHeaderBytes,
  // Node checks the two timeouts above only this often (default 30 s).
  connectionsCheckingInterval: 1_000,
};

export async function startAdmin(address: string, state: AdminState): Promise<AdminHandle> {
  const guard = adminGuard(address, state.adminToken);
  const server = createServer(serverOptions, async (req, res) => {
    const send = (status: number, body: string, type = "application/json") => {
      res.writeHead(status, { "content-type": type });
      res.end(body);
    };
    const json = (status: number, value: unknown) => send(status, `${JSON.stringify(value, null, 2)}\n`);
    const parsed = parsePath(req.url);
    if (!parsed) return send(400, "bad request: malformed path (check its percent-escapes)\n", "text/plain");
    const url = { pathname: parsed.pathname };
    try {
      if (req.method !== "GET") return send(405, "method not allowed\n", "text/plain");
      // The dashboard page shows what /debug/* shows: the same rule.
      const denied = guard(req, DASHBOARD_PAGE_PATHS.has(url.pathname) ? "/debug/" : url.pathname);
      if (denied) {
        if (denied.status === 401) res.setHeader("www-authenticate", 'Bearer realm="meshc-admin"');
        return send(denied.status, `${denied.message}\n`, "text/plain");
      }
      if (url.pathname === "/healthz") return send(200, "ok\n", "text/plain");
      if (url.pathname === "/readyz") {
        const r = state.readiness?.() ?? { ready: state.xds.snapshot() !== undefined, serving: null, newest: null, compiling: false };
        return json(r.ready && state.xds.snapshot() ? 200 : 503, r);
      }
      if (url.pathname === "/metrics") return send(200, await state.registry.metrics(), state.registry.contentType);
      if (url.pathname === "/debug/proxies") return json(200, state.xds.proxies());
      if (url.pathname === "/debug/diagnostics") return json(200, state.lastLoad() ?? null);
      if (url.pathname === "/debug/snapshot") return json(200, [...(state.xds.snapshot()?.proxies.keys() ?? [])].sort());
      const m = /^\/debug\/snapshot\/([^/]+)$/.exec(url.pathname);
      if (m) {
        const service = parsed.segments[3]!;
        const base = state.xds.snapshot()?.proxies.get(service);
        // ?variant=<key>: one of its snapshot variants (instance:<id>, locality:<region>,<zone>), issue 13.
        const variant = parsed.variant;
        const proxy = variant === null ? base : base?.variants?.get(variant);
        if (!proxy) return json(404, { error: `no proxy snapshot for service "${service}"${variant === null ? "" : ` variant ${JSON.stringify(variant)}`}` });
        const body: Record<string, unknown> = { service, versions: proxy.versions };
        if (variant !== null) body.variant = variant;
        else if (base?.variants?.size) body.variants = [...base.variants.keys()];
        for (const kind of PUSH_ORDER) {
          if (!proxy.resources[kind].length) continue;
          // SDS secrets hold private keys: names and versions only, never their content.
          body[kind] = kind === "secret" ? proxy.resources.secret.map((r) => ({ name: r.name, version: r.hash })) : JSON.parse(renderDiscoveryResponse(proxy, kind));
        }
        return json(200, body);
      }
      if (state.live && (await handleDashboard(req, res, url.pathname, state.live))) return;
      return send(404, "not found; try / (dashboard) /healthz /readyz /metrics /debug/proxies /debug/diagnostics /debug/snapshot/<service> /debug/status /debug/events\n", "text/plain");
    } catch (err) {
      if (res.headersSent) res.destroy();
      else send(500, `${(err as Error).message}\n`, "text/plain");
    }
  });
  server.maxConnections = ADMIN_LIMITS.maxConnections;
  const i = address.lastIndexOf(":");
  const host = address.slice(0, i);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(address.slice(i + 1)), host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    server,
    port,
    close: (graceMs) =>
      new Promise<void>((resolve) => {
        state.live?.close(); // event streams never finish on their own
        const timer = setTimeout(() => {
          server.closeAllConnections(); // half-sent requests, slow readers: the grace is over
          resolve();
        }, graceMs);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
