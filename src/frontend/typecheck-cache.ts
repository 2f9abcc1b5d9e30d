// The type check's record on disk (issue 12 item 5): `meshc build` of a mesh it checked before re-checks only the
// files that changed. The record is TypeScript's own incremental state (what `tsc --incremental` writes as a
// .tsbuildinfo: every program file's content hash, the import graph, each file's declaration signature and its
// semantic diagnostics), kept in the user's cache folder ($MESHC_CACHE_DIR, else $XDG_CACHE_HOME/meshc, else
// ~/.cache/meshc), never in --out, one file per entry module.
//
// It fails closed: the record is wrapped in an envelope holding a format number, a key (the entry's absolute path,
// TypeScript's version and the compiler options, which include the DSL's location) and a SHA-256 of the state's
// text. Any mismatch, a truncated or unreadable file, or an exception while TypeScript reads it means no record:
// a full check. TypeScript itself re-checks every file whose text changed and every file whose imports' declarations
// changed (a DSL or lib file that changed is one of them), so a reused diagnostic list is one TypeScript would give.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type * as TS from "typescript";

/** Bumped whenever what the record holds or how it is keyed changes. */
export const TYPECHECK_CACHE_FORMAT = 1;

const MAGIC = "meshc-typecheck";

/** meshc's cache folder ($MESHC_CACHE_DIR, else $XDG_CACHE_HOME/meshc, else ~/.cache/meshc). */
export function typecheckCacheBase(): string {
  return process.env.MESHC_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "meshc");
}

/** What a record must have been written for: TypeScript's version, the options and the entry module. */
export function typecheckCacheKey(ts: typeof TS, entry: string, options: TS.CompilerOptions): string {
  const opts = Object.fromEntries(Object.entries(options).sort(([a], [b]) => (a < b ? -1 : 1)));
  return createHash("sha256")
    .update(JSON.stringify({ format: TYPECHECK_CACHE_FORMAT, typescript: ts.version, entry: resolve(entry), options: opts }))
    .digest("hex");
}

/** The record of `entry`'s check: named by the entry's absolute path, so each mesh keeps its own. */
export function typecheckCachePath(entry: string): string {
  return join(typecheckCacheBase(), "typecheck", `${createHash("sha256").update(resolve(entry)).digest("hex").slice(0, 32)}.tsbuildinfo`);
}

const digest = (text: string) => createHash("sha256").update(text).digest("base64");

/**
 * The state TypeScript wrote last time for this key, or undefined (no record, another key or format, a corrupt
 * or truncated file). The envelope's first line is a JSON header; the rest is TypeScript's text, byte for byte.
 */
export function readTypecheckRecord(path: string, key: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const nl = text.indexOf("\n");
  if (nl < 0) return undefined;
  try {
    const header = JSON.parse(text.slice(0, nl)) as { magic?: unknown; format?: unknown; key?: unknown; digest?: unknown };
    const body = text.slice(nl + 1);
    if (header.magic !== MAGIC || header.format !== TYPECHECK_CACHE_FORMAT || header.key !== key || header.digest !== digest(body)) return undefined;
    return body;
  } catch {
    return undefined;
  }
}

/** Writes the record atomically (a temp file renamed over it): a reader sees the old record or the new one. */
export function writeTypecheckRecord(path: string, key: string, body: string): void {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, `${JSON.stringify({ magic: MAGIC, format: TYPECHECK_CACHE_FORMAT, key, digest: digest(body) })}\n${body}`);
    renameSync(tmp, path);
  } catch {
    // A cache that cannot be written costs the next build a full check, nothing else.
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing was written
    }
  }
}
