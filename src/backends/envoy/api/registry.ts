// The protobufjs reflection root for Envoy's API, loaded once from the .proto files that @grpc/grpc-js-xds ships,
// or from their precompiled form (dist/envoy-schema.json, schema-artefact.ts) when that was made from the same files.
// Field names keep their proto (snake_case) spelling; field options keep `(validate.rules)` for validate.ts.
import protobuf from "protobufjs";
import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import spec from "./protos.json" with { type: "json" };
import { packageInfo } from "../../../runtime/package-root.js";
import { fromArtefact, toArtefact, type Locate, type SchemaArtefact } from "./schema-artefact.js";

const require = createRequire(import.meta.url);
export const TYPE_URL_PREFIX = "type.googleapis.com/";

let cached: protobuf.Root | undefined;

/** Directory holding the Envoy/xds/googleapis/PGV .proto trees. */
export function protoDepsDir(): string {
  return join(dirname(require.resolve("@grpc/grpc-js-xds/package.json")), "deps");
}

/** dist/envoy-schema.json: the precompiled schema `npm run build` writes (src/backends/envoy/api/schema-artefact.ts). */
export function schemaArtefactPath(): string {
  return join(packageInfo().root, "dist", "envoy-schema.json");
}

export function envoyRoot(): protobuf.Root {
  if (cached) return cached;
  cached = rootFromArtefactText(readArtefactSync()) ?? loadFromProtos();
  return cached;
}

/** The root loaded from the .proto files, ignoring any precompiled artefact (the reference the artefact must match). */
export function loadFromProtos(): protobuf.Root {
  const root = newRoot();
  root.loadSync(spec.files, { keepCase: true });
  root.resolveAll();
  return root;
}

/** The precompiled artefact for the root loadFromProtos() gives. */
export function buildSchemaArtefact(): SchemaArtefact {
  const names: string[] = [...spec.files];
  const root = newRoot();
  const resolvePath = root.resolvePath;
  root.resolvePath = (origin, target) => {
    if (!names.includes(target)) names.push(target);
    return resolvePath(origin, target);
  };
  root.loadSync(spec.files, { keepCase: true });
  root.resolveAll();
  return toArtefact(root, spec.files, names, locateProto);
}

/** The root an artefact's text describes, or undefined when it is absent, stale or damaged. */
export function rootFromArtefactText(text: string | undefined): protobuf.Root | undefined {
  return text === undefined ? undefined : fromArtefact(text, spec.files, locateProto);
}

function readArtefactSync(): string | undefined {
  try {
    return readFileSync(schemaArtefactPath(), "utf8");
  } catch {
    return undefined;
  }
}

let warming: Promise<void> | undefined;

/**
 * Loads the root ahead of its first use without holding the thread: the artefact (else the .proto files) is read
 * asynchronously, so `meshc build` can load it while its main thread would otherwise wait (esbuild bundling, the
 * evaluation worker), instead of on the critical path once translation starts. The result is the same root
 * envoyRoot() builds; until it is complete, envoyRoot() loads its own.
 */
export function warmEnvoyRoot(): Promise<void> {
  if (cached) return Promise.resolve();
  warming ??= (async () => {
    const text = await readFile(schemaArtefactPath(), "utf8").catch(() => undefined);
    if (cached) return;
    const pre = rootFromArtefactText(text);
    if (pre) {
      cached ??= pre;
      return;
    }
    const root = newRoot();
    try {
      await root.load(spec.files, { keepCase: true });
    } catch {
      return; // envoyRoot() reports it when it is needed
    }
    if (cached) return;
    root.resolveAll();
    cached ??= root;
  })();
  return warming;
}

let dirs: { pb: string; deps: string } | undefined;

/** Where an import name resolves, in the search order the .proto load uses. */
const locateProto: Locate = (target) => {
  dirs ??= { pb: dirname(require.resolve("protobufjs/package.json")), deps: protoDepsDir() };
  // protobufjs ships google/protobuf/*.proto (descriptor.proto among them); the deps folder does not.
  if (target.startsWith("google/protobuf/")) {
    const p = join(dirs.pb, target);
    if (existsSync(p)) return { tag: "protobufjs", path: p };
  }
  const deps = dirs.deps;
  for (const d of spec.includeDirs) {
    const p = join(deps, d, target);
    if (existsSync(p)) return { tag: `deps/${d}`, path: p };
  }
  // Protos the deps folder lacks (OpenTelemetry's common.proto), shipped in meshc's own package.
  for (const d of spec.localIncludeDirs) {
    const p = join(packageInfo().root, d, target);
    if (existsSync(p)) return { tag: `meshc/${d}`, path: p };
  }
  return { tag: "none" };
};

function newRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => locateProto(target).path ?? target;
  return root;
}

const byName = new Map<string, protobuf.Type | undefined>();

/** The message type for a fully qualified name (no leading dot), or undefined. Memoized: Any payloads hit it hot. */
export function findMessage(fullName: string): protobuf.Type | undefined {
  if (byName.has(fullName)) return byName.get(fullName);
  let found: protobuf.Type | undefined;
  try {
    const t = envoyRoot().lookup(fullName);
    found = t instanceof protobuf.Type ? t : undefined;
  } catch {
    found = undefined;
  }
  byName.set(fullName, found);
  return found;
}

export function messageType(fullName: string): protobuf.Type {
  const t = findMessage(fullName);
  if (!t) throw new Error(`unknown protobuf message type ${fullName}`);
  return t;
}

export function typeUrl(fullName: string): string {
  return TYPE_URL_PREFIX + fullName;
}

/** The message name inside a type URL (anything up to the last "/" is the host part). */
export function typeNameFromUrl(url: string): string {
  return url.slice(url.lastIndexOf("/") + 1);
}

const names = new WeakMap<protobuf.ReflectionObject, string>();

/**
 * protobufjs's `fullName` getter rebuilds the dotted name on every call; the codec asks for it per message on hot
 * paths (Any and well-known-type checks), so it is memoized here. Keeps protobufjs's leading dot.
 */
export function dottedName(t: protobuf.ReflectionObject): string {
  let n = names.get(t);
  if (n === undefined) {
    n = t.fullName;
    names.set(t, n);
  }
  return n;
}

/** Fully qualified name of a reflected type, without protobufjs's leading dot. */
export function fullNameOf(t: protobuf.ReflectionObject): string {
  return dottedName(t).replace(/^\./, "");
}
