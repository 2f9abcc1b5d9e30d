// The evaluated mesh model as plain data, to cross from the evaluation worker (eval-worker.ts) to the compiler.
// The model is "the user's options as given": besides JSON values it may hold undefined, NaN, -0, bigints, symbols,
// functions, Dates, shared or cyclic objects, and it carries brands (registered-symbol keys such as
// Symbol.for("meshc.Mesh")) and call sites (SITE / FIELD_SITES) that structured clone would drop. The encoding keeps
// everything validation and lowering read, so the parent sees the same zod issues at the same call sites as if it had
// evaluated the module itself; what it cannot keep (a function's behaviour, a class's prototype, non-enumerable or
// inherited properties) is replaced by a value of the same `typeof` that prints the same. Sites travel as raw
// positions in the running bundle (resolved in the worker, where V8 captured them) and are mapped to the user's
// files by the parent's source map. decodeModel checks every node and refuses anything malformed.
//
// The wire is ONE JSON string (issue 12 item 5: the 1,000-service mesh's model is ~80,000 objects; a tree of tagged
// nodes took ~0.6 s to structured-clone across and as long again to decode, a string crosses as one copy and
// JSON.parse builds the objects natively). Plain objects and arrays are written as themselves; anything JSON has
// no spelling for is a marker object, the only objects with a "\u0000" key: {"\u0000":"u"} undefined,
// {"\u0000":"NaN"|"Infinity"|"-Infinity"|"-0"}, {"\u0000":"big"|"sym"|"fn","v":text}, {"\u0000":"date","v":ms},
// {"\u0000":"ref","v":id} (an object met before: shared or cyclic), {"\u0000":"obj","v":[[key, node], ...]} (an
// object that itself has a "\u0000" key). Objects, arrays, escaped objects and dates are numbered in the order the
// walk meets them (depth first, keys in Object.keys order, which JSON.parse reproduces); brands and sites are side
// tables keyed by that number, so the parsed objects become the model's objects without being copied.
import { FIELD_SITES, SITE } from "../dsl/brand.js";
import type { SourceSite } from "../dsl/site.js";
import { isWellFormed } from "../ir/well-formed.js";

/** Deeper models are refused (a legitimate mesh model is a dozen levels deep). */
export const MAX_DEPTH = 200;
/** Function sources and symbol descriptions are cut to this length (they are only ever quoted in messages). */
const MAX_TEXT = 200;

/** The model as sent: the JSON text of a WireBody. */
export type WireModel = string;

/** What the JSON text holds. */
export interface WireBody {
  /** How many objects the walk numbered (a check that both sides numbered the same ones). */
  n: number;
  /** Distinct files of `sites` (in practice the bundle's URL, and packages the mesh imports). */
  files: string[];
  /** Flat triples [file index, line, column] as V8 reported them in the worker, each distinct triple once. */
  sites: number[];
  /** Flat pairs [object number, registered-symbol keys whose value is true]. */
  brands: (number | string[])[];
  /** Flat pairs [object number, site index]: the object's SITE. */
  objSites: number[];
  /** Flat pairs [object number, flat [field, site index, ...]]: the object's FIELD_SITES. */
  fields: (number | (string | number)[])[];
  root: unknown;
}

export class WireError extends Error {}

/** What decodeModel found on its way through the model, for the stages after it. */
export interface DecodeInfo {
  /**
   * Every string value and string key reachable from the root has a UTF-8 form (no lone surrogate): what
   * validation's illFormedStrings would find nothing in, so it need not walk the model again (issue 12 item 5).
   */
  wellFormed?: boolean;
}

const cut = (s: string) => (s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s);

/** Numbers objects and collects the side tables (brands, sites) of one encoding. */
class Collector {
  readonly ids = new Map<object, number>();
  private readonly files: string[] = [];
  private readonly fileIndex = new Map<string, number>();
  private readonly sites: number[] = [];
  private readonly siteIndex = new Map<object, number>();
  /** Site index by position ("file index:line:column"): a mesh written as a loop over a table calls the DSL from a
   * few dozen places thousands of times, and one entry per distinct position keeps the wire, the decode and the
   * parent's source-map lookups (one per distinct site object, sites.ts) to that few dozen. */
  private readonly positionIndex = new Map<string, number>();
  private readonly brands: WireBody["brands"] = [];
  private readonly objSites: number[] = [];
  private readonly fields: WireBody["fields"] = [];

  private site(s: unknown): number | undefined {
    if (s === null || typeof s !== "object") return undefined;
    const known = this.siteIndex.get(s);
    if (known !== undefined) return known;
    const { file, line, column } = s as SourceSite;
    if (typeof file !== "string" || typeof line !== "number" || typeof column !== "number") return undefined;
    // Only what the decoder accepts (non-negative integers); anything else is as good as no site.
    if (!Number.isInteger(line) || line < 0 || !Number.isInteger(column) || column < 0) return undefined;
    let f = this.fileIndex.get(file);
    if (f === undefined) this.fileIndex.set(file, (f = this.files.push(file) - 1));
    const key = `${f}:${line}:${column}`;
    let i = this.positionIndex.get(key);
    if (i === undefined) {
      i = this.sites.length / 3;
      this.sites.push(f, line, column);
      this.positionIndex.set(key, i);
    }
    this.siteIndex.set(s, i);
    return i;
  }

  /** Records object `id`'s brands (own registered-symbol keys set to true), SITE and FIELD_SITES. */
  meta(rec: Record<PropertyKey, unknown>, id: number): void {
    const symbols = Object.getOwnPropertySymbols(rec);
    if (symbols.length > 0) {
      let own: string[] | undefined;
      for (const sym of symbols) {
        const key = Symbol.keyFor(sym);
        if (key !== undefined && sym !== SITE && sym !== FIELD_SITES && rec[sym] === true) (own ??= []).push(key);
      }
      if (own) this.brands.push(id, own);
    }
    const at = this.site(rec[SITE]);
    if (at !== undefined) this.objSites.push(id, at);
    const fieldSites = rec[FIELD_SITES];
    if (fieldSites !== null && typeof fieldSites === "object") {
      const list: (string | number)[] = [];
      for (const k of Object.keys(fieldSites)) {
        const i = this.site((fieldSites as Record<string, unknown>)[k]);
        if (i !== undefined) list.push(k, i);
      }
      this.fields.push(id, list);
    }
  }

  /** The wire text around the root's JSON text. */
  text(rootText: string): WireModel {
    const { files, sites, brands, objSites, fields } = this;
    return `{"n":${this.ids.size},"files":${JSON.stringify(files)},"sites":${JSON.stringify(sites)},"brands":${JSON.stringify(brands)},"objSites":${JSON.stringify(objSites)},"fields":${JSON.stringify(fields)},"root":${rootText}}`;
  }
}

/** Encodes a model in the worker. Throws what reading the model throws (a user getter), or a WireError. */
export function encodeModel(value: unknown): WireModel {
  // The model is copied into a tree of JSON values (markers where JSON has no spelling), which one native
  // JSON.stringify writes out. (Stringifying the model itself after a checking walk, when it holds only JSON
  // values, measured no faster: the walk that numbers objects and collects sites is the cost.)
  const c = new Collector();
  const encode = (v: unknown, depth: number): unknown => {
    switch (typeof v) {
      case "string":
      case "boolean":
        return v;
      case "number":
        if (Number.isNaN(v)) return { "\u0000": "NaN" };
        if (v === Infinity) return { "\u0000": "Infinity" };
        if (v === -Infinity) return { "\u0000": "-Infinity" };
        if (Object.is(v, -0)) return { "\u0000": "-0" };
        return v;
      case "undefined":
        return { "\u0000": "u" };
      case "bigint":
        return { "\u0000": "big", v: v.toString() };
      case "symbol":
        return { "\u0000": "sym", v: cut(v.description ?? "") };
      case "function":
        return { "\u0000": "fn", v: cut(safeString(v)) };
    }
    if (v === null) return null;
    const o = v as object;
    const seen = c.ids.get(o);
    if (seen !== undefined) return { "\u0000": "ref", v: seen };
    if (depth > MAX_DEPTH) throw new WireError(`the mesh model is nested deeper than ${MAX_DEPTH} levels`);
    const id = c.ids.size;
    c.ids.set(o, id);
    if (o instanceof Date) return { "\u0000": "date", v: o.getTime() }; // NaN (an invalid date) is written as null
    if (Array.isArray(o)) {
      const out: unknown[] = new Array(o.length);
      for (let i = 0; i < o.length; i++) out[i] = encode(o[i], depth + 1);
      return out;
    }
    const rec = o as Record<PropertyKey, unknown>;
    const keys = Object.keys(rec);
    let out: Record<string, unknown>;
    if (keys.includes("\u0000")) {
      // The one key that marks a marker: the object goes as a list of entries instead.
      const entries: [string, unknown][] = [];
      for (const k of keys) entries.push([k, encode(rec[k], depth + 1)]);
      out = { "\u0000": "obj", v: entries };
    } else {
      out = {};
      for (const k of keys) {
        const x = encode(rec[k], depth + 1);
        if (k === "__proto__") Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
        else out[k] = x;
      }
    }
    c.meta(rec, id);
    return out;
  };

  return c.text(JSON.stringify(encode(value, 0)));
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
const hasOwn = Object.prototype.hasOwnProperty;

export interface WireLimits {
  maxChars: number;
  maxContainers: number;
}

const DEFAULT_WIRE_HEAP_MB = 1024;

/**
 * What the parent accepts from a worker allowed `maxHeapMb` of heap: per MiB, 128 KiB of JSON text and 4,096 objects
 * and arrays (1024 MiB: 128 Mi characters, 4.2 million; the 1,000-service synthetic mesh sends 2 MB and 84,000).
 */
export function wireLimits(maxHeapMb: number): WireLimits {
  return { maxChars: maxHeapMb * 128 * 1024, maxContainers: maxHeapMb * 4096 };
}

/**
 * Decodes (and checks) a model the worker sent. Throws WireError when anything is malformed: not JSON, unknown
 * markers, dangling references, sites out of range, excessive depth, side tables naming what is not an object.
 */
export function decodeModel(message: unknown, info?: DecodeInfo, limits: WireLimits = wireLimits(DEFAULT_WIRE_HEAP_MB)): unknown {
  if (typeof message !== "string") throw new WireError("the model is not a string");
  // Bounded before parsing: the parent's heap must not pay for what the worker's limit let it build (JSON.parse of
  // 100 million empty objects takes gigabytes). Brackets inside strings count too: an overestimate.
  if (message.length > limits.maxChars) throw new WireError(`the model is larger than ${limits.maxChars} characters (see --eval-max-heap)`);
  let containers = 0;
  for (let i = 0; i < message.length; i++) {
    const c = message.charCodeAt(i);
    if ((c === 123 || c === 91) && ++containers > limits.maxContainers) throw new WireError(`the model has more than ${limits.maxContainers} objects and arrays (see --eval-max-heap)`);
  }
  let body: unknown;
  try {
    body = JSON.parse(message);
  } catch (e) {
    // SyntaxError, or a RangeError for nesting deep enough to overflow the parser's stack.
    throw new WireError(`the model is not readable JSON: ${(e as Error).message}`);
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new WireError("the model is not an object");
  const { n, files, sites, brands, objSites, fields, root } = body as Partial<WireBody>;
  if (!hasOwn.call(body, "root")) throw new WireError("no root");
  if (!isInt(n)) throw new WireError("malformed object count");
  if (!Array.isArray(files) || !files.every((f) => typeof f === "string")) throw new WireError("malformed site files");
  if (!Array.isArray(sites) || sites.length % 3 !== 0) throw new WireError("malformed sites");
  if (!Array.isArray(brands) || !Array.isArray(objSites) || !Array.isArray(fields)) throw new WireError("malformed side tables");
  const siteObjects: SourceSite[] = [];
  for (let i = 0; i < sites.length; i += 3) {
    const f = sites[i];
    const line = sites[i + 1];
    const column = sites[i + 2];
    if (!isInt(f) || f >= files.length || !isInt(line) || !isInt(column)) throw new WireError(`malformed site ${i / 3}`);
    siteObjects.push(Object.freeze({ file: files[f]!, line, column }));
  }
  const siteAt = (i: unknown): SourceSite => {
    if (!isInt(i) || i >= siteObjects.length) throw new WireError(`unknown site ${String(i)}`);
    return siteObjects[i]!;
  };

  /** Every numbered object, by number; `plain` marks those that may carry brands and sites. */
  const objects: object[] = [];
  const plain: boolean[] = [];
  const number = (o: object, isPlain: boolean) => {
    if (objects.length >= n) throw new WireError("more objects than the model declares");
    objects.push(o);
    plain.push(isPlain);
  };
  const checkNumber = (x: number) => {
    if (!Number.isFinite(x)) throw new WireError("a non-finite number outside its marker");
  };
  // Whether every string and key of the model has a UTF-8 form, found on the way (validation then skips its own walk).
  let wellFormed = true;
  const checkText = (x: string) => {
    if (wellFormed && !isWellFormed(x)) wellFormed = false;
  };

  const decode = (v: unknown, depth: number): unknown => {
    if (v === null || typeof v !== "object") {
      if (typeof v === "number") checkNumber(v);
      else if (typeof v === "string") checkText(v);
      return v;
    }
    if (depth > MAX_DEPTH + 1) throw new WireError(`nested deeper than ${MAX_DEPTH} levels`);
    if (Array.isArray(v)) {
      number(v, false);
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (x !== null && typeof x === "object") {
          const d = decode(x, depth + 1);
          if (d !== x) v[i] = d;
        } else if (typeof x === "number") checkNumber(x);
        else if (typeof x === "string") checkText(x);
      }
      return v;
    }
    const o = v as Record<string, unknown>;
    if (hasOwn.call(o, "\u0000")) return marker(o, depth);
    // The parsed object becomes the model's object (JSON.parse builds it in V8's fast mode; "__proto__" is an own
    // property, as it was in the worker, and assigning to it below writes that own property).
    number(o, true);
    for (const k of Object.keys(o)) {
      checkText(k);
      const x = o[k];
      if (x !== null && typeof x === "object") {
        const d = decode(x, depth + 1);
        if (d !== x) o[k] = d;
      } else if (typeof x === "number") checkNumber(x);
      else if (typeof x === "string") checkText(x);
    }
    return o;
  };

  const marker = (m: Record<string, unknown>, depth: number): unknown => {
    const v = m.v;
    switch (m["\u0000"]) {
      case "u":
        return undefined;
      case "NaN":
        return NaN;
      case "Infinity":
        return Infinity;
      case "-Infinity":
        return -Infinity;
      case "-0":
        return -0;
      case "big":
        if (typeof v !== "string" || !/^-?\d+$/.test(v)) throw new WireError("malformed bigint");
        return BigInt(v);
      case "sym":
        if (typeof v !== "string") throw new WireError("malformed symbol");
        return Symbol(v);
      case "fn":
        if (typeof v !== "string") throw new WireError("malformed function");
        return opaqueFunction(v);
      case "date": {
        if (typeof v !== "number" && v !== null) throw new WireError("malformed date");
        const d = new Date(v ?? NaN);
        number(d, false);
        return d;
      }
      case "ref":
        if (!isInt(v) || v >= objects.length) throw new WireError(`dangling reference ${String(v)}`);
        return objects[v];
      case "obj": {
        if (!Array.isArray(v)) throw new WireError("malformed object");
        const out: Record<string, unknown> = {};
        number(out, true);
        for (const e of v as unknown[]) {
          if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== "string") throw new WireError("malformed object entry");
          checkText(e[0]);
          const value = decode(e[1], depth + 1);
          if (e[0] === "__proto__") Object.defineProperty(out, e[0], { value, enumerable: true, writable: true, configurable: true });
          else out[e[0]] = value;
        }
        return out;
      }
      default:
        throw new WireError(`unknown marker ${JSON.stringify(m["\u0000"])}`);
    }
  };

  const model = decode(root, 0);
  if (objects.length !== n) throw new WireError(`the model declares ${n} objects but holds ${objects.length}`);
  const target = (id: unknown): Record<PropertyKey, unknown> => {
    if (!isInt(id) || id >= objects.length || !plain[id]) throw new WireError(`side table entry for ${String(id)}, which is not an object of the model`);
    return objects[id] as Record<PropertyKey, unknown>;
  };
  for (let i = 0; i < brands.length; i += 2) {
    const o = target(brands[i]);
    const names = brands[i + 1];
    if (!Array.isArray(names) || !names.every((b) => typeof b === "string")) throw new WireError("malformed brands");
    for (const b of names) o[Symbol.for(b)] = true;
  }
  for (let i = 0; i < objSites.length; i += 2) target(objSites[i])[SITE] = siteAt(objSites[i + 1]);
  for (let i = 0; i < fields.length; i += 2) {
    const o = target(fields[i]);
    const list = fields[i + 1];
    if (!Array.isArray(list) || list.length % 2 !== 0) throw new WireError("malformed field sites");
    const out: Record<string, SourceSite> = {};
    for (let k = 0; k < list.length; k += 2) {
      const key = list[k];
      if (typeof key !== "string") throw new WireError("malformed field site");
      const at = siteAt(list[k + 1]);
      if (key === "__proto__") Object.defineProperty(out, key, { value: at, enumerable: true, writable: true, configurable: true });
      else out[key] = at;
    }
    o[FIELD_SITES] = out;
  }
  if (info) info.wellFormed = wellFormed;
  return model;
}
