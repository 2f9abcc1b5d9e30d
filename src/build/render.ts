// The bytes of a build directory, as a map of relative path -> file text:
//   <service>/cds.json, eds.json, lds.json, rds.json   one DiscoveryResponse per type in Envoy's JSON form
//                                                      ({"version_info", "resources": [{"@type", …}], "type_url"})
//   <service>/instance/<id>/*.json                     snapshot variants (src/snapshot/variants.ts): an instance with
//   <service>/locality/<region>,<zone>/eds.json          its own sidecar ports, the proxies of one locality; only the
//                                                      files that differ from the service's (a locality: eds.json)
//   manifest.json                                      mesh name; per proxy and type: version, resource count, bytes;
//                                                      "variants": the same per variant, for the files it has;
//                                                      for a mesh with mTLS, "certificates": each sidecar's SPIFFE ID
//                                                      and the leaf settings (src/pki/plan.ts), never a key
// Deterministic: resources sorted by name (the snapshot's order), message fields in proto field order (Envoy's JSON
// from the codec), every other object's keys sorted, 2-space indent, trailing newline.
import type { Canonical } from "../backends/envoy/api/canonical.js";
import { messageToJson } from "../backends/envoy/api/codec.js";
import { canonicalOf, groupWithoutPriority, RESOURCE_TYPES } from "../backends/envoy/encode.js";
import type { EncodedResource, MeshSnapshot, ProxySnapshot, ResourceKind } from "../snapshot/types.js";
import { TYPE_URLS } from "../snapshot/types.js";
import type { CertificatePlan } from "../pki/plan.js";
import { variantDir } from "../snapshot/variants.js";

/** File name per resource kind (secrets are written only when a proxy has some). */
export const FILE_OF: Record<ResourceKind, string> = {
  cluster: "cds.json",
  endpoint: "eds.json",
  listener: "lds.json",
  route: "rds.json",
  secret: "sds.json",
};
const ALWAYS: ResourceKind[] = ["cluster", "endpoint", "listener", "route"];

export const MANIFEST = "manifest.json";

// One rendering per distinct resource, shared like the resources themselves. Indented for its place in the file:
// inside "resources": [ … ] at depth 2.
const rendered = new WeakMap<EncodedResource, string>();

/** One resource's rendering as it appears in its DiscoveryResponse file (the same text in every file that has it). */
export function renderResource(kind: ResourceKind, r: EncodedResource): string {
  let text = rendered.get(r);
  if (text === undefined) {
    const c = canonicalOf(kind, r);
    text = kind === "route" && isPlainRouteTable(c) ? renderRouteTable(r.typeUrl, c) : kind === "endpoint" && isPlainAssignment(c) ? renderAssignment(r.typeUrl, c) : undefined;
    if (text === undefined) {
      const json = messageToJson(RESOURCE_TYPES[kind], c) as Record<string, unknown>;
      text = JSON.stringify({ "@type": r.typeUrl, ...json }, null, 2).replace(/\n/g, "\n    ");
    }
    rendered.set(r, text);
  }
  return text;
}

// Route tables are per proxy but made of virtual hosts shared by every caller of an upstream (see
// ResourceEncoder.routeConfiguration): render each virtual host once and splice, rather than re-rendering the same
// hosts for every proxy. The text is exactly what the generic path produces (test/backend/write.test.ts).
const renderedHosts = new WeakMap<Canonical, string>();

export function isPlainRouteTable(c: Canonical): boolean {
  return Object.keys(c).every((k) => k === "name" || k === "virtual_hosts");
}

/** One virtual host's rendering inside a plain route table (indented for its place there). */
export function renderVirtualHost(h: Canonical): string {
  let t = renderedHosts.get(h);
  if (t === undefined) {
    t = JSON.stringify(messageToJson("envoy.config.route.v3.VirtualHost", h), null, 2).replace(/\n/g, "\n        ");
    renderedHosts.set(h, t);
  }
  return t;
}

/** The lines of a plain route table before its virtual hosts (its "@type" and name). */
export function routeTableLines(typeUrl: string, c: Canonical): string[] {
  const lines = [`"@type": ${JSON.stringify(typeUrl)}`];
  if (c.name !== undefined) lines.push(`"name": ${JSON.stringify(c.name)}`);
  return lines;
}

function renderRouteTable(typeUrl: string, c: Canonical): string {
  const lines = routeTableLines(typeUrl, c);
  const hosts = (c.virtual_hosts as Canonical[] | undefined) ?? [];
  if (hosts.length) lines.push(`"virtual_hosts": [\n        ${hosts.map(renderVirtualHost).join(",\n        ")}\n      ]`);
  return `{\n      ${lines.join(",\n      ")}\n    }`;
}

// ClusterLoadAssignments the same way: a service's callers in different localities get assignments that differ only
// in their locality groups' priorities (ResourceEncoder.loadAssignment), so each group is rendered once without its
// priority and the priority spliced in as the group's last field (field number order: locality, lb_endpoints,
// load_balancing_weight, priority). The text is exactly what the generic path produces (test/backend/write.test.ts).
const renderedGroups = new WeakMap<Canonical, string>();
const GROUP_KEYS = new Set(["locality", "lb_endpoints", "load_balancing_weight"]);

export function isPlainAssignment(c: Canonical): boolean {
  return Object.keys(c).every((k) => k === "cluster_name" || k === "endpoints");
}

/** The end of a group's rendering that a priority is spliced in before. */
export const GROUP_END = "\n        }";

/** A group's rendering with `priority` spliced into its base's (GROUP_END dropped from the base): what follows it. */
export function priorityTail(priority: number): string {
  return `,\n          "priority": ${JSON.stringify(priority)}${GROUP_END}`;
}

/** A group whose rendering is its base's with the priority spliced in (when the base's rendering allows it). */
export function groupSplice(g: Canonical): { base: Canonical; priority: number } | undefined {
  const base = groupWithoutPriority(g);
  const keys = Object.keys(g);
  const last = keys[keys.length - 1];
  if (base !== undefined && last === "priority" && typeof g.priority === "number" && keys.slice(0, -1).every((k) => GROUP_KEYS.has(k) && g[k] === base[k]) && renderGroup(base).endsWith(GROUP_END)) {
    return { base, priority: g.priority };
  }
  return undefined;
}

export function renderGroup(g: Canonical): string {
  let t = renderedGroups.get(g);
  if (t !== undefined) return t;
  const splice = groupSplice(g);
  if (splice) t = `${renderGroup(splice.base).slice(0, -GROUP_END.length)}${priorityTail(splice.priority)}`;
  t ??= JSON.stringify(messageToJson("envoy.config.endpoint.v3.LocalityLbEndpoints", g), null, 2).replace(/\n/g, "\n        ");
  renderedGroups.set(g, t);
  return t;
}

/** The lines of a plain assignment before its locality groups (its "@type" and cluster name). */
export function assignmentLines(typeUrl: string, c: Canonical): string[] {
  const lines = [`"@type": ${JSON.stringify(typeUrl)}`];
  if (c.cluster_name !== undefined) lines.push(`"cluster_name": ${JSON.stringify(c.cluster_name)}`);
  return lines;
}

function renderAssignment(typeUrl: string, c: Canonical): string {
  const lines = assignmentLines(typeUrl, c);
  const groups = (c.endpoints as Canonical[] | undefined) ?? [];
  if (groups.length) lines.push(`"endpoints": [\n        ${groups.map(renderGroup).join(",\n        ")}\n      ]`);
  return `{\n      ${lines.join(",\n      ")}\n    }`;
}

/** A DiscoveryResponse in Envoy's JSON (field order version_info, resources, type_url, as in discovery.proto). */
export function renderDiscoveryResponse(proxy: ProxySnapshot, kind: ResourceKind): string {
  const list = proxy.resources[kind];
  const head = `{\n  "version_info": ${JSON.stringify(proxy.versions[kind])},\n  "resources": `;
  const body = list.length ? `[\n    ${list.map((r) => renderResource(kind, r)).join(",\n    ")}\n  ]` : "[]";
  return `${head}${body},\n  "type_url": ${JSON.stringify(TYPE_URLS[kind])}\n}\n`;
}

// The same text as UTF-8 bytes, assembled from each distinct resource's bytes (rendered and encoded once, however
// many proxies' files repeat it): `meshc build` writes and digests 54 MB of JSON for the 1,000-service mesh, and
// joining strings, then encoding each file to UTF-8 for hashing and again for writing, cost more than a byte copy.
const renderedBytes = new WeakMap<EncodedResource, Buffer>();
const OPEN = Buffer.from("[\n    ");
const SEPARATOR = Buffer.from(",\n    ");
const CLOSE = Buffer.from("\n  ]");
const EMPTY = Buffer.from("[]");

function resourceBytes(kind: ResourceKind, r: EncodedResource): Buffer {
  let b = renderedBytes.get(r);
  if (b === undefined) {
    b = Buffer.from(renderResource(kind, r));
    renderedBytes.set(r, b);
  }
  return b;
}

/**
 * renderDiscoveryResponse's text as UTF-8 bytes (byte-identical to Buffer.from of it); `alloc` gives the memory for
 * them (a BuildDirWriter's shared memory, src/build/write.ts), else a new Buffer.
 */
export function renderDiscoveryResponseBytes(proxy: ProxySnapshot, kind: ResourceKind, alloc?: (size: number) => Buffer): Buffer {
  const list = proxy.resources[kind];
  const parts: Buffer[] = [Buffer.from(`{\n  "version_info": ${JSON.stringify(proxy.versions[kind])},\n  "resources": `)];
  if (list.length) {
    parts.push(OPEN);
    for (let i = 0; i < list.length; i++) {
      if (i) parts.push(SEPARATOR);
      parts.push(resourceBytes(kind, list[i]!));
    }
    parts.push(CLOSE);
  } else parts.push(EMPTY);
  parts.push(Buffer.from(`,\n  "type_url": ${JSON.stringify(TYPE_URLS[kind])}\n}\n`));
  if (!alloc) return Buffer.concat(parts);
  let size = 0;
  for (const p of parts) size += p.length;
  const out = alloc(size);
  let at = 0;
  for (const p of parts) at += p.copy(out, at);
  return out;
}

/** The text around a DiscoveryResponse's resources (renderDiscoveryResponseBytes = head, the resources, tail). */
export function discoveryResponseFrame(proxy: ProxySnapshot, kind: ResourceKind): { head: string; tail: string } {
  return { head: `{\n  "version_info": ${JSON.stringify(proxy.versions[kind])},\n  "resources": `, tail: `,\n  "type_url": ${JSON.stringify(TYPE_URLS[kind])}\n}\n` };
}

export interface ManifestEntry {
  version: string;
  resources: number;
  /** Protobuf-encoded size of the resources: what goes over the wire (not the JSON file size). */
  bytes: number;
}

export interface Manifest {
  mesh: string;
  proxies: Record<string, Partial<Record<"cds" | "eds" | "lds" | "rds" | "sds", ManifestEntry>>>;
  /** What `meshc serve --ca` issues for this build (meshes with mTLS only). */
  certificates?: CertificatePlan;
  /** Snapshot variants by service and key, for the files each variant's folder holds (meshes that have some). */
  variants?: Record<string, Record<string, Partial<Record<"cds" | "eds" | "lds" | "rds" | "sds", ManifestEntry>>>>;
}

export type ProxyManifestEntries = Manifest["proxies"][string];

/** One proxy's manifest entries: its own files', and each variant's (sorted by key) for the files its folder holds. */
export function manifestEntriesOf(p: ProxySnapshot): { entries: ProxyManifestEntries; variants: [string, ProxyManifestEntries][] } {
  return { entries: entryOf(p, kindsOf(p)), variants: sortedVariants(p).map(([key, v]) => [key, entryOf(v, variantKinds(p, v))]) };
}

function entryOf(p: ProxySnapshot, kinds: ResourceKind[]): ProxyManifestEntries {
  const entry: ProxyManifestEntries = {};
  for (const kind of kinds) {
    const key = FILE_OF[kind].replace(".json", "") as keyof typeof entry;
    entry[key] = { version: p.versions[kind], resources: p.resources[kind].length, bytes: p.resources[kind].reduce((n, r) => n + r.bytes.length, 0) };
  }
  return entry;
}

export function manifestOf(meshName: string, snapshot: MeshSnapshot, certificates?: CertificatePlan): Manifest {
  const proxies: Manifest["proxies"] = {};
  const variants: NonNullable<Manifest["variants"]> = {};
  for (const name of [...snapshot.proxies.keys()].sort()) {
    const { entries, variants: vs } = manifestEntriesOf(snapshot.proxies.get(name)!);
    proxies[name] = entries;
    for (const [key, entry] of vs) (variants[name] ??= {})[key] = entry;
  }
  return { mesh: meshName, proxies, ...(certificates ? { certificates } : {}), ...(Object.keys(variants).length ? { variants } : {}) };
}

function sortedVariants(p: ProxySnapshot): [string, ProxySnapshot][] {
  return [...(p.variants ?? [])].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The kinds a variant's folder holds: those whose version differs from its service's. */
function variantKinds(p: ProxySnapshot, v: ProxySnapshot): ResourceKind[] {
  return kindsOf(v).filter((k) => v.versions[k] !== p.versions[k]);
}

function kindsOf(p: ProxySnapshot): ResourceKind[] {
  return [...ALWAYS, ...(p.resources.secret.length ? (["secret"] as const) : [])].sort((a, b) => (FILE_OF[a] < FILE_OF[b] ? -1 : 1));
}

/** JSON with every object's keys sorted (for data that is not an Envoy message). */
export function stableJson(value: unknown): string {
  // Written directly (manifest.json of the 1,000-service mesh: ~0.1 s less than sorting copies of every object);
  // anything but plain JSON data (toJSON, classes, undefined in arrays, bigint) takes sortedCopyJson, same output.
  const fast = stableJsonText(value, "\n");
  return fast === undefined ? sortedCopyJson(value) : `${fast}\n`;
}

/** stableJson's text of `v` at the indentation `nl` (a newline and the spaces before the value), or undefined to bail. */
function stableJsonText(v: unknown, nl: string): string | undefined {
  switch (typeof v) {
    case "string":
      return JSON.stringify(v);
    case "number":
      return Number.isFinite(v) ? JSON.stringify(v) : "null";
    case "boolean":
      return v ? "true" : "false";
    case "object": {
      if (v === null) return "null";
      const inner = `${nl}  `;
      if (Array.isArray(v)) {
        if (v.length === 0) return "[]";
        let out = "[";
        for (let i = 0; i < v.length; i++) {
          const t = stableJsonText(v[i], inner);
          if (t === undefined) return undefined;
          out += `${i ? "," : ""}${inner}${t}`;
        }
        return `${out}${nl}]`;
      }
      const proto = Object.getPrototypeOf(v) as unknown;
      if ((proto !== Object.prototype && proto !== null) || typeof (v as { toJSON?: unknown }).toJSON === "function") return undefined;
      let out = "{";
      let n = 0;
      for (const k of Object.keys(v).sort()) {
        // Integer-like keys come first in a JS object whatever their sorting: leave those to sortedCopyJson.
        const c = k.charCodeAt(0);
        if (c >= 48 && c <= 57) return undefined;
        const x = (v as Record<string, unknown>)[k];
        if (x === undefined) continue;
        const t = stableJsonText(x, inner);
        if (t === undefined) return undefined;
        out += `${n++ ? "," : ""}${inner}${JSON.stringify(k)}: ${t}`;
      }
      return n ? `${out}${nl}}` : "{}";
    }
    default:
      return undefined; // undefined, functions, symbols, bigint: JSON.stringify's own rules
  }
}

function sortedCopyJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]));
    return v;
  };
  return `${JSON.stringify(sort(value), null, 2)}\n`;
}

/** Every file of the build directory: relative path ("/"-separated) -> text, in sorted path order. */
export function renderBuild(meshName: string, snapshot: MeshSnapshot, certificates?: CertificatePlan): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of [...snapshot.proxies.keys()].sort()) {
    const p = snapshot.proxies.get(name)!;
    for (const kind of kindsOf(p)) files.set(`${name}/${FILE_OF[kind]}`, renderDiscoveryResponse(p, kind));
    for (const [key, v] of sortedVariants(p)) for (const kind of variantKinds(p, v)) files.set(`${name}/${variantDir(key)}/${FILE_OF[kind]}`, renderDiscoveryResponse(v, kind));
  }
  files.set(MANIFEST, stableJson(manifestOf(meshName, snapshot, certificates)));
  return files;
}
