// CORS (issue 13): a service's policy (mesh.cors) on its virtual hosts and a route's own (.cors()) on that route,
// as Envoy's per-filter config for envoy.filters.http.cors (the route's replaces the virtual host's, Envoy's most
// specific wins). The filter itself (no settings) is added first in the outbound connection managers only when the
// mesh uses CORS anywhere, so meshes without it compile exactly as before. Proxyless gRPC clients have no CORS
// filter and get none of this.
//
// Emitted shapes (for evaluators of compiled routes, e.g. `meshc test`):
//   route.typed_per_filter_config["envoy.filters.http.cors"] / virtual_host.typed_per_filter_config[...] =
//     { "@type": ".../envoy.extensions.filters.http.cors.v3.CorsPolicy", allow_origin_string_match: [StringMatcher
//       (exact | prefix | suffix | safe_regex; "*" is { safe_regex: ".*" })], allow_methods: "GET,POST" (comma
//       list, absent when none), allow_headers, expose_headers (same), max_age: "<seconds>", allow_credentials }
import type { CorsIR, MeshIR } from "../../ir/types.js";
import { pack, type EnvoyTypes } from "./api/codec.js";
import type { HttpFilter } from "./xds-types.js";

export const CORS_FILTER = "envoy.filters.http.cors";
type CorsPolicy = EnvoyTypes["envoy.extensions.filters.http.cors.v3.CorsPolicy"];
type StringMatcher = EnvoyTypes["envoy.type.matcher.v3.StringMatcher"];

function originMatcher(o: CorsIR["allowOrigins"][number]): StringMatcher {
  if ("any" in o) return { safe_regex: { regex: ".*" } };
  if ("exact" in o) return { exact: o.exact };
  if ("prefix" in o) return { prefix: o.prefix };
  if ("suffix" in o) return { suffix: o.suffix };
  return { safe_regex: { regex: o.regex } };
}

export function corsPolicy(c: CorsIR): CorsPolicy {
  const out: CorsPolicy = { allow_origin_string_match: c.allowOrigins.map(originMatcher) };
  if (c.allowMethods.length) out.allow_methods = c.allowMethods.join(",");
  if (c.allowHeaders.length) out.allow_headers = c.allowHeaders.join(",");
  if (c.exposeHeaders.length) out.expose_headers = c.exposeHeaders.join(",");
  if (c.maxAgeS !== undefined) out.max_age = String(c.maxAgeS);
  if (c.allowCredentials) out.allow_credentials = { value: true };
  return out;
}

/** The per-filter config entry for a policy. */
export function corsFilterConfig(c: CorsIR): Record<string, ReturnType<typeof pack>> {
  return { [CORS_FILTER]: pack("envoy.extensions.filters.http.cors.v3.CorsPolicy", corsPolicy(c)) };
}

export function meshUsesCors(ir: MeshIR): boolean {
  return ir.services.some((s) => s.cors !== undefined || s.routes.some((r) => r.cors !== undefined));
}

export function corsHttpFilters(enabled: boolean): HttpFilter[] {
  return enabled ? [{ name: CORS_FILTER, typed_config: pack("envoy.extensions.filters.http.cors.v3.Cors", {}) }] : [];
}
