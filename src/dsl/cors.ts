// CORS options (issue 13), for a route (`.cors(...)`) or every route of a service (`mesh.cors(svc, ...)`, Envoy's
// virtual-host policy). Compiled into Envoy's CORS filter policy (envoy.filters.http.cors) in the route tables that
// hold the service's routes. See docs/dsl.md, "CORS".
import type { Duration, HttpMethod } from "./types.js";

/** An allowed Origin: a string is an exact match, `"*"` any origin. */
export type CorsOrigin = string | { exact: string } | { prefix: string } | { suffix: string } | { regex: string };

export interface CorsOptions {
  /** Origins allowed to call, e.g. `["https://shop.example", { suffix: ".shop.example" }]`. */
  allowOrigins: readonly CorsOrigin[];
  /** Methods a preflight may ask for. @default Envoy's (the request's own method) */
  allowMethods?: readonly HttpMethod[];
  /** Request headers a preflight may ask for. @default none */
  allowHeaders?: readonly string[];
  /** Response headers the browser may read. @default none */
  exposeHeaders?: readonly string[];
  /** How long a browser may cache a preflight. @default the browser's */
  maxAge?: Duration;
  /** Allow credentials (cookies, Authorization); not with `"*"` (MESH0352). @default false */
  allowCredentials?: boolean;
}
