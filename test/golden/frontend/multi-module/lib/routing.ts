// A helper shared by teams: the standard route table of an HTTP API (health answered by the sidecar, the rest
// forwarded with a timeout).
import type { Route, RouteFactory, Target } from "meshc";

export function apiRoutes(r: RouteFactory, target: Target, timeout: `${number}s`): Route[] {
  return [r.match({ path: { exact: "/healthz" } }).respond(200, "ok"), r.match({ path: { prefix: "/" } }).to(target).timeout(timeout)];
}
