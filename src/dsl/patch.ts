// mesh.patch(): the typed escape hatch (issue 13). A patch names proxies, a resource kind and optionally resource
// names, and gives a function that receives each matching generated resource, typed with Envoy's own message
// typings (src/dsl/envoy-api.ts), and returns (or edits in place) the resource to ship instead. The DSL only
// records the patch here; the function never leaves the evaluation worker: the compiler hands it the generated
// resources after the backend has run and re-checks what comes back (src/patch/). Last resort, see docs/dsl.md.
import type { Cluster, Listener, RouteConfiguration } from "./envoy-api.js";
import type { ServiceRef } from "./service.js";

/** The resource kinds a patch can change: LDS listeners, CDS clusters and RDS route tables. */
export type PatchKind = "listener" | "cluster" | "route";

/** What a patch function receives and returns for each kind (Envoy's message typings, not `any`). */
export interface PatchResources {
  listener: Listener;
  cluster: Cluster;
  route: RouteConfiguration;
}

/** Which resources a patch changes. */
export interface PatchTarget<K extends PatchKind = PatchKind> {
  /** The proxies (services or gateways, each with a meshc proxy) whose resources are patched. */
  proxies: readonly ServiceRef[];
  /** Listeners, clusters or route tables. */
  kind: K;
  /**
   * The resource name(s) (as `meshc proxy-config` or the build directory shows them). Every name must exist on
   * every proxy listed. @default every resource of `kind` on those proxies
   */
  name?: string | readonly string[];
}

/**
 * Receives one resource (a copy: plain data) and returns the resource to ship, or undefined after editing the
 * copy in place. Must be synchronous and deterministic: it runs once per distinct resource, with no clock or
 * randomness available. The name of the resource must stay the same.
 */
export type PatchFunction<K extends PatchKind> = (resource: PatchResources[K]) => PatchResources[K] | void;

