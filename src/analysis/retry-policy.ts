// Which retry and timeout apply to a route: its own, else its service's policy (mesh defaults already merged in).
// Shared by the retry analyzers so they agree on where a setting comes from and where to report it.
import type { HttpRouteIR, RetryIR, ServiceIR, SourceLoc } from "../ir/types.js";
import { routeSource, type ModelPath } from "./context.js";
import { q } from "./format.js";

export interface RetrySite {
  where: string;
  at?: SourceLoc;
  /** Path of the retry object that applies. */
  retryPath: ModelPath;
  /** Path of the timeout that applies. */
  timeoutPath: ModelPath;
  retry?: RetryIR;
  timeoutMs?: number;
  /** Forward routes whose retry comes from this site (undefined stands for the implicit catch-all). */
  routes: (HttpRouteIR | undefined)[];
  /** The retry is set here (not inherited from the policy). */
  ownRetry: boolean;
  /** The retry/timeout pair of this site governs at least one route (for the policy: some route inherits both). */
  governsTimeout: boolean;
}

/**
 * One site per forward route that sets its own retry or timeout, plus one for the service policy, first, when
 * some forward route inherits its retry or timeout (or the service has no routes: the implicit catch-all does).
 */
export function retrySites(s: ServiceIR, meshSource?: SourceLoc): RetrySite[] {
  const sites: RetrySite[] = [];
  const policyPath: ModelPath = ["services", s.name, "policy"];
  const noRoutes = s.routes.length === 0;
  const inheritRetry: (HttpRouteIR | undefined)[] = noRoutes ? [undefined] : [];
  let inheritBoth = noRoutes;
  s.routes.forEach((r, i) => {
    if (r.action.kind !== "forward") return;
    const ownRetry = r.action.retry !== undefined;
    const ownTimeout = r.action.timeoutMs !== undefined;
    if (!ownRetry) inheritRetry.push(r);
    if (!ownRetry && !ownTimeout) {
      inheritBoth = true;
      return;
    }
    const base = ["services", s.name, "routes", i, "action"];
    const at = routeSource(s, r);
    const retry = r.action.retry ?? s.policy.retry;
    const timeoutMs = r.action.timeoutMs ?? s.policy.timeoutMs;
    sites.push({
      where: `Route ${q(r.name)}`,
      ...(at && { at }),
      retryPath: ownRetry ? [...base, "retry"] : [...policyPath, "retry"],
      timeoutPath: ownTimeout ? [...base, "timeoutMs"] : [...policyPath, "timeoutMs"],
      ...(retry && { retry }),
      ...(timeoutMs !== undefined && { timeoutMs }),
      routes: [r],
      ownRetry,
      governsTimeout: true,
    });
  });
  if (inheritRetry.length > 0 || inheritBoth) {
    // A policy without a mesh.policy() call is the mesh defaults: report at defineMesh(), in words every service
    // inheriting them shares, so analyze() keeps one copy instead of one per service.
    const fromDefaults = s.policy.source === undefined && meshSource !== undefined;
    const at = fromDefaults ? meshSource : (s.policy.source ?? s.source);
    sites.unshift({
      where: fromDefaults ? "The mesh defaults" : `The default policy of service ${q(s.name)}`,
      ...(at && { at }),
      retryPath: [...policyPath, "retry"],
      timeoutPath: [...policyPath, "timeoutMs"],
      ...(s.policy.retry && { retry: s.policy.retry }),
      ...(s.policy.timeoutMs !== undefined && { timeoutMs: s.policy.timeoutMs }),
      routes: inheritRetry,
      ownRetry: true,
      governsTimeout: inheritBoth,
    });
  }
  return sites;
}
