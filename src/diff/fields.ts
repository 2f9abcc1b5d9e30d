// Field-level differences between two versions of one Envoy resource, for `meshc diff`. Both versions are turned
// into Envoy's JSON form (as in a build directory), lists of objects that carry unique names (virtual hosts, routes,
// weighted clusters, filter chains, HTTP filters) are keyed by those names so an insertion does not shift every
// later element, and the structural comparison itself is microdiff's (small, dependency-free, maintained). A change
// in the order of a named list (route order matters to Envoy) is reported as its own entry on the list's path.
import microdiff from "microdiff";
import { messageToJson } from "../backends/envoy/api/codec.js";
import { canonicalOf, RESOURCE_TYPES, resourceLabel } from "../backends/envoy/encode.js";
import { DiffInputError } from "./sides.js";
import type { EncodedResource, ResourceKind } from "../snapshot/types.js";

/** One path segment: an object key, a list index, or the name of an element of a named list. */
export type Segment = { key: string } | { index: number } | { named: string };

export interface FieldChange {
  /** e.g. circuit_breakers.thresholds[0].max_requests, virtual_hosts["reviews:9080"].routes["reviews-0"].route.timeout */
  path: string;
  segments: Segment[];
  op: "added" | "removed" | "changed" | "reordered";
  before?: unknown;
  after?: unknown;
}

const NAMED = "\u0000"; // prefix of keys that stand for named list elements in the keyed form
const ORDER = "\u0000order"; // the keyed form's record of element order: the names joined by SEP (a scalar)
const SEP = "\u0001";

const jsonCache = new WeakMap<EncodedResource, unknown>();

/** The resource in Envoy's JSON form (what a build directory holds for it), cached per shared resource. */
export function resourceJson(kind: ResourceKind, r: EncodedResource): unknown {
  let j = jsonCache.get(r);
  if (j === undefined) {
    try {
      j = messageToJson(RESOURCE_TYPES[kind], canonicalOf(kind, r));
    } catch (err) {
      // Bytes from a build directory's encoded.json that do not decode: a damaged input, not meshc's fault.
      throw new DiffInputError(`${resourceLabel(kind, r.name)}: its encoded bytes (encoded.json) do not decode (${(err as Error).message}); build the directory again`);
    }
    jsonCache.set(r, j);
  }
  return j;
}

/** Every changed field between two versions of a resource, in a stable order (by path). */
export function fieldChanges(kind: ResourceKind, before: EncodedResource, after: EncodedResource): FieldChange[] {
  const a = keyed(resourceJson(kind, before));
  const b = keyed(resourceJson(kind, after));
  const out: FieldChange[] = [];
  for (const d of microdiff(a as Record<string, unknown>, b as Record<string, unknown>)) {
    const last = d.path.at(-1);
    if (last === ORDER) {
      // Only a reordering of names both sides have is news; additions and removals are reported per element.
      const before = d.type === "CREATE" ? [] : String(d.oldValue).split(SEP);
      const after = d.type === "REMOVE" ? [] : String(d.value).split(SEP);
      const common = new Set(before.filter((n) => after.includes(n)));
      const x = before.filter((n) => common.has(n));
      const y = after.filter((n) => common.has(n));
      if (x.join(SEP) === y.join(SEP)) continue;
      const segments = toSegments(d.path.slice(0, -1));
      out.push({ path: formatPath(segments), segments, op: "reordered", before: x, after: y });
      continue;
    }
    // A named list that is new or gone as a whole: show it as the list it is, not as its keyed form.
    const segments = toSegments(d.path);
    const change: FieldChange = { path: formatPath(segments), segments, op: d.type === "CREATE" ? "added" : d.type === "REMOVE" ? "removed" : "changed" };
    if (d.type !== "CREATE") change.before = unkeyed((d as { oldValue: unknown }).oldValue);
    if (d.type !== "REMOVE") change.after = unkeyed((d as { value: unknown }).value);
    out.push(change);
  }
  return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

/** Lists of objects with unique string names become objects keyed by NAMED+name, with their order kept aside. */
function keyed(v: unknown): unknown {
  if (Array.isArray(v)) {
    const names = v.map((e) => (e !== null && typeof e === "object" && !Array.isArray(e) && typeof (e as { name?: unknown }).name === "string" ? (e as { name: string }).name : undefined));
    if (v.length > 0 && names.every((n) => n !== undefined) && new Set(names).size === names.length) {
      const o: Record<string, unknown> = { [ORDER]: names.join(SEP) };
      v.forEach((e, i) => (o[NAMED + names[i]!] = keyed(e)));
      return o;
    }
    return v.map(keyed);
  }
  if (v !== null && typeof v === "object") {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = keyed(x);
    return o;
  }
  return v;
}

function unkeyed(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unkeyed);
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (typeof o[ORDER] === "string") return (o[ORDER] as string).split(SEP).map((n) => unkeyed(o[NAMED + n]));
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unkeyed(x)]));
  }
  return v;
}

function toSegments(path: (string | number)[]): Segment[] {
  return path.map((p) => (typeof p === "number" ? { index: p } : p.startsWith(NAMED) ? { named: p.slice(NAMED.length) } : { key: p }));
}

export function formatPath(segments: readonly Segment[]): string {
  let s = "";
  for (const seg of segments) {
    if ("key" in seg) s += (s === "" ? "" : ".") + (/^[A-Za-z_@][\w@.]*$/.test(seg.key) && !seg.key.includes(".") ? seg.key : `[${JSON.stringify(seg.key)}]`);
    else if ("index" in seg) s += `[${seg.index}]`;
    else s += `[${JSON.stringify(seg.named)}]`;
  }
  return s;
}
