// The protobufjs reflection root for Envoy's API, loaded once from the .proto files that @grpc/grpc-js-xds ships.
// Field names keep their proto (snake_case) spelling; field options keep `(validate.rules)` for validate.ts.
import protobuf from "protobufjs";
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import spec from "./protos.json" with { type: "json" };
import { packageInfo } from "../../../runtime/package-root.js";

const require = createRequire(import.meta.url);
export const TYPE_URL_PREFIX = "type.googleapis.com/";

let cached: protobuf.Root | undefined;

/** Directory holding the Envoy/xds/googleapis/PGV .proto trees. */
export function protoDepsDir(): string {
  return join(dirname(require.resolve("@grpc/grpc-js-xds/package.json")), "deps");
}

export function envoyRoot(): protobuf.Root {
  if (cached) return cached;
  const root = newRoot();
  root.loadSync(spec.files, { keepCase: true });
  root.resolveAll();
  cached = root;
  return root;
}

let warming: Promise<void> | undefined;

/**
 * Loads the root ahead of its first use without holding the thread: the .proto files are read asynchronously and
 * parsed one at a time as they arrive, so `meshc build` can load them while its main thread would otherwise wait
 * (esbuild bundling, the evaluation worker), instead of ~0.2 s of loadSync on the critical path once translation
 * starts. The result is the same root envoyRoot() builds; until it is complete, envoyRoot() loads its own.
 */
export function warmEnvoyRoot(): Promise<void> {
  if (cached) return Promise.resolve();
  warming ??= (async () => {
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

function newRoot(): protobuf.Root {
  const deps = protoDepsDir();
  // protobufjs ships google/protobuf/*.proto (descriptor.proto among them); the deps folder does not.
  const pbDir = dirname(require.resolve("protobufjs/package.json"));
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    if (target.startsWith("google/protobuf/")) {
      const p = join(pbDir, target);
      if (existsSync(p)) return p;
    }
    for (const d of spec.includeDirs) {
      const p = join(deps, d, target);
      if (existsSync(p)) return p;
    }
    // Protos the deps folder lacks (OpenTelemetry's common.proto), shipped in meshc's own package.
    for (const d of spec.localIncludeDirs) {
      const p = join(packageInfo().root, d, target);
      if (existsSync(p)) return p;
    }
    return target;
  };
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
