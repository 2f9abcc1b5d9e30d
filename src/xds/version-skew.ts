// Version skew (R15, CVE-2022-21679): an older proxy ignores config fields it does not know, so an authorization
// rule it half-understands can match everything. meshc's authorization output (RBAC filters with url_path matchers,
// escaped-slash handling in the connection manager, per-prefix shadow metadata for dry-run logs) is tested with
// Envoy 1.40 only, so a proxy whose configuration carries RBAC filters and that reports an older Envoy is refused its
// stream with FAILED_PRECONDITION: it never receives a policy it could misread (it starts with no listeners, which
// is deny-all; one that already runs keeps its previous config and the refusal is logged and counted).
// The check reads the proxy's encoded listeners for the RBAC filters' names, so the server stays DSL-agnostic.
import type { ProxySnapshot } from "../snapshot/types.js";

/** The oldest Envoy that may receive meshc's authorization filters. */
export const MIN_ENVOY_FOR_AUTHORIZATION: readonly [number, number, number] = [1, 40, 0];

const RBAC_NAMES = [Buffer.from("envoy.filters.http.rbac"), Buffer.from("envoy.filters.network.rbac")];
const carriesRbac = new WeakMap<ProxySnapshot, boolean>();

/** Whether the proxy's listeners hold RBAC filters (cached per snapshot object). */
export function usesAuthorization(proxy: ProxySnapshot): boolean {
  let v = carriesRbac.get(proxy);
  if (v === undefined) {
    v = proxy.resources.listener.some((r) => {
      const b = Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength);
      return RBAC_NAMES.some((n) => b.includes(n));
    });
    carriesRbac.set(proxy, v);
  }
  return v;
}

/** "1.39.2" -> [1, 39, 2]; undefined when the string is not a version. */
export function parseVersion(v: string): [number, number, number] | undefined {
  const m = /^(\d{1,4})\.(\d{1,4})(?:\.(\d{1,4}))?/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

function older(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

/**
 * Why this proxy may not receive its configuration, or undefined. Only Envoy is checked (gRPC clients carry no
 * RBAC); an Envoy that reports no parsable version is refused too (fail closed).
 */
export function skewRefusal(proxy: ProxySnapshot, userAgentName: string, userAgentVersion: string): string | undefined {
  if (userAgentName !== "envoy" || !usesAuthorization(proxy)) return undefined;
  const v = parseVersion(userAgentVersion);
  const min = MIN_ENVOY_FOR_AUTHORIZATION.join(".");
  if (!v) return `the service's authorization policy needs Envoy >= ${min}; this proxy reports no version`;
  if (older(v, MIN_ENVOY_FOR_AUTHORIZATION)) return `the service's authorization policy needs Envoy >= ${min}; this proxy runs ${v.join(".")}, which could misread it (R15)`;
  return undefined;
}
