// HTTP/gRPC route builders: r.match({...}) then an action (.to, .split, .redirect, .respond) and modifiers.
// Builders are immutable (every call returns a new one), so a partly built route can be reused safely. The types
// only offer a method where it makes sense: .timeout() needs a forwarding action, and a route without any action
// is not a Route, so mesh.routes() rejects it at compile time.
import { FIELD_SITES, PORT_REF, ROUTE, SERVICE_REF, SITE, SUBSET_REF, hasBrand } from "./brand.js";
import type { ActionModel, RefModel, RouteModel } from "./model.js";
import type { Target } from "./service.js";
import { captureSite, type SourceSite } from "./site.js";
import type { CorsOptions } from "./cors.js";
import type {
  Duration,
  FaultOptions,
  HeaderOps,
  MatchOptions,
  Percent,
  RateLimitOptions,
  RedirectOptions,
  RetryOptions,
  RewriteOptions,
} from "./types.js";

// Type-only brand: a route without an action lacks it, so TypeScript reports "Property [action] is missing".
declare const action: unique symbol;

/** Modifiers every route has. */
export interface RouteCommon<Self> {
  /** Names the route (shown in diagnostics and proxy config). @default "<service>-<index>" */
  named(name: string): Self;
  /** Add, set or remove request headers (before forwarding). Calls accumulate. */
  requestHeaders(ops: HeaderOps): Self;
  /** Add, set or remove response headers. Calls accumulate. */
  responseHeaders(ops: HeaderOps): Self;
  /** Inject delays and/or aborts. */
  fault(fault: FaultOptions): Self;
  /** A local token-bucket rate limit for this route. */
  rateLimit(limit: RateLimitOptions): Self;
  /**
   * Has no effect (MESH0426/MESH0606): sidecars sample with the OpenTelemetry tracer's parent-based sampler, per
   * sidecar, and Envoy 1.40 reads no route-level percentage then. Set the callers' tracing samplePercent instead.
   * @deprecated kept so existing meshes still compile; see docs/dsl.md "Who decides sampling".
   */
  traceSampling(percent: Percent): Self;
  /** CORS for this route (replaces the service's mesh.cors() policy on it). */
  cors(cors: CorsOptions): Self;
}

/** A matched route that still needs an action. */
export interface RouteStart extends RouteCommon<RouteStart> {
  /** Forward everything to one service or subset. */
  to(target: Target): ForwardRoute;
  /**
   * Weighted split: `[[catalog.subset("v1"), 90], [catalog.subset("v2"), 10]]`. Weights are percentages and
   * should sum to 100 (analysis reports them otherwise).
   */
  split(backends: readonly (readonly [Target, Percent])[]): ForwardRoute;
  /** Answer with a redirect. */
  redirect(redirect: RedirectOptions): FinalRoute;
  /** Answer directly with this status and optional body. */
  respond(status: number, body?: string): FinalRoute;
}

/** A route that forwards traffic. */
export interface ForwardRoute extends RouteCommon<ForwardRoute> {
  readonly [action]: "forward";
  /** Whole-request timeout (including retries). @default the service policy's, else Envoy's 15s */
  timeout(timeout: Duration): ForwardRoute;
  /** Stream idle timeout for this route. */
  idleTimeout(timeout: Duration): ForwardRoute;
  /** Retry policy. @default the service policy's */
  retries(retries: RetryOptions): ForwardRoute;
  /** Copy `percent` of the requests to another target (responses are ignored). */
  mirror(target: Target, percent?: Percent): ForwardRoute;
  /** Rewrite the path prefix, the full path and/or the Host header. */
  rewrite(rewrite: RewriteOptions): ForwardRoute;
}

/** A route that answers itself (redirect or direct response). */
export interface FinalRoute extends RouteCommon<FinalRoute> {
  readonly [action]: "final";
}

/** A complete route, as mesh.routes() expects. */
export type Route = ForwardRoute | FinalRoute;

/** Passed to the mesh.routes() callback. `P`: the routed service's port names (for `match.port`). */
export interface RouteFactory<P extends string = string> {
  /**
   * A route matching all of the given conditions (none: every request). A list matches when any of its entries
   * does (Istio's `match:` list): it compiles to one Envoy route per entry, in order, all with this route's name.
   */
  match(match?: MatchOptions<P> | readonly MatchOptions<P>[]): RouteStart;
}

/** The model form of a reference; anything else is kept as given for validation to report. */
export function toRef(target: unknown): RefModel {
  if (hasBrand(target, SERVICE_REF)) return { service: (target as { name: string }).name };
  if (hasBrand(target, SUBSET_REF)) {
    const t = target as { service: string; subset: string };
    return { service: t.service, subset: t.subset };
  }
  if (hasBrand(target, PORT_REF)) {
    const t = target as { service: string; port: string };
    return { service: t.service, port: t.port };
  }
  return target as RefModel;
}

class RouteBuilder {
  readonly [ROUTE] = true;
  constructor(readonly model: RouteModel) {}

  private with(field: keyof RouteModel, patch: Partial<RouteModel>, site: SourceSite): RouteBuilder {
    return new RouteBuilder({
      ...this.model,
      ...patch,
      [SITE]: this.model[SITE],
      [FIELD_SITES]: { ...this.model[FIELD_SITES], [field]: site },
    });
  }
  private act(action: ActionModel): RouteBuilder {
    return new RouteBuilder({ ...this.model, actions: [...this.model.actions, action] });
  }

  named(name: string) {
    return this.with("name", { name }, captureSite(RouteBuilder.prototype.named));
  }
  requestHeaders(ops: HeaderOps) {
    const site = captureSite(RouteBuilder.prototype.requestHeaders);
    return this.with("requestHeaders", { requestHeaders: [...this.model.requestHeaders, ops] }, site);
  }
  responseHeaders(ops: HeaderOps) {
    const site = captureSite(RouteBuilder.prototype.responseHeaders);
    return this.with("responseHeaders", { responseHeaders: [...this.model.responseHeaders, ops] }, site);
  }
  fault(fault: FaultOptions) {
    return this.with("fault", { fault }, captureSite(RouteBuilder.prototype.fault));
  }
  rateLimit(rateLimit: RateLimitOptions) {
    return this.with("rateLimit", { rateLimit }, captureSite(RouteBuilder.prototype.rateLimit));
  }
  cors(cors: CorsOptions) {
    return this.with("cors", { cors }, captureSite(RouteBuilder.prototype.cors));
  }
  traceSampling(traceSampling: Percent) {
    return this.with("traceSampling", { traceSampling }, captureSite(RouteBuilder.prototype.traceSampling));
  }
  to(target: Target) {
    const site = captureSite(RouteBuilder.prototype.to);
    return this.act({ kind: "forward", backends: [{ target: toRef(target), weight: 100 }], [SITE]: site });
  }
  split(backends: readonly (readonly [Target, Percent])[]) {
    const site = captureSite(RouteBuilder.prototype.split);
    const list = Array.isArray(backends)
      ? backends.map((b) => (Array.isArray(b) ? { target: toRef(b[0]), weight: b[1] } : b))
      : backends;
    return this.act({ kind: "forward", backends: list as never, [SITE]: site });
  }
  redirect(redirect: RedirectOptions) {
    return this.act({ kind: "redirect", ...redirect, [SITE]: captureSite(RouteBuilder.prototype.redirect) });
  }
  respond(status: number, body?: string) {
    const site = captureSite(RouteBuilder.prototype.respond);
    return this.act(body === undefined ? { kind: "respond", status, [SITE]: site } : { kind: "respond", status, body, [SITE]: site });
  }
  timeout(timeout: Duration) {
    return this.with("timeout", { timeout }, captureSite(RouteBuilder.prototype.timeout));
  }
  idleTimeout(idleTimeout: Duration) {
    return this.with("idleTimeout", { idleTimeout }, captureSite(RouteBuilder.prototype.idleTimeout));
  }
  retries(retries: RetryOptions) {
    return this.with("retries", { retries }, captureSite(RouteBuilder.prototype.retries));
  }
  mirror(target: Target, percent: Percent = 100) {
    const site = captureSite(RouteBuilder.prototype.mirror);
    return this.with("mirror", { mirror: { target: toRef(target), percent } }, site);
  }
  rewrite(rewrite: RewriteOptions) {
    return this.with("rewrite", { rewrite }, captureSite(RouteBuilder.prototype.rewrite));
  }
}

/** A match with its `from` service references turned into names ({ service }), as every reference in the model. */
function matchModel(m: unknown): unknown {
  if (typeof m !== "object" || m === null || Array.isArray(m) || !("from" in m)) return m;
  const from = (m as { from: unknown }).from;
  return { ...m, from: Array.isArray(from) ? from.map(toRef) : from };
}

export const routeFactory: RouteFactory = {
  match(match?: MatchOptions | readonly MatchOptions[]): RouteStart {
    const model: RouteModel = {
      match: (Array.isArray(match) ? match.map(matchModel) : matchModel(match ?? {})) as RouteModel["match"],
      actions: [],
      requestHeaders: [],
      responseHeaders: [],
      [SITE]: captureSite(routeFactory.match),
      [FIELD_SITES]: {},
    };
    return new RouteBuilder(model) as unknown as RouteStart;
  },
};

/** The model of a route builder, or the value itself when it is not one (validation reports it). */
export function routeModelOf(value: unknown): RouteModel {
  return hasBrand(value, ROUTE) ? (value as RouteBuilder).model : (value as RouteModel);
}
