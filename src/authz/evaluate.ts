// Evaluates the compiled Envoy RBAC filters of one inbound listener against a described request, the way Envoy
// does: the path goes through the listener's connection-manager normalization first (escaped slashes rejected,
// unreserved escapes decoded, dot segments removed, slashes merged, query dropped), then each RBAC filter in chain
// order: a DENY filter denies on any matching policy, an ALLOW filter denies unless some policy matches; shadow
// rules are evaluated beside and reported, never enforced. Reads only the canonical Envoy JSON: what it explains
// is what Envoy receives. Only the matcher forms meshc emits are understood; anything else is reported as unknown.
import type { Canonical } from "../backends/envoy/api/canonical.js";

export interface AuthzRequest {
  /** Verified SPIFFE ID of the caller; undefined: no mesh identity (plaintext). */
  principal?: string;
  method: string;
  /** Request target as sent (may hold a query). */
  path: string;
  /** Lower-case names. */
  headers: Record<string, string>;
}

export interface FilterVerdict {
  filter: string;
  action: "ALLOW" | "DENY";
  /** Enforced policies that matched (sorted). */
  matched: string[];
  /** Shadow (dry-run) policies that matched (sorted). */
  shadowMatched: string[];
  enforced: boolean;
  /** This filter refuses the request (enforced). */
  denies: boolean;
  /** The shadow rules would refuse it. */
  shadowDenies: boolean;
}

export interface AuthzVerdict {
  decision: "allowed" | "denied" | "rejected";
  /** The normalized path RBAC saw, or why normalization rejected the request. */
  normalizedPath?: string;
  rejectReason?: string;
  filters: FilterVerdict[];
  /** The filter whose verdict decided (absent when nothing refused). */
  decidedBy?: FilterVerdict;
}

type Json = Canonical | Canonical[] | string | number | boolean | null | undefined;
const obj = (v: Json): Canonical | undefined => (v !== null && typeof v === "object" && !Array.isArray(v) ? v : undefined);
const arr = (v: Json): Canonical[] => (Array.isArray(v) ? (v as Canonical[]) : []);

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Envoy's HCM path handling with normalize_path, merge_slashes and REJECT_REQUEST on escaped slashes. */
export function normalizePath(target: string, hcm: Canonical): { path?: string; reject?: string } {
  // An absolute-form target (`GET http://host/path HTTP/1.1`): Envoy's HTTP/1 codec keeps its path and query.
  const absolute = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(target);
  const rest = absolute ? target.slice(absolute[0].length) : target;
  let path = (absolute && !rest.startsWith("/") ? `/${rest}` : rest).split("?")[0]!;
  if (path.includes("#")) return { reject: "a fragment (#) in the path is rejected by Envoy" };
  if (!path.startsWith("/")) return { reject: 'a path not starting with "/" is rejected by Envoy' };
  const normalize = hcm.normalize_path === true || obj(hcm.normalize_path as Json)?.value === true;
  const escaped = hcm.path_with_escaped_slashes_action;
  if (escaped === "REJECT_REQUEST" && /%(2f|5c)/i.test(path)) return { reject: "an escaped slash (%2F or %5C) is rejected (path_with_escaped_slashes_action: REJECT_REQUEST)" };
  if (normalize) {
    path = path.replace(/%([0-9A-Fa-f]{2})/g, (m, h: string) => {
      const c = String.fromCharCode(parseInt(h, 16));
      return UNRESERVED.test(c) ? c : m;
    });
    path = path.replace(/\\/g, "/");
    const out: string[] = [];
    const segs = path.split("/").slice(1);
    segs.forEach((raw, i) => {
      // Envoy's canonicalizer (Chromium's URL library) reads ".;x" and "..;x" as dot segments, parameters dropped.
      const s = /^\.\.?;/.test(raw) ? raw.slice(0, raw.indexOf(";")) : raw;
      if (s === ".") {
        if (i === segs.length - 1) out.push("");
      } else if (s === "..") {
        out.pop();
        if (i === segs.length - 1) out.push("");
      } else out.push(s);
    });
    path = "/" + out.join("/");
  }
  if (hcm.merge_slashes === true) path = path.replace(/\/{2,}/g, "/");
  return { path };
}

function stringMatch(m: Canonical, value: string | undefined): boolean {
  if (value === undefined) return false;
  const ci = m.ignore_case === true;
  const v = ci ? value.toLowerCase() : value;
  const want = (k: string) => (ci ? String(m[k]).toLowerCase() : String(m[k]));
  if (m.exact !== undefined) return v === want("exact");
  if (m.prefix !== undefined) return v.startsWith(want("prefix"));
  if (m.suffix !== undefined) return v.endsWith(want("suffix"));
  if (m.contains !== undefined) return v.includes(want("contains"));
  throw new Error(`unsupported string matcher ${JSON.stringify(m)}`);
}

function header(req: AuthzRequest, name: string): string | undefined {
  if (name === ":method") return req.method;
  return req.headers[name.toLowerCase()];
}

function permission(p: Canonical, req: AuthzRequest, path: string): boolean {
  if (p.any === true) return true;
  if (p.and_rules) return arr(obj(p.and_rules as Json)!.rules as Json).every((r) => permission(r, req, path));
  if (p.or_rules) return arr(obj(p.or_rules as Json)!.rules as Json).some((r) => permission(r, req, path));
  if (p.not_rule) return !permission(obj(p.not_rule as Json)!, req, path);
  if (p.header) {
    const h = obj(p.header as Json)!;
    const v = header(req, String(h.name));
    if (h.present_match === true) return v !== undefined;
    return stringMatch(obj(h.string_match as Json)!, v);
  }
  if (p.url_path) return stringMatch(obj(obj(p.url_path as Json)!.path as Json)!, path);
  throw new Error(`unsupported permission ${JSON.stringify(p)}`);
}

function principal(p: Canonical, req: AuthzRequest): boolean {
  if (p.any === true) return true;
  if (p.and_ids) return arr(obj(p.and_ids as Json)!.ids as Json).every((r) => principal(r, req));
  if (p.or_ids) return arr(obj(p.or_ids as Json)!.ids as Json).some((r) => principal(r, req));
  if (p.not_id) return !principal(obj(p.not_id as Json)!, req);
  if (p.authenticated) {
    const m = obj(obj(p.authenticated as Json)!.principal_name as Json);
    // Envoy: without a peer certificate the principal is empty, and a principal_name matcher never matches.
    return req.principal !== undefined && m !== undefined && stringMatch(m, req.principal);
  }
  throw new Error(`unsupported principal ${JSON.stringify(p)}`);
}

function matchedPolicies(rbac: Canonical | undefined, req: AuthzRequest, path: string): string[] {
  const policies = obj(rbac?.policies as Json) ?? {};
  return Object.keys(policies)
    .filter((name) => {
      const pol = obj(policies[name] as Json)!;
      return arr(pol.permissions as Json).some((p) => permission(p, req, path)) && arr(pol.principals as Json).some((p) => principal(p, req));
    })
    .sort();
}

const actionOf = (rbac: Canonical | undefined): "ALLOW" | "DENY" => (rbac?.action === "DENY" ? "DENY" : "ALLOW");

/** Evaluates the HTTP RBAC filters of one connection manager (canonical JSON of the HCM). */
export function evaluateHcm(hcm: Canonical, req: AuthzRequest): AuthzVerdict {
  const n = normalizePath(req.path, hcm);
  if (n.reject) return { decision: "rejected", rejectReason: n.reject, filters: [] };
  const path = n.path!;
  const filters: FilterVerdict[] = [];
  for (const f of arr(hcm.http_filters as Json)) {
    const cfg = obj(f.typed_config as Json);
    if (!cfg || !String(cfg["@type"]).endsWith("envoy.extensions.filters.http.rbac.v3.RBAC")) continue;
    const rules = obj(cfg.rules as Json);
    const shadow = obj(cfg.shadow_rules as Json);
    const action = actionOf(rules ?? shadow);
    const matched = rules ? matchedPolicies(rules, req, path) : [];
    const shadowMatched = shadow ? matchedPolicies(shadow, req, path) : [];
    const refuses = (m: string[]) => (action === "DENY" ? m.length > 0 : m.length === 0);
    filters.push({
      filter: String(f.name),
      action,
      matched,
      shadowMatched,
      enforced: rules !== undefined,
      denies: rules !== undefined && refuses(matched),
      shadowDenies: shadow !== undefined && refuses(shadowMatched),
    });
  }
  const decidedBy = filters.find((f) => f.denies);
  return { decision: decidedBy ? "denied" : "allowed", normalizedPath: path, filters, ...(decidedBy ? { decidedBy } : {}) };
}
