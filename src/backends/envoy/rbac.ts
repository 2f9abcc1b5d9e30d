// Authorization -> Envoy RBAC. Each inbound listener of a service under a policy gets (in this order, ahead of
// every other filter) a DENY-action RBAC filter holding the deny rules, then, under default "deny", an ALLOW-action
// RBAC filter holding the allow rules: a request passes only if no deny policy matches and (default deny) some
// allow policy does, so deny wins whatever the order of the rules. Rules are resolved per port at compile time (an
// inbound listener is one port), so no destination_port conditions are needed. An ingress gateway's listeners get
// the same filters (one listener per gateway port); its callers present no client certificate, so Envoy evaluates
// them with an empty principal (no `authenticated` matcher matches).
//
// Dry run: `rules` hold only enforced rules; `shadow_rules` hold enforced + dry-run rules, so the shadow stats
// (`http.<hcm prefix>.rbac.meshc_dryrun_deny.shadow_denied`; Envoy adds the ".") count what the policy would do with
// the dry-run rules enforced. A service's wholly dry-run policy enforces only the mesh-wide rules and default (none:
// no `rules` at all, Envoy then enforces nothing).
//
// Matching is never by regex: principals are exact SPIFFE IDs (or a "spiffe://<td>/" prefix for a trust domain),
// paths use `url_path` (the normalized path without query; never the raw :path header), methods are exact.
import type { AuthzHeaderIR, AuthzPathIR, AuthzRuleIR, CallerIR, MeshIR, PortIR, ServiceIR } from "../../ir/types.js";
import { effectivePolicy, hasPathCondition, httpConditions, rulesForPort, type EffectivePolicy } from "../../ir/authz.js";
import { pack } from "./api/codec.js";
import { statPrefix } from "./names.js";
import type { EnvoyTypes } from "./api/codec.js";
import type { HttpFilter } from "./xds-types.js";

type Permission = EnvoyTypes["envoy.config.rbac.v3.Permission"];
type Principal = EnvoyTypes["envoy.config.rbac.v3.Principal"];
type Policy = EnvoyTypes["envoy.config.rbac.v3.Policy"];
type RBAC = EnvoyTypes["envoy.config.rbac.v3.RBAC"];
type NetworkFilter = EnvoyTypes["envoy.config.listener.v3.Filter"];

export const RBAC_FILTER = { http: "envoy.filters.http.rbac", network: "envoy.filters.network.rbac" } as const;

/** Stat prefixes: `http.<hcm prefix>.rbac.<prefix>.{allowed,denied,shadow_allowed,shadow_denied}` (docs/dsl.md). */
export const RBAC_STATS = { deny: "meshc_deny", allow: "meshc_allow", dryRunDeny: "meshc_dryrun_deny", dryRunAllow: "meshc_dryrun_allow" } as const;

/**
 * Name of the built-in deny policy for what RFC 3986 normalization leaves alone but lenient apps read as a path
 * separator or dot segment: `..;` / `.;` segments (servlet path parameters, `;` plain or as %3B) and overlong UTF-8
 * lead sequences (%C0, %C1, %E0%80-%E0%9F, %F0%80-%F0%8F: never valid UTF-8, the historic encodings of "." and "/").
 */
export const PATH_SAFETY_POLICY = "meshc-path-safety";
const PATH_SAFETY_CONTAINS = ["/..;", "/.;", "/..%3b", "/.%3b", "%c0", "%c1", "%e0%8", "%e0%9", "%f0%8"];

const ANY_PRINCIPAL: Principal = { any: true };
const NO_PRINCIPAL: Principal = { not_id: { any: true } };
const NO_PERMISSION: Permission = { not_rule: { any: true } };

function orIds(ids: Principal[]): Principal {
  if (ids.length === 0) return NO_PRINCIPAL;
  return ids.length === 1 ? ids[0]! : { or_ids: { ids } };
}

function andIds(ids: Principal[]): Principal {
  if (ids.length === 0) return ANY_PRINCIPAL;
  return ids.length === 1 ? ids[0]! : { and_ids: { ids } };
}

function orRules(rules: Permission[]): Permission {
  if (rules.length === 0) return NO_PERMISSION;
  return rules.length === 1 ? rules[0]! : { or_rules: { rules } };
}

function andRules(rules: Permission[]): Permission {
  if (rules.length === 0) return { any: true };
  return rules.length === 1 ? rules[0]! : { and_rules: { rules } };
}

/** The caller's verified identity, matched exactly (R16): never a regex, so "." or "*" match only themselves. */
export function callerPrincipal(ir: MeshIR, c: CallerIR): Principal {
  switch (c.kind) {
    case "service": {
      const s = ir.services.find((x) => x.name === c.service);
      return s ? { authenticated: { principal_name: { exact: s.identity } } } : NO_PRINCIPAL;
    }
    case "identity":
      return { authenticated: { principal_name: { exact: c.identity } } };
    case "trust-domain":
      return { authenticated: { principal_name: { prefix: `spiffe://${c.trustDomain}/` } } };
  }
}

function principal(ir: MeshIR, r: AuthzRuleIR): Principal {
  const parts: Principal[] = [];
  if (r.from) parts.push(orIds(r.from.map((c) => callerPrincipal(ir, c))));
  if (r.notFrom && r.notFrom.length) parts.push({ not_id: orIds(r.notFrom.map((c) => callerPrincipal(ir, c))) });
  return andIds(parts);
}

/**
 * Reserved characters Envoy's path normalization leaves as they came, raw or percent-encoded (it decodes only
 * unreserved escapes): an app that decodes the path reads `/users%3Aexport` as `/users:export`.
 */
export const ENCODABLE_RESERVED = "!$&'()*+,:=@[]";
/** At most this many such characters in a path matched on its safe side (2^n spellings): MESH0707 beyond. */
export const MAX_ENCODABLE_IN_PATH = 5;

/** Every spelling of `value` with each reserved character raw or as %XX (upper- and lower-case hex). */
function spellings(value: string, ignoreCase: boolean): string[] {
  let out = [""];
  for (const ch of value) {
    if (!ENCODABLE_RESERVED.includes(ch)) {
      out = out.map((v) => v + ch);
      continue;
    }
    const hex = ch.charCodeAt(0).toString(16).toUpperCase();
    const forms = ignoreCase || hex === hex.toLowerCase() ? [ch, `%${hex}`] : [ch, `%${hex}`, `%${hex.toLowerCase()}`];
    out = out.flatMap((v) => forms.map((f) => v + f));
  }
  return out;
}

/**
 * `everySpelling`: the rule's safe side is to match more (a deny's paths, an allow's notPaths): every spelling of
 * the reserved characters, and for exact and suffix paths the same path followed by servlet path parameters
 * (`/admin;jsessionid=1`, also as %3B), which Tomcat and Spring strip before routing (a prefix already covers them).
 */
function pathPermission(p: AuthzPathIR, everySpelling: boolean): Permission {
  const ci = p.ignoreCase ? { ignore_case: true } : {};
  const one = (value: string): Permission[] => {
    if (p.kind === "prefix") return [{ url_path: { path: { prefix: value, ...ci } } }];
    const whole: Permission = { url_path: { path: p.kind === "exact" ? { exact: value, ...ci } : { suffix: value, ...ci } } };
    if (!everySpelling) return [whole];
    const params = [";", "%3B", ...(p.ignoreCase ? [] : ["%3b"])].map((sep): Permission => ({ url_path: { path: p.kind === "exact" ? { prefix: value + sep, ...ci } : { contains: value + sep, ...ci } } }));
    return [whole, ...params];
  };
  return everySpelling ? orRules(spellings(p.value, p.ignoreCase).flatMap(one)) : one(p.value)[0]!;
}

function methodPermission(method: string, ignoreCase: boolean): Permission {
  return { header: { name: ":method", string_match: { exact: method, ...(ignoreCase ? { ignore_case: true } : {}) } } };
}

function headerPermission(h: AuthzHeaderIR): Permission {
  if (h.match.kind === "present") return { header: { name: h.name, present_match: true } };
  const m = h.match.kind === "exact" ? { exact: h.match.value } : h.match.kind === "prefix" ? { prefix: h.match.value } : { suffix: h.match.value };
  return { header: { name: h.name, string_match: m } };
}

function permission(r: AuthzRuleIR, http: boolean): Permission {
  const parts: Permission[] = [];
  if (http) {
    // An app may treat "post" as POST: a deny rule's methods and an allow rule's notMethods match any spelling (the
    // rule denies more or allows less); a deny rule's notMethods and an allow rule's methods only the upper-case one.
    const ci = r.action === "deny";
    if (r.methods) parts.push(orRules(r.methods.map((m) => methodPermission(m, ci))));
    if (r.notMethods && r.notMethods.length) parts.push({ not_rule: orRules(r.notMethods.map((m) => methodPermission(m, !ci))) });
    if (r.paths) parts.push(orRules(r.paths.map((p) => pathPermission(p, ci))));
    if (r.notPaths && r.notPaths.length) parts.push({ not_rule: orRules(r.notPaths.map((p) => pathPermission(p, !ci))) });
    for (const h of r.headers) parts.push(headerPermission(h));
    if (r.notHeaders.length) parts.push({ not_rule: orRules(r.notHeaders.map(headerPermission)) });
  }
  // On a TCP port a deny rule's HTTP conditions (MESH0706) are dropped, which denies more: fail closed.
  return andRules(parts);
}

function policyOf(ir: MeshIR, r: AuthzRuleIR, http: boolean): Policy {
  return { permissions: [permission(r, http)], principals: [principal(ir, r)] };
}

function pathSafetyPolicy(): Policy {
  const contains = PATH_SAFETY_CONTAINS.map((s): Permission => ({ url_path: { path: { contains: s, ignore_case: true } } }));
  return { permissions: [{ or_rules: { rules: contains } }], principals: [ANY_PRINCIPAL] };
}

interface Layer {
  rules?: RBAC;
  shadow?: RBAC;
}

/**
 * One RBAC filter's policies: `rules` (when `enforce`) hold the rules not in dry run, `shadow_rules` (when `shadow`)
 * hold them all. `extra` is a built-in policy, enforced or not as its flag says.
 */
function layer(ir: MeshIR, action: "ALLOW" | "DENY", rules: AuthzRuleIR[], http: boolean, enforce: boolean, shadow: boolean, extra?: [string, Policy, boolean]): Layer {
  const enforced: Record<string, Policy> = {};
  const all: Record<string, Policy> = {};
  for (const r of rules) {
    const p = policyOf(ir, r, http);
    all[r.name] = p;
    if (!r.dryRun) enforced[r.name] = p;
  }
  if (extra) {
    all[extra[0]] = extra[1];
    if (extra[2]) enforced[extra[0]] = extra[1];
  }
  const out: Layer = {};
  if (enforce) out.rules = { action, policies: enforced };
  if (shadow) out.shadow = { action, policies: all };
  return out;
}

/** What the RBAC filters of one inbound port hold, before packing (explain evaluates exactly this). */
export interface PortRbac {
  deny?: Layer;
  allow?: Layer;
  /** A path condition applies on this port: its connection manager must normalize paths. */
  normalizePaths: boolean;
}

export function portRbac(ir: MeshIR, service: ServiceIR, port: PortIR, policy: EffectivePolicy | undefined = effectivePolicy(ir, service)): PortRbac | undefined {
  if (!policy) return undefined;
  const http = port.protocol !== "tcp";
  const rules = rulesForPort(policy, port);
  const denies = rules.filter((r) => r.action === "deny");
  const allows = rules.filter((r) => r.action === "allow");
  const normalizePaths = http && rules.some(hasPathCondition);
  const out: PortRbac = { normalizePaths };
  // A dry-run policy (the service's own or the mesh-wide one) puts its rules and its default in dry run, never the
  // other's: rules keep their own dryRun, and the default enforced meanwhile is the other policy's (or "allow").
  const enforcedDefault = policy.enforcedDefault;
  const enforcedDenies = denies.some((r) => !r.dryRun);
  const enforcedPaths = http && rules.some((r) => !r.dryRun && hasPathCondition(r) && (r.action === "deny" || enforcedDefault === "deny"));
  // The built-in path-safety deny is enforced with the path rules it protects, and in dry run alongside them.
  const safety: [string, Policy, boolean] | undefined = normalizePaths ? [PATH_SAFETY_POLICY, pathSafetyPolicy(), enforcedPaths] : undefined;
  if (denies.length || safety) {
    const shadow = policy.dryRun || denies.some((r) => r.dryRun);
    out.deny = layer(ir, "DENY", denies, http, !policy.dryRun || enforcedDenies || enforcedPaths, shadow, safety);
  }
  const shadowAllow = policy.default === "deny" && (policy.dryRun || enforcedDefault !== "deny" || allows.some((r) => r.dryRun));
  if (enforcedDefault === "deny" || shadowAllow) out.allow = layer(ir, "ALLOW", allows, http, enforcedDefault === "deny", shadowAllow);
  if (!out.deny && !out.allow) return undefined;
  return out;
}

function httpRbac(l: Layer, kind: "deny" | "allow") {
  return pack("envoy.extensions.filters.http.rbac.v3.RBAC", {
    ...(l.rules ? { rules: l.rules, rules_stat_prefix: kind === "deny" ? RBAC_STATS.deny : RBAC_STATS.allow } : {}),
    ...(l.shadow ? { shadow_rules: l.shadow, shadow_rules_stat_prefix: kind === "deny" ? RBAC_STATS.dryRunDeny : RBAC_STATS.dryRunAllow } : {}),
  });
}

/** HTTP filters to put first in the inbound connection manager of `port` (empty: no policy applies). */
export function inboundRbacHttpFilters(ir: MeshIR, service: ServiceIR, port: PortIR): HttpFilter[] {
  const r = portRbac(ir, service, port);
  if (!r) return [];
  const out: HttpFilter[] = [];
  if (r.deny) out.push({ name: `${RBAC_FILTER.http}.deny`, typed_config: httpRbac(r.deny, "deny") });
  if (r.allow) out.push({ name: `${RBAC_FILTER.http}.allow`, typed_config: httpRbac(r.allow, "allow") });
  return out;
}

/** Network filters to put before tcp_proxy on a TCP port (caller identity only; MESH0706 refuses HTTP conditions). */
export function inboundRbacNetworkFilters(ir: MeshIR, service: ServiceIR, port: PortIR): NetworkFilter[] {
  const r = portRbac(ir, service, port);
  if (!r) return [];
  const out: NetworkFilter[] = [];
  const one = (l: Layer, kind: "deny" | "allow"): NetworkFilter => ({
    name: `${RBAC_FILTER.network}.${kind}`,
    typed_config: pack("envoy.extensions.filters.network.rbac.v3.RBAC", {
      stat_prefix: `${statPrefix("inbound", port.port)}.${kind === "deny" ? RBAC_STATS.deny : RBAC_STATS.allow}.`,
      ...(l.rules ? { rules: l.rules } : {}),
      ...(l.shadow ? { shadow_rules: l.shadow, shadow_rules_stat_prefix: kind === "deny" ? RBAC_STATS.dryRunDeny : RBAC_STATS.dryRunAllow } : {}),
    }),
  });
  if (r.deny) out.push(one(r.deny, "deny"));
  if (r.allow) out.push(one(r.allow, "allow"));
  return out;
}

/**
 * Connection-manager settings whenever a path condition applies on the port (path safety by construction, R14):
 * RFC 3986 dot-segment removal and unreserved percent-decoding, merged slashes, and %2F/%5C (any case) rejected
 * with 400 before any filter runs. Envoy 1.40 rejects fragments ("#") by default and url_path drops the query.
 */
export const PATH_NORMALIZATION = {
  normalize_path: { value: true },
  merge_slashes: true,
  path_with_escaped_slashes_action: "REJECT_REQUEST",
} as const;

export function inboundPathNormalization(ir: MeshIR, service: ServiceIR, port: PortIR): typeof PATH_NORMALIZATION | undefined {
  return portRbac(ir, service, port)?.normalizePaths ? PATH_NORMALIZATION : undefined;
}

export { httpConditions };
