// `meshc proxy-config` tables: one row per resource (per route, per endpoint), the columns an operator checks
// first. Routes: config, domains, match, action, timeout, retries. Clusters: name, type, LB, circuit breakers,
// outlier detection. Endpoints: cluster, address, locality, priority, weight. Listeners: name, address, filter
// chains, RDS name. Secrets: name, version, what they hold (never their content).
import type { ResourceKind } from "../snapshot/types.js";
import type { Json, ProxyResources } from "./resources.js";

const o = (v: unknown): Json => (v && typeof v === "object" ? (v as Json) : {});
const a = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const s = (v: unknown): string => (v === undefined || v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));

function address(v: unknown): string {
  const sa = o(o(v).socket_address);
  if (sa.address !== undefined) return `${s(sa.address)}:${s(sa.port_value)}`;
  const pipe = o(o(v).pipe);
  return pipe.path !== undefined ? `unix:${s(pipe.path)}` : "";
}

function stringMatch(m: Json): string {
  for (const k of ["exact", "prefix", "suffix", "contains"]) if (m[k] !== undefined) return `${k} ${s(m[k])}`;
  if (m.safe_regex) return `regex ${s(o(m.safe_regex).regex)}`;
  return "";
}

function routeMatch(m: Json): string {
  const parts: string[] = [];
  if (m.prefix !== undefined) parts.push(`prefix ${s(m.prefix)}`);
  if (m.path !== undefined) parts.push(`path ${s(m.path)}`);
  if (m.path_separated_prefix !== undefined) parts.push(`prefix ${s(m.path_separated_prefix)}`);
  if (m.safe_regex) parts.push(`regex ${s(o(m.safe_regex).regex)}`);
  for (const h of a(m.headers)) {
    const what = h.present_match ? "present" : h.string_match ? stringMatch(o(h.string_match)) : "";
    parts.push(`${h.invert_match ? "!" : ""}${s(h.name)} ${what}`.trim());
  }
  for (const q of a(m.query_parameters)) parts.push(`?${s(q.name)} ${q.present_match ? "present" : stringMatch(o(q.string_match))}`.trim());
  if (m.grpc) parts.push("grpc");
  return parts.join(", ");
}

function routeAction(r: Json): { action: string; timeout: string; retries: string } {
  if (r.route) {
    const rt = o(r.route);
    const wc = a(o(rt.weighted_clusters).clusters);
    const action = rt.cluster !== undefined ? `-> ${s(rt.cluster)}` : wc.length ? `-> ${wc.map((c) => `${s(c.name)} ${s(c.weight)}`).join(", ")}` : "route";
    const mirror = a(rt.request_mirror_policies).map((m) => ` (mirror ${s(m.cluster)} ${s(o(o(m.runtime_fraction).default_value).numerator)}%)`).join("");
    const rp = o(rt.retry_policy);
    const retries = rt.retry_policy ? `${s(rp.num_retries ?? 1)}x ${s(rp.retry_on)}${rp.per_try_timeout ? ` per try ${s(rp.per_try_timeout)}` : ""}` : "";
    return { action: action + mirror, timeout: s(rt.timeout), retries };
  }
  if (r.redirect) return { action: `redirect ${Object.entries(o(r.redirect)).map(([k, v]) => `${k}=${s(v)}`).join(" ")}`, timeout: "", retries: "" };
  if (r.direct_response) return { action: `respond ${s(o(r.direct_response).status)}`, timeout: "", retries: "" };
  return { action: "", timeout: "", retries: "" };
}

export const HEADERS: Record<ResourceKind, string[]> = {
  cluster: ["CLUSTER", "TYPE", "LB", "CIRCUIT BREAKERS", "OUTLIER DETECTION"],
  endpoint: ["CLUSTER", "ADDRESS", "LOCALITY", "PRIORITY", "WEIGHT"],
  listener: ["LISTENER", "ADDRESS", "FILTER CHAINS", "ROUTE CONFIG"],
  route: ["ROUTE CONFIG", "DOMAINS", "NAME", "MATCH", "ACTION", "TIMEOUT", "RETRIES"],
  secret: ["SECRET", "VERSION", "HOLDS"],
};

export function rows(kind: ResourceKind, res: ProxyResources): string[][] {
  const out: string[][] = [];
  for (const r of res[kind]) {
    const b = r.body;
    if (kind === "cluster") {
      const t = o(a(o(b.circuit_breakers).thresholds)[0]);
      const cb = ["max_connections", "max_pending_requests", "max_requests", "max_retries"].filter((k) => t[k] !== undefined).map((k) => `${k.replace(/^max_/, "")}=${s(t[k])}`).join(" ");
      const od = o(b.outlier_detection);
      const outlier = b.outlier_detection ? ["consecutive_5xx", "consecutive_gateway_failure", "interval", "base_ejection_time", "max_ejection_percent"].filter((k) => od[k] !== undefined).map((k) => `${k}=${s(od[k])}`).join(" ") : "";
      out.push([r.name, s(b.type ?? (b.cluster_type ? "custom" : "STATIC")), s(b.lb_policy ?? "ROUND_ROBIN"), cb, outlier]);
    } else if (kind === "endpoint") {
      for (const group of a(b.endpoints)) {
        const loc = o(group.locality);
        const locality = [loc.region, loc.zone, loc.sub_zone].map(s).join("/").replace(/^\/+$/, "");
        for (const e of a(group.lb_endpoints)) out.push([r.name, address(o(e.endpoint).address), locality, s(group.priority ?? 0), s(e.load_balancing_weight ?? 1)]);
      }
    } else if (kind === "listener") {
      const chains = a(b.filter_chains);
      const rds = chains.flatMap((c) => a(c.filters).map((f) => s(o(o(f.typed_config).rds).route_config_name))).filter(Boolean);
      const api = o(o(b.api_listener).api_listener);
      if (api.rds) rds.push(s(o(api.rds).route_config_name));
      out.push([r.name, b.api_listener ? "(API listener)" : address(b.address), String(chains.length), [...new Set(rds)].join(", ")]);
    } else if (kind === "route") {
      for (const vh of a(b.virtual_hosts)) {
        const domains = a(vh.domains).map(s).join(" ");
        for (const route of a(vh.routes)) {
          const act = routeAction(route);
          out.push([r.name, domains, s(route.name), routeMatch(o(route.match)), act.action, act.timeout, act.retries]);
        }
      }
    } else {
      out.push([r.name, r.version ?? "", a(b.holds).map(s).join(", ")]);
    }
  }
  return out;
}
