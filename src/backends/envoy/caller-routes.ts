// Caller-based routing (issue 13, `r.match({ from: [web] })`, Istio's sourceLabels). Envoy has no match on "who is
// calling" in a sidecar's outbound table, and needs none: every caller has its own route table, so a route with
// `from` is simply left out of the tables of callers it does not name. Callers that see the same routes share the
// virtual host (the cache key lists the kept routes only when some were dropped).
import type { HttpRouteIR, ServiceIR } from "../../ir/types.js";

export interface CallerView {
  /** The upstream with only the routes this caller sees (the same object when it sees all of them). */
  upstream: ServiceIR;
  /** "" when nothing was dropped, else a key naming the kept routes, for sharing built virtual hosts. */
  key: string;
}

export function appliesTo(route: HttpRouteIR, caller: string): boolean {
  return route.match.from === undefined || route.match.from.includes(caller);
}

export function callerView(upstream: ServiceIR, caller: ServiceIR): CallerView {
  if (!upstream.routes.some((r) => r.match.from !== undefined)) return { upstream, key: "" };
  const kept: number[] = [];
  upstream.routes.forEach((r, i) => {
    if (appliesTo(r, caller.name)) kept.push(i);
  });
  if (kept.length === upstream.routes.length) return { upstream, key: "" };
  return { upstream: { ...upstream, routes: kept.map((i) => upstream.routes[i]!) }, key: `|routes:${kept.join(",")}` };
}
