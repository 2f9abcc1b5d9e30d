// Admin routes of the dashboard (kept out of admin.ts): `/` (the page, src/dashboard/page.ts), `/debug/status`
// (what `meshc status` reads), `/debug/events` (Server-Sent Events for the page) and `/debug/graph.svg`. They
// follow the admin's access rules: admin.ts runs its guard before these, and treats `/` like /debug/* (loopback
// by default; with the bearer token when the admin is exposed).
import type { IncomingMessage, ServerResponse } from "node:http";
import { dashboardPage } from "../dashboard/page.js";
import type { LiveStatus } from "./live.js";

/** Paths served here that are not under /debug/ but get the same guard. */
export const DASHBOARD_PAGE_PATHS = new Set(["/", "/index.html"]);

/** Answers the request when it is one of the dashboard's routes; false otherwise. */
export async function handleDashboard(req: IncomingMessage, res: ServerResponse, pathname: string, live: LiveStatus): Promise<boolean> {
  if (DASHBOARD_PAGE_PATHS.has(pathname)) {
    const page = await dashboardPage();
    res.writeHead(200, {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": page.csp,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "cache-control": "no-store",
    });
    res.end(page.html);
    return true;
  }
  if (pathname === "/debug/status") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(`${JSON.stringify(live.report(), null, 2)}\n`);
    return true;
  }
  if (pathname === "/debug/graph.svg") {
    const g = live.graphView();
    if (!g) {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("no graph yet: no snapshot loaded\n");
    } else {
      res.writeHead(200, { "content-type": "image/svg+xml", "x-content-type-options": "nosniff" });
      res.end(g.svg);
    }
    return true;
  }
  if (pathname === "/debug/events") {
    if (!live.subscribe(res)) {
      res.writeHead(503, { "content-type": "text/plain", "retry-after": "5" });
      res.end("too many dashboard event streams open; retry later\n");
    }
    void req;
    return true;
  }
  return false;
}
