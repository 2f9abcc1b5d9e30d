// Envoy's run-time rules (beyond `(validate.rules)`) that analysis checks on the IR for generated configuration,
// checked here on what a mesh.patch() returned, since a patch bypasses the IR: header mutations (Envoy's
// HeaderParser refuses to add, set or remove Host and ":"-prefixed headers, and runs every added value through its
// substitution formatter; see src/analysis/analyzers/envoy-header-ops.ts). Reads the canonical form; returns the
// first problem as "path: message", or undefined. `meshc check --envoy` runs the real Envoy on top of this.
// Per resource kind (resourceProblem), rules meshc's generated resources meet by construction:
//   listener  a terminal filter (network: http_connection_manager, tcp_proxy, direct_response, echo; HTTP: router,
//             upstream_codec) is the last of its chain, and a chain does not end in a known non-terminal filter
//             (Envoy's validateTerminalFilters; an empty chain is accepted, as Envoy does)
//   cluster   eds_cluster_config only on an EDS cluster ("eds_cluster_config set in a non-EDS cluster")
// Filters are told apart by their typed_config's type, as Envoy finds their factory, else by name; a filter this
// file does not know is given the benefit of the doubt (`--envoy` has the last word).
import { isUnmodifiableHeader } from "../analysis/analyzers/envoy-header-ops.js";
import { formatterProblem } from "../analysis/envoy-formatter.js";

export function runtimeProblem(c: unknown, path = ""): string | undefined {
  if (Array.isArray(c)) {
    for (let i = 0; i < c.length; i++) {
      const hit = runtimeProblem(c[i], `${path}[${i}]`);
      if (hit) return hit;
    }
    return undefined;
  }
  if (c === null || typeof c !== "object") return undefined;
  for (const [k, v] of Object.entries(c as Record<string, unknown>)) {
    const p = path ? `${path}.${k}` : k;
    if (/headers_to_add$/.test(k) && Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const h = (v[i] as { header?: { key?: unknown; value?: unknown } } | null)?.header;
        const key = typeof h?.key === "string" ? h.key : "";
        if (isUnmodifiableHeader(key)) return `${p}[${i}].header.key: Envoy refuses to modify ${JSON.stringify(key)} (":"-prefixed and host headers may not be modified)`;
        const problem = typeof h?.value === "string" ? formatterProblem(h.value) : undefined;
        if (problem !== undefined) return `${p}[${i}].header.value: Envoy's substitution formatter refuses ${JSON.stringify(h!.value)}: ${problem}`;
      }
    } else if (/headers_to_remove$/.test(k) && Array.isArray(v)) {
      const i = v.findIndex((name) => typeof name === "string" && isUnmodifiableHeader(name));
      if (i >= 0) return `${p}[${i}]: Envoy refuses to remove ${JSON.stringify(v[i])} (":"-prefixed and host headers may not be removed)`;
    }
    const hit = runtimeProblem(v, p);
    if (hit) return hit;
  }
  return undefined;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

/** Envoy's factory name ("envoy.filters.http.router") of a filter's config type, for the known ones. */
const NETWORK_TERMINAL: Record<string, string> = {
  "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager": "envoy.filters.network.http_connection_manager",
  "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy": "envoy.filters.network.tcp_proxy",
  "envoy.extensions.filters.network.direct_response.v3.Config": "envoy.filters.network.direct_response",
  "envoy.extensions.filters.network.echo.v3.Echo": "envoy.filters.network.echo",
};
const NETWORK_NON_TERMINAL: Record<string, string> = {
  "envoy.extensions.filters.network.rbac.v3.RBAC": "envoy.filters.network.rbac",
  "envoy.extensions.filters.network.local_ratelimit.v3.LocalRateLimit": "envoy.filters.network.local_ratelimit",
};
const HTTP_TERMINAL: Record<string, string> = {
  "envoy.extensions.filters.http.router.v3.Router": "envoy.filters.http.router",
  "envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec": "envoy.filters.http.upstream_codec",
};
const HTTP_NON_TERMINAL: Record<string, string> = {
  "envoy.extensions.filters.http.cors.v3.Cors": "envoy.filters.http.cors",
  "envoy.extensions.filters.http.fault.v3.HTTPFault": "envoy.filters.http.fault",
  "envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit": "envoy.filters.http.local_ratelimit",
  "envoy.extensions.filters.http.rbac.v3.RBAC": "envoy.filters.http.rbac",
  "envoy.extensions.filters.http.dynamic_forward_proxy.v3.FilterConfig": "envoy.filters.http.dynamic_forward_proxy",
  "envoy.extensions.filters.http.buffer.v3.Buffer": "envoy.filters.http.buffer",
  "envoy.extensions.filters.http.lua.v3.Lua": "envoy.filters.http.lua",
  "envoy.extensions.filters.http.ext_authz.v3.ExtAuthz": "envoy.filters.http.ext_authz",
  "envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication": "envoy.filters.http.jwt_authn",
  "envoy.extensions.filters.http.compressor.v3.Compressor": "envoy.filters.http.compressor",
  "envoy.extensions.filters.http.header_mutation.v3.HeaderMutation": "envoy.filters.http.header_mutation",
  "envoy.extensions.filters.http.grpc_web.v3.GrpcWeb": "envoy.filters.http.grpc_web",
};

/** "terminal", "non-terminal" or undefined (not known here), and Envoy's name for the filter's type. */
function terminality(f: unknown, terminal: Record<string, string>, nonTerminal: Record<string, string>): { kind?: "terminal" | "non-terminal"; type: string; name: string } {
  const o = isObj(f) ? f : {};
  const name = typeof o.name === "string" ? o.name : "";
  const url = isObj(o.typed_config) && typeof o.typed_config["@type"] === "string" ? o.typed_config["@type"] : undefined;
  if (url !== undefined) {
    const t = url.slice(url.lastIndexOf("/") + 1);
    if (t in terminal) return { kind: "terminal", type: terminal[t]!, name };
    if (t in nonTerminal) return { kind: "non-terminal", type: nonTerminal[t]!, name };
    return { type: t, name };
  }
  if (o.config_discovery !== undefined) return { type: name, name }; // ECDS: its type arrives later
  if (Object.values(terminal).includes(name)) return { kind: "terminal", type: name, name };
  if (Object.values(nonTerminal).includes(name)) return { kind: "non-terminal", type: name, name };
  return { type: name, name };
}

/** Envoy's validateTerminalFilters over one chain: the first problem as "path: message", or undefined. */
function chainProblem(filters: unknown, path: string, chain: string, terminal: Record<string, string>, nonTerminal: Record<string, string>): string | undefined {
  if (!Array.isArray(filters) || filters.length === 0) return undefined;
  for (let i = 0; i < filters.length; i++) {
    const last = i === filters.length - 1;
    const t = terminality(filters[i], terminal, nonTerminal);
    if (t.kind === "terminal" && !last) return `${path}[${i}]: Envoy refuses a terminal filter (${t.name} of type ${t.type}) before the end of a ${chain} filter chain: it must be the last filter`;
    if (t.kind === "non-terminal" && last) return `${path}[${i}]: Envoy refuses a ${chain} filter chain that ends in a non-terminal filter (${t.name} of type ${t.type}): the last filter must be a terminal one (${Object.values(terminal)[0]})`;
  }
  return undefined;
}

function listenerProblem(l: Obj): string | undefined {
  const chains: [unknown, string][] = [
    ...(Array.isArray(l.filter_chains) ? l.filter_chains.map((fc, i): [unknown, string] => [fc, `filter_chains[${i}]`]) : []),
    ...(l.default_filter_chain !== undefined ? [[l.default_filter_chain, "default_filter_chain"] as [unknown, string]] : []),
  ];
  for (const [fc, at] of chains) {
    if (!isObj(fc) || !Array.isArray(fc.filters)) continue;
    const hit = chainProblem(fc.filters, `${at}.filters`, "network", NETWORK_TERMINAL, NETWORK_NON_TERMINAL);
    if (hit) return hit;
    for (let i = 0; i < fc.filters.length; i++) {
      const f = fc.filters[i];
      const hcm = isObj(f) && isObj(f.typed_config) && String(f.typed_config["@type"]).endsWith(".HttpConnectionManager") ? f.typed_config : undefined;
      if (!hcm) continue;
      const p = `${at}.filters[${i}].typed_config`;
      const h = chainProblem(hcm.http_filters, `${p}.http_filters`, "http", HTTP_TERMINAL, HTTP_NON_TERMINAL);
      if (h) return h;
      if (Array.isArray(hcm.upgrade_configs)) {
        for (let u = 0; u < hcm.upgrade_configs.length; u++) {
          const uc = hcm.upgrade_configs[u];
          const hu = isObj(uc) ? chainProblem(uc.filters, `${p}.upgrade_configs[${u}].filters`, "http upgrade", HTTP_TERMINAL, HTTP_NON_TERMINAL) : undefined;
          if (hu) return hu;
        }
      }
    }
  }
  return undefined;
}

function clusterProblem(c: Obj): string | undefined {
  // Envoy reads `type` even when a custom cluster_type is set (its default, STATIC, then).
  const type = typeof c.type === "string" ? c.type : "STATIC";
  if (c.eds_cluster_config !== undefined && type !== "EDS") {
    return `eds_cluster_config: Envoy refuses it on a ${type} cluster ("eds_cluster_config set in a non-EDS cluster"): remove it, or keep the cluster EDS`;
  }
  return undefined;
}

/** The resource-level rules of `kind` (see the header), then the field rules of runtimeProblem. */
export function resourceProblem(kind: "listener" | "cluster" | "route", c: unknown): string | undefined {
  if (isObj(c)) {
    const hit = kind === "listener" ? listenerProblem(c) : kind === "cluster" ? clusterProblem(c) : undefined;
    if (hit) return hit;
  }
  return runtimeProblem(c);
}

/** A listener's bound addresses as Envoy compares them ("<protocol> <address>:<port>"), or [] when it binds none. */
function boundAddresses(l: Obj): string[] {
  if (l.api_listener !== undefined) return [];
  const bind = !(isObj(l.bind_to_port) && l.bind_to_port.value === false);
  const all = [l.address, ...(Array.isArray(l.additional_addresses) ? l.additional_addresses.map((a) => (isObj(a) ? a.address : undefined)) : [])];
  const out: string[] = [];
  for (const a of all) {
    const sa = isObj(a) && isObj(a.socket_address) ? a.socket_address : undefined;
    if (!sa || typeof sa.address !== "string") continue;
    const port = typeof sa.port_value === "number" ? sa.port_value : 0;
    if (port === 0 && bind) continue; // Envoy allows several listeners on port 0 (the kernel picks)
    const protocol = typeof sa.protocol === "string" ? sa.protocol : "TCP";
    const host = sa.address.toLowerCase();
    out.push(`${protocol} ${host.includes(":") ? `[${host}]` : host}:${port}`);
  }
  return out;
}

/**
 * Envoy's duplicate-address rule for the listeners of one proxy (ListenerImpl::hasDuplicatedAddress: the same
 * address and port, of the same socket type): "error adding listener: … has duplicate address … as existing
 * listener". Returns each later listener that repeats an earlier one's address, with that listener and the address.
 */
export function duplicateListenerAddresses(listeners: readonly { name: string; canonical: unknown }[]): { name: string; first: string; address: string }[] {
  const seen = new Map<string, string>();
  const out: { name: string; first: string; address: string }[] = [];
  for (const l of listeners) {
    if (!isObj(l.canonical)) continue;
    for (const a of new Set(boundAddresses(l.canonical))) {
      const first = seen.get(a);
      if (first !== undefined && first !== l.name) out.push({ name: l.name, first, address: a.slice(a.indexOf(" ") + 1) });
      else seen.set(a, l.name);
    }
  }
  return out;
}
