// Call sites on the loader's side: mapping positions captured while the bundle ran back to the user's files,
// finding the site of a model path, and turning sites into IR SourceLocs and diagnostic positions.
import { findSourceMap } from "node:module";
import { dirname, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { FIELD_SITES, SITE } from "../dsl/brand.js";
import type { SourceSite } from "../dsl/site.js";
import type { Diagnostic } from "../diagnostics/types.js";
import type { SourceLoc } from "../ir/types.js";
import { LazySourceMap, type RawSourceMap } from "./sourcemap.js";

/** Maps a captured site to the user's source: absolute file, 1-based line and column; undefined when unknown. */
export type Locate = (site: SourceSite | undefined) => SourceSite | undefined;

/**
 * A Locate for sites captured in `bundle` (a file evaluated from `file`, with its source map), cached per site.
 * Without a bundle (the DSL run directly, e.g. under tsx), positions go through Node's own source-map cache when
 * source maps are enabled, else stay as captured.
 */
export function makeLocator(bundle?: { file: string; map: RawSourceMap }): Locate {
  const cache = new WeakMap<SourceSite, SourceSite | null>();
  const map = bundle ? new LazySourceMap(bundle.map) : undefined;
  const url = bundle ? pathToFileURL(bundle.file).href : undefined;
  const dir = bundle ? dirname(bundle.file) : "";
  return (site) => {
    if (!site) return undefined;
    const hit = cache.get(site);
    if (hit !== undefined) return hit ?? undefined;
    const mapped = bundle ? mapPosition(site.file, site.line, site.column, bundle.file, url, dir, map) : viaNode(site);
    cache.set(site, mapped ?? null);
    return mapped;
  };
}

/** Maps a position through the source map Node holds for its file, if any. */
function viaNode(site: SourceSite): SourceSite | undefined {
  const plain = mapPosition(site.file, site.line, site.column, undefined, undefined, "", undefined);
  if (!plain) return undefined;
  const map = findSourceMap(site.file.replace(/\?.*$/, "")) ?? findSourceMap(plain.file);
  const e = map?.findEntry(plain.line - 1, plain.column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
  if (!e || e.originalSource === undefined || e.originalLine === undefined) return plain;
  const file = e.originalSource.startsWith("file:") ? fileURLToPath(e.originalSource) : resolve(dirname(plain.file), e.originalSource);
  return { file, line: e.originalLine + 1, column: (e.originalColumn ?? 0) + 1 };
}

/** Maps one generated position (1-based) when it lies in the bundle; converts file: URLs to paths. */
export function mapPosition(
  rawFile: string,
  line: number,
  column: number,
  bundleFile: string | undefined,
  bundleUrl: string | undefined,
  bundleDir: string,
  map: LazySourceMap | undefined,
): SourceSite | undefined {
  if (!rawFile || line <= 0) return undefined;
  const q = rawFile.indexOf("?"); // a query (the bundle's URL as imported) is not part of the file
  const file = q < 0 ? rawFile : rawFile.slice(0, q);
  if (map && (file === bundleUrl || file === bundleFile)) {
    const e = map.find(line - 1, Math.max(0, column - 1));
    if (!e) return undefined;
    return { file: sourcePath(e.source, bundleDir), line: e.line + 1, column: e.column + 1 };
  }
  return { file: file.startsWith("file:") ? fileURLToPath(file) : file, line, column };
}

/** The most specific call site recorded along `path` from `root` (each object's SITE, or a FIELD_SITES entry). */
export function siteAt(root: unknown, path: readonly PropertyKey[], locate: Locate): SourceSite | undefined {
  let node = root as Record<PropertyKey, unknown> | undefined;
  let best = locate(siteOf(node));
  for (const key of path) {
    if (node === null || typeof node !== "object") break;
    const field = locate((node[FIELD_SITES] as Record<PropertyKey, SourceSite> | undefined)?.[key]);
    if (field) best = field;
    node = node[key] as Record<PropertyKey, unknown> | undefined;
    best = locate(siteOf(node)) ?? best;
  }
  return best;
}

/** The raw SITE of a model object. */
export function siteOf(value: unknown): SourceSite | undefined {
  return value !== null && typeof value === "object" ? ((value as Record<symbol, unknown>)[SITE] as SourceSite | undefined) : undefined;
}

// A mesh's sites name a handful of files thousands of times (issue 12: 14,000 sites in the 1,000-service mesh, where
// resolving and relativizing each path took a fifth of lowering): both path computations are remembered, by their
// inputs, in small maps that are emptied when they grow past a bound.
// Keyed by directory, then by path (no key string built per site).
const PATHS_KEPT = 1000;
const sourcePaths = new Map<string, Map<string, string>>();
const relativePaths = new Map<string, Map<string, string>>();
let kept = 0;

function remember(maps: Map<string, Map<string, string>>, dir: string, path: string, compute: () => string): string {
  let map = maps.get(dir);
  let v = map?.get(path);
  if (v === undefined) {
    if (kept >= PATHS_KEPT) {
      sourcePaths.clear();
      relativePaths.clear();
      kept = 0;
      map = undefined;
    }
    if (!map) maps.set(dir, (map = new Map()));
    map.set(path, (v = compute()));
    kept++;
  }
  return v;
}

function sourcePath(source: string, bundleDir: string): string {
  return remember(sourcePaths, bundleDir, source, () => (source.startsWith("file:") ? fileURLToPath(source) : resolve(bundleDir, source)));
}

/** IR source location: file relative to the mesh entry's directory, with "/" separators. */
export function sourceLoc(site: SourceSite | undefined, baseDir: string): SourceLoc | undefined {
  if (!site) return undefined;
  const file = remember(relativePaths, baseDir, site.file, () => relative(baseDir, site.file).split(sep).join("/"));
  return { file, line: site.line, column: site.column };
}

/** A diagnostic positioned at a located `site` (absolute file). */
export function at(site: SourceSite | undefined, d: Diagnostic): Diagnostic {
  return site ? { ...d, file: site.file, line: site.line, column: site.column } : d;
}
