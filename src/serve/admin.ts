// Admin HTTP for `meshc serve` (default 127.0.0.1:18001): health, readiness, Prometheus metrics and debug views of
// what each proxy holds. Read-only: nothing here changes what is served.
import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";
import { renderDiscoveryResponse } from "../build/render.js";
import type { Diagnostic } from "../diagnostics/types.js";
import type { XdsServer } from "../xds/index.js";
import { PUSH_ORDER } from "../snapshot/types.js";
import { adminGuard } from "./exposure.js";

export interface AdminState {
  xds: XdsServer;
  registry: Registry;
  /** The last load's outcome; `ok` false means the server still serves the previous good snapshot. */
  lastLoad(): { ok: boolean; at: string; diagnostics: Diagnostic[]; source: string } | undefined;
  /** Bearer token for /debug/* when the admin is bound to a non-loopback address (src/serve/exposure.ts). */
  adminToken?: string;
}

export async function startAdmin(address: string, state: AdminState): Promise<{ server: Server; port: number }> {
  const guard = adminGuard(address, state.adminToken);
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://admin");
    const send = (status: number, body: string, type = "application/json") => {
      res.writeHead(status, { "content-type": type });
      res.end(body);
    };
    const json = (status: number, value: unknown) => send(status, `${JSON.stringify(value, null, 2)}\n`);
    try {
      if (req.method !== "GET") return send(405, "method not allowed\n", "text/plain");
      const denied = guard(req, url.pathname);
      if (denied) {
        res.setHeader("www-authenticate", 'Bearer realm="meshc-admin"');
        return send(denied, "unauthorized: /debug/* on a non-loopback admin address needs Authorization: Bearer <token> (--admin-token-file)\n", "text/plain");
      }
      if (url.pathname === "/healthz") return send(200, "ok\n", "text/plain");
      if (url.pathname === "/readyz") {
        return state.xds.snapshot() ? send(200, "ready\n", "text/plain") : send(503, "no snapshot loaded yet\n", "text/plain");
      }
      if (url.pathname === "/metrics") return send(200, await state.registry.metrics(), state.registry.contentType);
      if (url.pathname === "/debug/proxies") return json(200, state.xds.proxies());
      if (url.pathname === "/debug/diagnostics") return json(200, state.lastLoad() ?? null);
      if (url.pathname === "/debug/snapshot") return json(200, [...(state.xds.snapshot()?.proxies.keys() ?? [])].sort());
      const m = /^\/debug\/snapshot\/([^/]+)$/.exec(url.pathname);
      if (m) {
        const service = decodeURIComponent(m[1]!);
        const proxy = state.xds.snapshot()?.proxies.get(service);
        if (!proxy) return json(404, { error: `no proxy snapshot for service "${service}"` });
        const body: Record<string, unknown> = { service, versions: proxy.versions };
        for (const kind of PUSH_ORDER) {
          if (!proxy.resources[kind].length) continue;
          // SDS secrets hold private keys: names and versions only, never their content.
          body[kind] = kind === "secret" ? proxy.resources.secret.map((r) => ({ name: r.name, version: r.hash })) : JSON.parse(renderDiscoveryResponse(proxy, kind));
        }
        return json(200, body);
      }
      return send(404, "not found; try /healthz /readyz /metrics /debug/proxies /debug/diagnostics /debug/snapshot/<service>\n", "text/plain");
    } catch (err) {
      send(500, `${(err as Error).message}\n`, "text/plain");
    }
  });
  const i = address.lastIndexOf(":");
  const host = address.slice(0, i);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(address.slice(i + 1)), host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return { server, port };
}
