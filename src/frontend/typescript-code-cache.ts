// Loads the TypeScript compiler (a 9 MB CommonJS file) through a V8 code cache kept in meshc's cache folder, as
// v8-compile-cache does (Node 20 has no module.enableCompileCache): compiling typescript.js and then, lazily, the
// functions a check runs is a fixed cost of every `meshc build` on the type-check thread. The cache is V8's
// serialized code (`script.createCachedData()`, taken after a check so the lazily compiled functions are in it).
//
// It fails closed: the file is an envelope whose header names TypeScript's path, the SHA-256 of its text, Node's
// version, V8's version and flags (process.execArgv); any mismatch, an unreadable or truncated file, or V8 rejecting
// the data (it checks its own version, flags and the source's length) means compiling without it, the way require()
// would. The code cache changes only how fast the compiler's code starts, never what it computes.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Script } from "node:vm";
import { typecheckCacheBase } from "./typecheck-cache.js";

/** Bumped whenever the envelope or the wrapper around typescript.js changes. */
const FORMAT = 1;
const MAGIC = "meshc-v8-code-cache";

/** The CommonJS wrapper Node itself puts around a module (its line offsets stay the file's own). */
const WRAP_HEAD = "(function (exports, require, module, __filename, __dirname) { ";
const WRAP_TAIL = "\n});";

export interface LoadedTypescript {
  /** The module's exports (what require(path) returns). */
  exports: unknown;
  /** Writes a fresh cache when none was used (missing, stale or rejected); call after a check. Never throws. */
  save(): void;
  /** Whether V8 accepted a cache for this load. */
  cached: boolean;
}

function cachePath(): string {
  return join(typecheckCacheBase(), "v8", "typescript.cache");
}

function headerFor(path: string, source: string): string {
  return JSON.stringify({
    magic: MAGIC,
    format: FORMAT,
    path,
    source: createHash("sha256").update(source).digest("base64"),
    node: process.version,
    v8: process.versions.v8,
    flags: process.execArgv.join(" "),
  });
}

function readCache(header: string): Buffer | undefined {
  let buf: Buffer;
  try {
    buf = readFileSync(cachePath());
  } catch {
    return undefined;
  }
  const nl = buf.indexOf(10);
  if (nl < 0) return undefined;
  let meta: { header?: unknown; bytes?: unknown; digest?: unknown };
  try {
    meta = JSON.parse(buf.subarray(0, nl).toString("utf8")) as typeof meta;
  } catch {
    return undefined;
  }
  const data = buf.subarray(nl + 1);
  if (meta.header !== header || meta.bytes !== data.length || meta.digest !== createHash("sha256").update(data).digest("base64")) return undefined;
  return data;
}

function writeCache(header: string, data: Buffer): void {
  const path = cachePath();
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    const meta = JSON.stringify({ header, bytes: data.length, digest: createHash("sha256").update(data).digest("base64") });
    writeFileSync(tmp, Buffer.concat([Buffer.from(`${meta}\n`), data]));
    renameSync(tmp, path);
  } catch {
    // A cache that cannot be written costs the next build a compile, nothing else.
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing was written
    }
  }
}

/**
 * Loads the CommonJS module at `path` (typescript.js) as require() would, compiled with the cached code when the
 * envelope and V8 both accept it.
 */
export function loadTypescriptCached(path: string): LoadedTypescript {
  const source = readFileSync(path, "utf8");
  const header = headerFor(path, source);
  const data = readCache(header);
  const script = new Script(WRAP_HEAD + source + WRAP_TAIL, { filename: path, ...(data ? { cachedData: data } : {}) });
  const cached = data !== undefined && script.cachedDataRejected === false;
  const fn = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: { exports: unknown }, filename: string, dirname: string) => void;
  const module = { exports: {} as unknown };
  fn.call(module.exports, module.exports, createRequire(path), module, path, dirname(path));
  let saved = cached;
  return {
    exports: module.exports,
    cached,
    save() {
      if (saved) return;
      saved = true;
      try {
        writeCache(header, script.createCachedData());
      } catch {
        // no cache this time
      }
    },
  };
}
