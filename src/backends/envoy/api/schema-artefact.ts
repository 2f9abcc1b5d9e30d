// A precompiled form of Envoy's schema (dist/envoy-schema.json, written by `npm run build`): protobufjs's JSON
// descriptor of the root registry.ts loads from .proto files, plus what that descriptor drops and meshc reads
// (`parsedOptions`, which `(validate.rules)` lives in) and every field's resolved type, so a start skips tokenizing
// ~1 MB of .proto text and resolveAll's relative-name searches. It is used only when its envelope (protobufjs's
// version and a hash of every .proto file it was made from, as resolved now) matches; otherwise registry.ts loads
// the .proto files as before. test/envoy-api/schema-artefact.test.ts checks the two roots are the same.
import protobuf from "protobufjs";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const FORMAT = 1;

export interface SchemaArtefact {
  format: number;
  /** sha256 over protobufjs's version, the load's roots and every loaded file (name, where it resolved, content). */
  envelope: string;
  /** Import names of every file the load read, in load order; re-resolved and re-hashed to check the envelope. */
  files: string[];
  /** sha256 of JSON.stringify of the three members below, so a damaged artefact is refused rather than used. */
  payloadHash: string;
  root: protobuf.INamespace;
  /** `parsedOptions` by object key (see keyOf), for every object that has any. */
  parsedOptions: Record<string, unknown[]>;
  /** Every non-scalar field's resolved type as an absolute name (".pkg.Type"), by field key. */
  resolved: Record<string, string>;
  /**
   * Field order of the messages extensions add fields to (google.protobuf.*Options): the .proto load adds them in
   * file load order, the descriptor in namespace order; fieldsArray keeps the former.
   */
  fieldOrder: Record<string, string[]>;
}

/**
 * Where a .proto import name resolves: a tag naming the include folder (stable when the package moves) and the
 * file's path, or no path when no folder has it (protobufjs then uses its bundled copy of google/protobuf/*).
 */
export type Locate = (target: string) => { tag: string; path?: string };

export function protobufjsVersion(): string {
  return (require("protobufjs/package.json") as { version: string }).version;
}

export function envelopeOf(roots: readonly string[], files: readonly string[], locate: Locate): string | undefined {
  const h = createHash("sha256");
  h.update(`meshc-envoy-schema/${FORMAT}\0protobufjs/${protobufjsVersion()}\0${roots.join("\0")}\0\0`);
  for (const f of files) {
    const at = locate(f);
    let text = Buffer.alloc(0);
    if (at.path !== undefined) {
      try {
        text = readFileSync(at.path);
      } catch {
        return undefined;
      }
    }
    h.update(`${f}\0${at.tag}\0${text.length}\0`);
    h.update(text);
  }
  return h.digest("hex");
}

// Fields and oneofs share their message's scope with nested types, so each kind gets its own prefix. The walk
// builds full names as it goes: protobufjs's `fullName` getter rebuilds them from the parents on every call.
function kindOf(o: protobuf.ReflectionObject): string {
  return o instanceof protobuf.Field ? "f" : o instanceof protobuf.OneOf ? "o" : o instanceof protobuf.Method ? "m" : "n";
}

function forEachObject(ns: protobuf.NamespaceBase, visit: (o: protobuf.ReflectionObject, key: string, name: string) => void, name = ""): void {
  visit(ns, `n${name}`, name);
  if (ns instanceof protobuf.Type) {
    for (const f of ns.fieldsArray) visit(f, `f${name}.${f.name}`, `${name}.${f.name}`);
    for (const o of ns.oneofsArray) visit(o, `o${name}.${o.name}`, `${name}.${o.name}`);
  }
  if (ns instanceof protobuf.Service) for (const m of ns.methodsArray) visit(m, `m${name}.${m.name}`, `${name}.${m.name}`);
  for (const n of ns.nestedArray) {
    const full = `${name}.${n.name}`;
    if (n instanceof protobuf.Namespace) forEachObject(n, visit, full);
    else visit(n, `${kindOf(n)}${full}`, full); // enums and extension fields declared at namespace level
  }
}

function payloadHash(a: Pick<SchemaArtefact, "root" | "parsedOptions" | "resolved" | "fieldOrder">): string {
  return createHash("sha256").update(JSON.stringify([a.root, a.parsedOptions, a.resolved, a.fieldOrder])).digest("hex");
}

/** The artefact for a root loaded (and resolved) from .proto files. */
export function toArtefact(root: protobuf.Root, roots: readonly string[], files: readonly string[], locate: Locate): SchemaArtefact {
  const envelope = envelopeOf(roots, files, locate);
  if (!envelope) throw new Error("envoy schema artefact: a loaded .proto file cannot be found again");
  const parsedOptions: Record<string, unknown[]> = {};
  const resolved: Record<string, string> = {};
  const fieldOrder: Record<string, string[]> = {};
  forEachObject(root, (o, key) => {
    if (key !== `${kindOf(o)}${o.fullName}`) throw new Error(`envoy schema artefact: ${o.fullName} walked as ${key}`);
    if (o.parsedOptions?.length) parsedOptions[key] = o.parsedOptions;
    if (o instanceof protobuf.Field && o.resolvedType) resolved[key] = o.resolvedType.fullName;
    if (o instanceof protobuf.Type && o.fieldsArray.some((f) => f.declaringField)) fieldOrder[key] = Object.keys(o.fields);
  });
  const body = { root: root.toJSON(), parsedOptions, resolved, fieldOrder };
  return { format: FORMAT, envelope, files: [...files], payloadHash: payloadHash(body), ...body };
}

/**
 * The root an artefact describes, or undefined when it is not for these .proto files (or damaged). Fields are
 * resolved from their recorded absolute names, then their `type` is put back as written in the .proto file.
 */
export function fromArtefact(text: string, roots: readonly string[], locate: Locate): protobuf.Root | undefined {
  let a: SchemaArtefact;
  try {
    a = JSON.parse(text) as SchemaArtefact;
  } catch {
    return undefined;
  }
  if (a?.format !== FORMAT || !Array.isArray(a.files) || typeof a.envelope !== "string" || !a.fieldOrder) return undefined;
  if (envelopeOf(roots, a.files, locate) !== a.envelope) return undefined;
  if (payloadHash(a) !== a.payloadHash) return undefined;
  try {
    const root = new protobuf.Root();
    if (a.root.options) root.setOptions(a.root.options);
    root.addJSON(a.root.nested ?? {});
    const written: [protobuf.Field, string][] = [];
    const byName = new Map<string, protobuf.ReflectionObject>();
    const scopes: protobuf.NamespaceBase[] = [];
    let missing = false;
    forEachObject(root, (o, key, name) => {
      const po = a.parsedOptions[key];
      if (po) o.parsedOptions = po as typeof o.parsedOptions;
      if (o instanceof protobuf.Field) {
        const abs = a.resolved[key];
        if (abs !== undefined) {
          written.push([o, o.type]);
          o.type = abs;
        } else if (!isScalar(o.type)) missing = true;
      } else if (o instanceof protobuf.Type || o instanceof protobuf.Enum) byName.set(name, o);
      if (o instanceof protobuf.Namespace) scopes.push(o);
    });
    if (missing) return undefined;
    // Fields resolve through their scope's lookupTypeOrEnum; with absolute names a map answers what protobufjs's
    // lookup (path splitting, per-namespace memos that every add clears) would, and anything else still goes to it.
    const lookupTypeOrEnum = protobuf.Namespace.prototype.lookupTypeOrEnum;
    for (const ns of scopes)
      Object.defineProperty(ns, "lookupTypeOrEnum", {
        configurable: true,
        value(this: protobuf.Namespace, path: string) {
          return byName.get(path) ?? lookupTypeOrEnum.call(this, path);
        },
      });
    try {
      root.resolveAll();
    } finally {
      for (const ns of scopes) delete (ns as { lookupTypeOrEnum?: unknown }).lookupTypeOrEnum;
    }
    for (const [f, type] of written) f.type = type;
    for (const [key, order] of Object.entries(a.fieldOrder)) {
      const t = root.lookup(key.slice(1));
      if (!(t instanceof protobuf.Type) || !sameSet(order, Object.keys(t.fields))) return undefined;
      const fields = t.fields;
      t.fields = Object.fromEntries(order.map((n) => [n, fields[n]!]));
      // protobufjs's own cache reset (Type's clearCache): the arrays and id map are rebuilt from `fields`.
      Object.assign(t, { _fieldsById: null, _fieldsArray: null, _oneofsArray: null });
    }
    return root;
  } catch {
    return undefined;
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const s = new Set(b);
  return a.length === b.length && a.every((x) => s.has(x));
}

function isScalar(type: string): boolean {
  return (protobuf.types.defaults as Record<string, unknown>)[type] !== undefined;
}
