// A self-contained Envoy bootstrap for one proxy: its whole snapshot inlined as static resources, so Envoy runs
// (or `envoy --mode validate` checks) it without an xDS server. RDS route configurations are inlined into their
// HttpConnectionManagers as route_config, each EDS cluster gets its ClusterLoadAssignment as load_assignment and
// becomes STATIC (or STRICT_DNS when an address is a name), and the admin interface listens on
// 127.0.0.1:<adminPort>. The result goes through the codec (strict fields, PGV rules) before it is returned.
import { resolveProxy, type NodeSelector } from "../../snapshot/variants.js";
import type { MeshIR } from "../../ir/types.js";
import type { EncodedResource, MeshSnapshot } from "../../snapshot/types.js";
import type { Canonical, CanonicalValue } from "./api/canonical.js";
import { encodeOrThrow, messageToJson } from "./api/codec.js";
import type { Json } from "./api/json.js";
import { typeUrl } from "./api/registry.js";
import { canonicalOf } from "./encode.js";
import { isIpAddress } from "./values.js";
import { statsConfig } from "./stats-config.js";

const HCM = typeUrl("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager");

export interface StaticBootstrapOptions {
  /** The node (id, locality) whose snapshot variant to inline (src/snapshot/variants.ts); absent: the service's. */
  node?: NodeSelector;
  /** Or the snapshot variant itself, by key (validation of every variant). */
  variant?: string;
  /**
   * A proxyless client's API listeners exist only for gRPC: Envoy proper refuses them ("missing the API listener
   * extension"). By default they make staticBootstrap throw. `{ socketPortsFrom: n }` turns each into an ordinary
   * listener on 127.0.0.1:n, n+1, … (in name order), so `envoy --mode validate` still checks their routes and
   * clusters; the result is for validation, not for running a client.
   */
  apiListeners?: "reject" | { socketPortsFrom: number };
  /**
   * SDS secrets (issue 8) to inline as static_resources.secrets: the proxy's "default" leaf and the "ROOTCA" bundle
   * from `meshc bootstrap --static --ca`. TLS contexts then name them without an sds_config. A proxy whose config
   * references secrets and gets none makes staticBootstrap throw MtlsNeedsCaError.
   */
  secrets?: EncodedResource[];
}

/** A static bootstrap of an mTLS proxy needs its certificates: they come from the mesh CA (`--ca <dir>`). */
export class MtlsNeedsCaError extends Error {}

/** Drops sds_config from every SdsSecretConfig in `value`, so it names a static secret; reports the names seen. */
function staticSecretRefs(value: CanonicalValue, seen: Set<string>): CanonicalValue {
  if (Array.isArray(value)) return value.map((v) => staticSecretRefs(v, seen));
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return value;
  const obj = value as Canonical;
  if (typeof obj.name === "string" && obj.sds_config !== undefined && Object.keys(obj).length === 2) {
    seen.add(obj.name);
    return { name: obj.name };
  }
  const out: Canonical = {};
  for (const [k, v] of Object.entries(obj)) out[k] = staticSecretRefs(v as CanonicalValue, seen);
  return out;
}

/** The bootstrap as Envoy JSON. Throws EnvoyValidationError if the result breaks Envoy's schema, Error if the
 *  service has no snapshot or a referenced route/assignment is missing (run checkConsistency first). */
export function staticBootstrap(ir: MeshIR, service: string, snapshot: MeshSnapshot, options: StaticBootstrapOptions = {}): Json {
  const svc = ir.services.find((s) => s.name === service);
  const base = snapshot.proxies.get(service);
  if (!svc || !base) throw new Error(`no proxy "${service}" in this snapshot`);
  // The node's own variant (its instance's sidecar ports, its locality's endpoints), as the xDS server would pick.
  const proxy = options.variant !== undefined ? base.variants?.get(options.variant) : options.node ? resolveProxy(base, options.node).proxy : base;
  if (!proxy) throw new Error(`no variant ${JSON.stringify(options.variant)} of proxy "${service}" in this snapshot`);
  const routes = new Map(proxy.resources.route.map((r) => [r.name, canonicalOf("route", r)]));
  const clas = new Map(proxy.resources.endpoint.map((r) => [r.name, canonicalOf("endpoint", r)]));

  const inlineHcm = (cfg: Canonical): Canonical => {
    if (cfg["@type"] !== HCM || !cfg.rds) return cfg;
    const { rds, ...rest } = cfg;
    const name = (rds as Canonical).route_config_name as string;
    const rc = routes.get(name);
    if (!rc) throw new Error(`proxy "${service}": no RouteConfiguration "${name}"`);
    return { ...rest, route_config: rc };
  };
  let apiIndex = 0;
  const listeners = proxy.resources.listener.map((r) => {
    const l = canonicalOf("listener", r);
    const out: Canonical = { ...l };
    if (Array.isArray(l.filter_chains)) {
      out.filter_chains = (l.filter_chains as Canonical[]).map((fc) => ({
        ...fc,
        ...(Array.isArray(fc.filters) && {
          filters: (fc.filters as Canonical[]).map((f) => (f.typed_config ? { ...f, typed_config: inlineHcm(f.typed_config as Canonical) } : f)),
        }),
      }));
    }
    const api = l.api_listener as Canonical | undefined;
    if (api?.api_listener) {
      const mode = options.apiListeners ?? "reject";
      if (mode === "reject") {
        throw new Error(`"${service}" is a proxyless gRPC client: its API listeners cannot run in Envoy (use the gRPC xDS bootstrap)`);
      }
      const { api_listener: _, ...rest } = out;
      const hcm = inlineHcm(api.api_listener as Canonical);
      return {
        ...rest,
        address: { socket_address: { address: "127.0.0.1", port_value: mode.socketPortsFrom + apiIndex++ } },
        filter_chains: [{ filters: [{ name: "envoy.filters.network.http_connection_manager", typed_config: hcm }] }],
      };
    }
    return out;
  });

  const clusters = proxy.resources.cluster.map((r) => {
    const c = canonicalOf("cluster", r);
    if (c.type !== "EDS") return c;
    const edsName = ((c.eds_cluster_config as Canonical | undefined)?.service_name as string | undefined) || r.name;
    const cla = clas.get(edsName);
    if (!cla) throw new Error(`proxy "${service}": no ClusterLoadAssignment "${edsName}"`);
    const { eds_cluster_config: _, ...rest } = c;
    return { ...rest, type: allIps(cla) ? "STATIC" : "STRICT_DNS", load_assignment: cla };
  });

  const referenced = new Set<string>();
  const staticListeners = listeners.map((l) => staticSecretRefs(l as CanonicalValue, referenced));
  const staticClusters = clusters.map((c) => staticSecretRefs(c as CanonicalValue, referenced));
  const secrets = (options.secrets ?? []).filter((r) => referenced.has(r.name)).map((r) => canonicalOf("secret", r));
  const missing = [...referenced].filter((n) => !secrets.some((x) => x.name === n)).sort();
  if (missing.length) {
    throw new MtlsNeedsCaError(`"${service}" uses mTLS: its static bootstrap needs certificates ${missing.map((n) => JSON.stringify(n)).join(", ")} from the mesh CA; pass --ca <dir> (create one with \`meshc ca init\`)`);
  }
  const bootstrap: Canonical = {
    node: { id: `${service}~static`, cluster: service },
    static_resources: { listeners: staticListeners, clusters: staticClusters, ...(secrets.length && { secrets }) } as Canonical,
    admin: { address: { socket_address: { address: "127.0.0.1", port_value: svc.sidecar.adminPort } } },
    ...(svc.telemetry?.metrics && { stats_config: statsConfig(svc) as Canonical }),
  };
  const encoded = encodeOrThrow("envoy.config.bootstrap.v3.Bootstrap", bootstrap, `Bootstrap of "${service}"`);
  return messageToJson("envoy.config.bootstrap.v3.Bootstrap", encoded.canonical);
}

function allIps(cla: Canonical): boolean {
  for (const group of (cla.endpoints as Canonical[] | undefined) ?? []) {
    for (const lb of (group.lb_endpoints as Canonical[] | undefined) ?? []) {
      const addr = ((((lb.endpoint as Canonical)?.address as Canonical)?.socket_address as Canonical)?.address ?? "") as CanonicalValue;
      if (typeof addr === "string" && !isIpAddress(addr)) return false;
    }
  }
  return true;
}
