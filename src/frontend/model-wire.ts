// The evaluated mesh model as plain data, to cross from the evaluation worker (eval-worker.ts) to the compiler.
// The model is "the user's options as given": besides JSON values it may hold undefined, NaN, -0, bigints, symbols,
// functions, Dates, shared or cyclic objects, and it carries brands (registered-symbol keys such as
// Symbol.for("meshc.Mesh")) and call sites (SITE / FIELD_SITES) that structured clone would drop. The encoding keeps
// everything validation and lowering read, so the parent sees the same zod issues at the same call sites as if it had
// evaluated the module itself; what it cannot keep (a function's behaviour, a class's prototype, non-enumerable or
// inherited properties) is replaced by a value of the same `typeof` that prints the same. Sites travel as raw
// positions in the running bundle (resolved in the worker, where V8 captured them) and are mapped to the user's
// files by the parent's source map. decodeModel checks every node and refuses anything malformed.
import { FIELD_SITES, SITE } from "../dsl/brand.js";
import type { SourceSite } from "../dsl/site.js";

/** Deeper models are refused (a legitimate mesh model is a dozen levels deep). */
export const MAX_DEPTH = 200;
/** Function sources and symbol descriptions are cut to this length (they are only ever quoted in messages). */
const MAX_TEXT = 200;

export type WireNode =
  | string
  | number
  | boolean
  | null
  | { t: "undef" }
  | { t: "num"; v: "NaN" | "Infinity" | "-Infinity" | "-0" }
  | { t: "big"; v: string }
  | { t: "sym"; v: string }
  | { t: "fn"; v: string }
  | { t: "date"; v: number }
  | { t: "ref"; id: number }
  | { t: "arr"; id: number; v: WireNode[] }
  | { t: "obj"; id: number; v: [string, WireNode][]; brands?: string[]; site?: number; fields?: [string, number][] };

export interface WireModel {
  root: WireNode;
  /** Distinct files of `sites` (in practice the bundle's URL, and packages the mesh imports). */
  files: string[];
  /** [file index, line, column] as V8 reported them in the worker. */
  sites: [number, number, number][];
}

export class WireError extends Error {}

const cut = (s: string) => (s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s);

/** Encodes a model in the worker. Throws what reading the model throws (a user getter), or a WireError. */
export function encodeModel(value: unknown): WireModel {
  const ids = new Map<object, number>();
  const files: string[] = [];
  const fileIndex = new Map<string, number>();
  const sites: [number, number, number][] = [];
  const siteIndex = new Map<object, number>();

  const site = (s: unknown): number | undefined => {
    if (s === null || typeof s !== "object") return undefined;
    const known = siteIndex.get(s);
    if (known !== undefined) return known;
    const { file, line, column } = s as SourceSite;
    if (typeof file !== "string" || typeof line !== "number" || typeof column !== "number") return undefined;
    let f = fileIndex.get(file);
    if (f === undefined) fileIndex.set(file, (f = files.push(file) - 1));
    const i = sites.push([f, line, column]) - 1;
    siteIndex.set(s, i);
    return i;
  };

  const encode = (v: unknown, depth: number): WireNode => {
    switch (typeof v) {
      case "string":
      case "boolean":
        return v;
      case "number":
        if (Number.isNaN(v)) return { t: "num", v: "NaN" };
        if (v === Infinity) return { t: "num", v: "Infinity" };
        if (v === -Infinity) return { t: "num", v: "-Infinity" };
        if (Object.is(v, -0)) return { t: "num", v: "-0" };
        return v;
      case "undefined":
        return { t: "undef" };
      case "bigint":
        return { t: "big", v: v.toString() };
      case "symbol":
        return { t: "sym", v: cut(v.description ?? "") };
      case "function":
        return { t: "fn", v: cut(safeString(v)) };
    }
    if (v === null) return null;
    const o = v as object;
    const seen = ids.get(o);
    if (seen !== undefined) return { t: "ref", id: seen };
    if (depth > MAX_DEPTH) throw new WireError(`the mesh model is nested deeper than ${MAX_DEPTH} levels`);
    const id = ids.size;
    ids.set(o, id);
    if (o instanceof Date) return { t: "date", v: o.getTime() };
    if (Array.isArray(o)) {
      const out: WireNode[] = [];
      for (let i = 0; i < o.length; i++) out.push(encode(o[i], depth + 1));
      return { t: "arr", id, v: out };
    }
    const rec = o as Record<PropertyKey, unknown>;
    const entries: [string, WireNode][] = [];
    for (const k of Object.keys(rec)) entries.push([k, encode(rec[k], depth + 1)]);
    const node: Extract<WireNode, { t: "obj" }> = { t: "obj", id, v: entries };
    const brands: string[] = [];
    for (const s of Object.getOwnPropertySymbols(rec)) {
      const key = Symbol.keyFor(s);
      if (key !== undefined && s !== SITE && s !== FIELD_SITES && rec[s] === true) brands.push(key);
    }
    if (brands.length) node.brands = brands;
    const at = site(rec[SITE]);
    if (at !== undefined) node.site = at;
    const fieldSites = rec[FIELD_SITES];
    if (fieldSites !== null && typeof fieldSites === "object") {
      const fields: [string, number][] = [];
      for (const k of Object.keys(fieldSites)) {
        const i = site((fieldSites as Record<string, unknown>)[k]);
        if (i !== undefined) fields.push([k, i]);
      }
      node.fields = fields;
    }
    return node;
  };

  const root = encode(value, 0);
  return { root, files, sites };
}

function safeString(v: unknown): string {
  try {
    return String(v);
  } catch {
    return "[unprintable]";
  }
}

/** A function of the model, rebuilt without its code: same typeof, prints the same. Never called by the compiler. */
function opaqueFunction(text: string): Function {
  const f = function meshFunction() {
    throw new Error("a function from the mesh model cannot run outside its evaluation");
  };
  Object.defineProperty(f, "toString", { value: () => text });
  return f;
}

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

/**
 * Decodes (and checks) a model the worker sent. Throws WireError when anything is malformed: unknown node kinds,
 * dangling references, sites out of range, excessive depth.
 */
export function decodeModel(message: unknown): unknown {
  if (message === null || typeof message !== "object") throw new WireError("the model is not an object");
  const { root, files, sites } = message as Partial<WireModel>;
  if (!Array.isArray(files) || !files.every((f) => typeof f === "string")) throw new WireError("malformed site files");
  if (!Array.isArray(sites)) throw new WireError("malformed sites");
  const siteObjects: SourceSite[] = sites.map((s, i) => {
    if (!Array.isArray(s) || s.length !== 3 || !isInt(s[0]) || s[0] >= files.length || !isInt(s[1]) || !isInt(s[2])) {
      throw new WireError(`malformed site ${i}`);
    }
    return Object.freeze({ file: files[s[0]]!, line: s[1], column: s[2] });
  });
  const siteAt = (i: unknown): SourceSite => {
    if (!isInt(i) || i >= siteObjects.length) throw new WireError(`unknown site ${String(i)}`);
    return siteObjects[i]!;
  };
  const objects = new Map<number, object>();
  const claim = (id: unknown, o: object) => {
    if (!isInt(id) || objects.has(id)) throw new WireError(`bad or repeated object id ${String(id)}`);
    objects.set(id, o);
  };

  const decode = (n: unknown, depth: number): unknown => {
    if (n === null || typeof n === "string" || typeof n === "boolean") return n;
    if (typeof n === "number") {
      if (!Number.isFinite(n)) throw new WireError("a non-finite number outside its tag");
      return n;
    }
    if (typeof n !== "object" || Array.isArray(n)) throw new WireError("malformed node");
    if (depth > MAX_DEPTH + 1) throw new WireError(`nested deeper than ${MAX_DEPTH} levels`);
    const node = n as { t?: unknown; v?: unknown; id?: unknown; brands?: unknown; site?: unknown; fields?: unknown };
    switch (node.t) {
      case "undef":
        return undefined;
      case "num":
        if (node.v === "NaN") return NaN;
        if (node.v === "Infinity") return Infinity;
        if (node.v === "-Infinity") return -Infinity;
        if (node.v === "-0") return -0;
        throw new WireError("malformed number");
      case "big":
        if (typeof node.v !== "string" || !/^-?\d+$/.test(node.v)) throw new WireError("malformed bigint");
        return BigInt(node.v);
      case "sym":
        if (typeof node.v !== "string") throw new WireError("malformed symbol");
        return Symbol(node.v);
      case "fn":
        if (typeof node.v !== "string") throw new WireError("malformed function");
        return opaqueFunction(node.v);
      case "date":
        if (typeof node.v !== "number") throw new WireError("malformed date");
        return new Date(node.v);
      case "ref": {
        if (!isInt(node.id) || !objects.has(node.id)) throw new WireError(`dangling reference ${String(node.id)}`);
        return objects.get(node.id);
      }
      case "arr": {
        if (!Array.isArray(node.v)) throw new WireError("malformed array");
        const out: unknown[] = [];
        claim(node.id, out);
        for (const x of node.v) out.push(decode(x, depth + 1));
        return out;
      }
      case "obj": {
        if (!Array.isArray(node.v)) throw new WireError("malformed object");
        const out: Record<PropertyKey, unknown> = {};
        claim(node.id, out);
        for (const e of node.v) {
          if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== "string") throw new WireError("malformed object entry");
          // defineProperty for "__proto__" (the one setter Object.prototype has): it stays an own property, as it was in
          // the worker. Any other key is assigned, which defines the same own property and keeps the object in V8's
          // fast mode (defineProperty on every key made decoding and every later read of the model slower; issue 12).
          const value = decode(e[1], depth + 1);
          if (e[0] === "__proto__") Object.defineProperty(out, e[0], { value, enumerable: true, writable: true, configurable: true });
          else out[e[0]] = value;
        }
        if (node.brands !== undefined) {
          if (!Array.isArray(node.brands) || !node.brands.every((b) => typeof b === "string")) throw new WireError("malformed brands");
          for (const b of node.brands as string[]) out[Symbol.for(b)] = true;
        }
        if (node.site !== undefined) out[SITE] = siteAt(node.site);
        if (node.fields !== undefined) {
          if (!Array.isArray(node.fields)) throw new WireError("malformed field sites");
          const fields: Record<string, SourceSite> = {};
          for (const f of node.fields as unknown[]) {
            if (!Array.isArray(f) || f.length !== 2 || typeof f[0] !== "string") throw new WireError("malformed field site");
            fields[f[0]] = siteAt(f[1]);
          }
          out[FIELD_SITES] = fields;
        }
        return out;
      }
      default:
        throw new WireError(`unknown node kind ${JSON.stringify(node.t)}`);
    }
  };
  if (root === undefined) throw new WireError("no root");
  return decode(root, 0);
}
