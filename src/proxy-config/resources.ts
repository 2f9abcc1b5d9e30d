// What one proxy holds, per resource kind, as plain JSON objects keyed by name: read either from `meshc serve`'s
// /debug/snapshot/<service> (what the server intends) or from a live Envoy's /config_dump?include_eds (what the
// Envoy runs). Both are Envoy's own JSON (proto field names), so the same tables and the same comparison apply.
// Secrets are reduced to name, version and what they hold (certificate, validation context): key material never
// leaves this module, whatever the source put in its answer.
import type { ResourceKind } from "../snapshot/types.js";

export type Json = Record<string, unknown>;

export interface Resource {
  name: string;
  /** The version it came with (SotW: the type's version_info; Delta: the resource's own version). */
  version?: string;
  /** Server side: the resource's own version (content hash), which a Delta client reports instead. */
  hash?: string;
  body: Json;
}

export type ProxyResources = Record<ResourceKind, Resource[]>;

export const KINDS: ResourceKind[] = ["cluster", "endpoint", "listener", "route", "secret"];

const empty = (): ProxyResources => ({ cluster: [], endpoint: [], listener: [], route: [], secret: [] });

/** A secret as it may be shown: which parts it has, nothing of their content. */
export function redactSecret(name: string, body: Json): Json {
  const has = ["tls_certificate", "validation_context", "session_ticket_keys", "generic_secret", "validation_context_sds_secret_config"].filter((k) => body[k] !== undefined);
  return { name, holds: has };
}

/** Fields holding a google.protobuf.Duration (by name: connect_timeout, interval, base_ejection_time, fixed_delay…). */
const DURATION_KEY = /(timeout|interval|time|duration|delay|ttl)$/i;

/**
 * One spelling per value where proto3 JSON allows several: meshc writes "1.5s", Envoy's dump "1.500s". Only
 * duration-named fields are touched, so header values and the like stay as they are.
 */
export function canonical(v: unknown, key = ""): unknown {
  if (Array.isArray(v)) return v.map((x) => canonical(x, key));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, canonical(x, k)]));
  if (typeof v === "string" && DURATION_KEY.test(key)) {
    const m = /^(-?\d+)(?:\.(\d+))?s$/.exec(v);
    if (m) return m[2] && /[1-9]/.test(m[2]) ? `${m[1]}.${m[2].replace(/0+$/, "")}s` : `${m[1]}s`;
  }
  return v;
}

const nameOf = (kind: ResourceKind, r: Json): string => String(kind === "endpoint" ? (r.cluster_name ?? "") : kind === "route" ? (r.name ?? "") : (r.name ?? ""));
const sortByName = (list: Resource[]) => list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

/** The body of GET /debug/snapshot/<service>: { service, versions, cluster: DiscoveryResponse, …, secret: [{name, version}] }. */
export function fromServerSnapshot(body: Json): ProxyResources {
  const out = empty();
  const versions = (body.versions ?? {}) as Record<string, string>;
  for (const kind of KINDS) {
    const v = body[kind];
    if (!v) continue;
    if (kind === "secret") {
      // The debug view gives each secret's content hash as its version; the type's version is what SotW sends.
      for (const s of v as { name: string; version?: string }[]) {
        out.secret.push({ name: s.name, ...(versions.secret !== undefined && { version: versions.secret }), ...(s.version !== undefined && { hash: s.version }), body: { name: s.name } });
      }
      continue;
    }
    const res = ((v as Json).resources ?? []) as Json[];
    for (const r of res) {
      const { "@type": _t, ...rest } = r;
      void _t;
      out[kind].push({ name: nameOf(kind, rest), ...(versions[kind] !== undefined && { version: versions[kind] }), body: canonical(rest) as Json });
    }
  }
  for (const k of KINDS) sortByName(out[k]);
  return out;
}

/** The node an Envoy's /config_dump says it runs as (its bootstrap's): what the server matches variants on. */
export function nodeOfConfigDump(dump: Json): { id: string; locality?: { region?: string; zone?: string } } | undefined {
  for (const c of (dump.configs ?? []) as Json[]) {
    if (!String(c["@type"] ?? "").endsWith("BootstrapConfigDump")) continue;
    const node = ((c.bootstrap as Json | undefined)?.node ?? undefined) as Json | undefined;
    if (!node || typeof node.id !== "string") return undefined;
    const loc = node.locality as Json | undefined;
    const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
    const region = str(loc?.region);
    const zone = str(loc?.zone);
    return { id: node.id, ...((region !== undefined || zone !== undefined) && { locality: { ...(region !== undefined && { region }), ...(zone !== undefined && { zone }) } }) };
  }
  return undefined;
}

/** Envoy's /config_dump (with include_eds): the dynamic resources it got over xDS, and its static ones marked so. */
export function fromEnvoyConfigDump(dump: Json): ProxyResources {
  const out = empty();
  const strip = (r: Json): Json => {
    const { "@type": _t, ...rest } = r;
    void _t;
    return canonical(rest) as Json;
  };
  for (const c of (dump.configs ?? []) as Json[]) {
    const type = String(c["@type"] ?? "");
    if (type.endsWith("ClustersConfigDump")) {
      for (const d of (c.dynamic_active_clusters ?? []) as Json[]) {
        const body = strip(d.cluster as Json);
        out.cluster.push({ name: nameOf("cluster", body), ...(d.version_info !== undefined && { version: String(d.version_info) }), body });
      }
    } else if (type.endsWith("EndpointsConfigDump")) {
      for (const d of (c.dynamic_endpoint_configs ?? []) as Json[]) {
        const body = strip(d.endpoint_config as Json);
        out.endpoint.push({ name: nameOf("endpoint", body), ...(d.version_info !== undefined && { version: String(d.version_info) }), body });
      }
    } else if (type.endsWith("ListenersConfigDump")) {
      for (const d of (c.dynamic_listeners ?? []) as Json[]) {
        const active = d.active_state as Json | undefined;
        if (!active) continue; // only a warming or failed state: the Envoy does not run it
        const body = strip(active.listener as Json);
        out.listener.push({ name: String(d.name ?? body.name ?? ""), ...(active.version_info !== undefined && { version: String(active.version_info) }), body });
      }
    } else if (type.endsWith("RoutesConfigDump")) {
      for (const d of (c.dynamic_route_configs ?? []) as Json[]) {
        const body = strip(d.route_config as Json);
        out.route.push({ name: nameOf("route", body), ...(d.version_info !== undefined && { version: String(d.version_info) }), body });
      }
    } else if (type.endsWith("SecretsConfigDump")) {
      for (const d of [...((c.dynamic_active_secrets ?? []) as Json[]), ...((c.dynamic_warming_secrets ?? []) as Json[])]) {
        const name = String(d.name ?? "");
        out.secret.push({ name, ...(d.version_info !== undefined && { version: String(d.version_info) }), body: redactSecret(name, strip((d.secret ?? {}) as Json)) });
      }
    }
  }
  // include_eds also dumps the hosts of clusters that carry their endpoints inline (STATIC): not EDS resources.
  const eds = new Set(out.cluster.filter((c) => c.body.type === "EDS").map((c) => c.name));
  out.endpoint = out.endpoint.filter((e) => eds.has(e.name));
  for (const k of KINDS) sortByName(out[k]);
  return out;
}
