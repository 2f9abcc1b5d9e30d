// Reads build directories (`meshc build --out DIR`) into MeshSnapshots again and again, as `meshc serve DIR` does on
// every change, doing only the work the change needs:
//   - every file is read in batches of synchronous reads with a yield to the event loop between batches (a promise
//     per file cost four thread-pool round trips each), then processed in sorted order (deterministic problems);
//   - a file whose bytes equal a file of the previous load (same kind, same content digest) reuses that load's
//     resources without being parsed; an unchanged service costs a read and a digest;
//   - within a load, and across loads, a resource is encoded and validated once per distinct JSON text: the same
//     shared cluster in 1,000 proxies' cds.json is one encode, and a reload re-encodes only resources whose text
//     is new. What is reused was validated when it was first read, by the same codec and rules.
//   - a file whose exact text encoded.json recorded (written by `meshc build`, build-dir-index.ts) takes its encoded
//     resources from there: no parse, no codec; a proxy all of whose files came from the index skips the
//     consistency check the compiler already ran. Any other file (hand-edited, stale index) is validated in full.
//     A file equal to one of the previous load is reused before the index is consulted, so a reload looks up (and
//     decodes and hashes the resources of) only the files that changed; one the index vouched for keeps that pass.
// The caches hold only what the newest load used (the previous generation is dropped), so memory follows the served
// directory, not its history. A load can be cancelled (AbortSignal): it stops between files and yields nothing.
import { createHash } from "node:crypto";
import { lstatSync } from "node:fs";
import { join } from "node:path";
import { FILE_OF, MANIFEST } from "../../build/render.js";
import { parseCertificatePlan, type CertificatePlan } from "../../pki/plan.js";
import { contentHash, makeProxySnapshot } from "../../snapshot/build.js";
import { PUSH_ORDER, TYPE_URLS, type EncodedResource, type MeshSnapshot, type ProxySnapshot, type ResourceKind } from "../../snapshot/types.js";
import { encodeJson, type EncodeResult } from "./api/codec.js";
import { formatIssue } from "./api/issues.js";
import type { Json } from "./api/json.js";
import { readEncodedIndex } from "./build-dir-index.js";
import { checkConsistency } from "./consistency.js";
import { RESOURCE_TYPES, rememberCanonical, resourceLabel } from "./encode.js";
import { encodeRouteTableJson, type HostCache } from "./route-table-json.js";
import { variantDir } from "../../snapshot/variants.js";
import { readBoundedSync, showBytes } from "../../runtime/bounded-read.js";

/** A proxy's response file (cds.json, …) or manifest.json: larger is refused (a hostile or damaged directory). */
export const MAX_BUILD_FILE_BYTES = 64 << 20;
/** All files of one load together (their texts are held at once). */
export const MAX_BUILD_DIR_BYTES = 2 ** 31;
/** Proxies one manifest may list, and variants (instance, locality) one proxy may have. */
export const MAX_BUILD_PROXIES = 100_000;
export const MAX_PROXY_VARIANTS = 10_000;
export const MAX_BUILD_VARIANTS = 1_000_000;
/** Problems a failed load reports (the rest are counted). */
export const MAX_PROBLEMS = 200;

/** A JSON.parse error without V8's excerpt of the text (a file read from elsewhere must not reach the logs). */
export function jsonError(err: unknown): string {
  const m = err instanceof Error ? err.message : "";
  if (/Unexpected end of JSON input/.test(m)) return "invalid JSON: unexpected end of input";
  const at = /at position (\d+)/.exec(m);
  return `invalid JSON${at ? ` at offset ${at[1]}` : ""}`;
}

/** A proxy or variant folder name as meshc build writes it: one path segment, not hidden, no NUL. */
const SEGMENT = /^[^/\\\0.][^/\\\0]*$/;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The manifest's proxies (its "proxies" keys: the folders to read) and each one's variants (its "variants": variant
 * key -> the kinds its folder holds). Shapes meshc build never writes are problems, not guesses.
 */
function manifestUnits(m: unknown, file: string, problems: BuildDirProblem[]): { service: string; variant?: string; kinds: readonly ResourceKind[] }[] {
  if (!isRecord(m) || !isRecord(m.proxies)) {
    problems.push({ file, message: `expected an object with "proxies" (the proxies' folders), as meshc build writes it` });
    return [];
  }
  const services = Object.keys(m.proxies).sort();
  if (services.length > MAX_BUILD_PROXIES) {
    problems.push({ file, message: `lists ${services.length} proxies, more than the ${MAX_BUILD_PROXIES} a build directory may hold` });
    return [];
  }
  const variants = m.variants === undefined ? {} : m.variants;
  if (!isRecord(variants)) {
    problems.push({ file, message: `"variants" must be an object` });
    return [];
  }
  const byFile = new Map(PUSH_ORDER.map((k) => [FILE_OF[k].replace(".json", ""), k] as const));
  const units: { service: string; variant?: string; kinds: readonly ResourceKind[] }[] = [];
  let variantCount = 0;
  for (const service of services) {
    if (!SEGMENT.test(service)) {
      problems.push({ file, message: `proxies: ${JSON.stringify(service.slice(0, 100))} is not a folder name` });
      continue;
    }
    units.push({ service, kinds: PUSH_ORDER });
    const own = Object.hasOwn(variants, service) ? variants[service] : undefined; // not Object.prototype's "constructor"
    if (own === undefined) continue;
    const keys = isRecord(own) ? Object.keys(own).sort() : undefined;
    if (keys === undefined || keys.length > MAX_PROXY_VARIANTS) {
      problems.push({ file, message: `variants.${service}: ${keys === undefined ? "must be an object" : `${keys.length} variants, more than ${MAX_PROXY_VARIANTS}`}` });
      continue;
    }
    for (const key of keys) {
      const files = (own as Record<string, unknown>)[key];
      const kinds = isRecord(files) ? PUSH_ORDER.filter((k) => Object.keys(files).some((f) => byFile.get(f) === k)) : [];
      if (!/^(instance|locality):[^/\\\0]+$/.test(key) || /:\.\.?$/.test(key) || !isRecord(files)) {
        problems.push({ file, message: `variants.${service}: ${JSON.stringify(key.slice(0, 100))} is not a variant meshc build writes (a key "instance:…" or "locality:…" with the files that differ)` });
        continue;
      }
      if (++variantCount > MAX_BUILD_VARIANTS) {
        problems.push({ file, message: `lists more than ${MAX_BUILD_VARIANTS} variants` });
        return [];
      }
      units.push({ service, variant: key, kinds });
    }
  }
  for (const service of Object.keys(variants)) {
    if (!Object.hasOwn(m.proxies, service)) problems.push({ file, message: `variants: ${JSON.stringify(service.slice(0, 100))} is not one of "proxies"` });
  }
  return units;
}

export interface BuildDirProblem {
  file: string;
  message: string;
}

/** What one load did: how much it read, and how much it could take from the previous load. */
export interface ReadStats {
  files: number;
  /** Files whose content equals a file of the previous load (not parsed). */
  filesReused: number;
  /** Resources encoded and validated by this load (distinct texts not seen in the previous load). */
  encoded: number;
  /** Files whose resources came from encoded.json (their text is what the build recorded). */
  indexed: number;
}

export type ReadBuildResult =
  | { ok: true; snapshot: MeshSnapshot; files: string[]; stats: ReadStats; certificates?: CertificatePlan }
  | { ok: false; problems: BuildDirProblem[]; cancelled?: boolean; stats?: ReadStats };

interface FileEntry {
  list: EncodedResource[];
  /** The text key of each resource in `list` (same order), so a reused file keeps its resources cached. */
  keys: string[];
  /** Route tables: the virtual host keys they use, kept cached while the file is. */
  hostKeys: string[];
  /** The resources came from encoded.json (no text keys; the file's proxy may skip the consistency check). */
  indexed?: boolean;
}

/** Files read between two yields to the event loop (about 5-10 ms of reading). */
const READ_BATCH = 256;

export class BuildDirReader {
  /** kind + file digest -> that file's resources and their text keys (files that read without problems). */
  private files = new Map<string, FileEntry>();
  /** kind + resource JSON text -> the encoded resource. */
  private resources = new Map<string, EncodedResource>();
  /** A route table's virtual host JSON text -> its encoding (route-table-json.ts). */
  private hosts = new Map<string, EncodeResult>();

  async read(dir: string, signal?: AbortSignal): Promise<ReadBuildResult> {
    const manifestFile = join(dir, MANIFEST);
    const read = readBoundedSync(manifestFile, MAX_BUILD_FILE_BYTES);
    if (!read.ok) return { ok: false, problems: [{ file: manifestFile, message: read.missing ? "not a meshc build directory: no manifest.json" : `manifest.json: ${read.message}` }] };
    const manifestText = read.bytes.toString("utf8");
    let manifest: unknown;
    try {
      manifest = JSON.parse(manifestText);
    } catch (err) {
      return { ok: false, problems: [{ file: manifestFile, message: jsonError(err) }] };
    }
    const problems: BuildDirProblem[] = [];
    // The manifest says which folders are proxies (anything else beside them, a .git say, is not read). Snapshot
    // variants (src/snapshot/variants.ts) are listed there too; a variant's folder holds only the files that differ
    // from its service's, the rest is the service's.
    const units = manifestUnits(manifest, manifestFile, problems);
    if (problems.length) return failed(problems);
    // Folders only, never through a symbolic link (a file's own name is checked when it is opened). Each folder's
    // identity is looked at again after the reads: one swapped for a symlink meanwhile fails the load.
    const folders = new Map<string, string>();
    const identity = (rel: string) => {
      const st = lstatSync(join(dir, rel), { throwIfNoEntry: false });
      return st === undefined ? undefined : { st, id: `${st.dev}:${st.ino}:${st.isDirectory()}` };
    };
    const folderProblem = (rel: string): string | undefined => {
      if (folders.has(rel)) return undefined;
      const got = identity(rel);
      if (got?.st.isDirectory()) folders.set(rel, got.id);
      return got === undefined ? "missing" : got.st.isDirectory() ? undefined : got.st.isSymbolicLink() ? "a symbolic link (only folders are read)" : "not a folder";
    };
    const badFolders = new Set<string>();
    for (const u of units) {
      if (u.kinds.length === 0) continue; // a variant no file of which differs from its service's has no folder
      const rels = u.variant === undefined ? [u.service] : [variantDir(u.variant).split("/")[0]!, variantDir(u.variant)].map((v) => `${u.service}/${v}`);
      for (const rel of rels) {
        if (badFolders.has(rel) || (u.variant !== undefined && badFolders.has(u.service))) continue;
        const p = folderProblem(rel);
        if (p === undefined) continue;
        badFolders.add(rel);
        problems.push({ file: join(dir, rel), message: p });
      }
      if (problems.length > MAX_PROBLEMS) break;
    }
    if (problems.length) return failed(problems);
    const slots = units.flatMap((u) => u.kinds.map((kind) => ({ service: u.service, kind, rel: [u.service, ...(u.variant ? [variantDir(u.variant)] : []), FILE_OF[kind]].join("/") })))
      .map((s) => ({ ...s, file: join(dir, s.rel) }));
    const byContent = new Map<string, EncodedResource>(); // kind, name, bytes hash -> one shared instance
    const share = (kind: ResourceKind, r: EncodedResource): EncodedResource => {
      const key = `${kind}\0${r.name}\0${r.hash}`;
      const seen = byContent.get(key);
      if (seen) return seen;
      byContent.set(key, r);
      return r;
    };
    const [texts, index] = await Promise.all([readAll(slots.map((s) => s.file), signal), readEncodedIndex(dir, share)]);
    const cancelled = (): ReadBuildResult => ({ ok: false, cancelled: true, problems: [{ file: dir, message: "load cancelled" }] });
    if (signal?.aborted) return cancelled();
    if (texts.tooLarge) return failed([{ file: dir, message: `its files hold more than ${showBytes(MAX_BUILD_DIR_BYTES)}` }]);
    for (const [rel, id] of folders) {
      if (identity(rel)?.id !== id) return failed([{ file: join(dir, rel), message: "replaced while it was read (load again once the directory holds still)" }]);
    }

    const stats: ReadStats = { files: 0, filesReused: 0, encoded: 0, indexed: 0 };
    const nextFiles = new Map<string, FileEntry>();
    const indexedNow = new Set<string>(); // file keys this load took from the index (not from the previous load)
    const nextResources = new Map<string, EncodedResource>();
    const nextHosts = new Map<string, EncodeResult>();
    const prevHosts = this.hosts;
    const hosts: HostCache = {
      get(key) {
        const r = nextHosts.get(key) ?? prevHosts.get(key);
        if (r) nextHosts.set(key, r);
        return r;
      },
      set: (key, r) => void nextHosts.set(key, r),
    };
    const proxies: MeshSnapshot["proxies"] = new Map();
    const variantMaps = new Map<string, Map<string, ProxySnapshot>>();
    const files: string[] = [join(dir, MANIFEST)];
    let slot = 0;
    let sinceYield = 0;
    for (const unit of units) {
      const { service, variant } = unit;
      // Yield now and then, so a cancel (SIGTERM) and the ADS server's own work are not held up by a long load.
      sinceYield += 1 + unit.kinds.length;
      if (sinceYield >= 400) {
        sinceYield = 0;
        await new Promise((r) => setImmediate(r));
        if (signal?.aborted) return cancelled();
      }
      if (problems.length > MAX_PROBLEMS) break;
      const base = variant !== undefined ? proxies.get(service) : undefined;
      if (variant !== undefined && !base) {
        slot += unit.kinds.length;
        continue; // the service's own folder had problems (reported)
      }
      const byKind: Partial<Record<ResourceKind, EncodedResource[]>> = base ? { ...base.resources } : {};
      let allIndexed = index !== undefined;
      for (const kind of unit.kinds) {
        const { file, rel } = slots[slot]!;
        const got = texts.files[slot++]!;
        if (typeof got !== "string") {
          if (got.missing && kind === "secret" && variant === undefined) continue; // sds.json only with secrets
          problems.push({ file, message: got.message });
          continue;
        }
        const text = got;
        files.push(file);
        stats.files++;
        const digest = createHash("sha256").update(text).digest("base64");
        const key = `${kind}\0${digest}`;
        // A file whose text a previous load (or an earlier file of this one) already turned into resources is
        // reused before the index is consulted: a reload after a change looks up only the changed files there.
        const thisLoad = nextFiles.get(key);
        const reused = thisLoad ?? this.files.get(key);
        if (reused) {
          // The same text earlier in this load, taken from the index then: counted as indexed, as it was before.
          if (thisLoad && indexedNow.has(key)) stats.indexed++;
          else stats.filesReused++;
          if (!reused.indexed) allIndexed = false; // text the build wrote and the index vouched for keeps its pass
          nextFiles.set(key, reused);
          reused.list.forEach((r, i) => {
            byContent.set(`${kind}\0${r.name}\0${r.hash}`, r);
            if (reused.keys[i] !== undefined) nextResources.set(reused.keys[i]!, r);
          });
          for (const k of reused.hostKeys) hosts.get(k);
          byKind[kind] = reused.list;
          continue;
        }
        const indexed = index?.lookup(rel, kind, digest, text);
        if (indexed) {
          stats.indexed++;
          nextFiles.set(key, { list: indexed, keys: [], hostKeys: [], indexed: true });
          indexedNow.add(key);
          byKind[kind] = indexed;
          continue;
        }
        allIndexed = false;
        const before = problems.length;
        const entry = this.readResponse(file, kind, text, nextResources, byContent, hosts, problems, stats);
        if (problems.length === before) nextFiles.set(key, entry);
        byKind[kind] = entry.list;
      }
      const folder = join(dir, service, ...(variant !== undefined ? [variantDir(variant)] : []));
      try {
        const proxy = makeProxySnapshot(service, byKind);
        // P-31: a hand-edited directory must be as consistent as a compiled one before it is served. A proxy whose
        // every file is the text the build wrote (and checked) is spared it.
        if (!allIndexed) for (const issue of checkConsistency(proxy)) problems.push({ file: folder, message: formatIssue(issue) });
        if (variant === undefined) proxies.set(service, proxy);
        else {
          // One map per service, filled in place (copying it per variant made many variants quadratic).
          let own = variantMaps.get(service);
          if (!own) {
            own = new Map(base!.variants ?? []);
            variantMaps.set(service, own);
            proxies.set(service, { ...base!, variants: own });
          }
          own.set(variant, { ...proxy, variant });
        }
      } catch (err) {
        problems.push({ file: folder, message: (err as Error).message });
      }
    }
    // The certificate plan (meshes with mTLS): what `meshc serve --ca` issues for this build.
    let certificates: CertificatePlan | undefined;
    const planned = (manifest as { certificates?: unknown }).certificates;
    if (planned !== undefined) {
      const r = parseCertificatePlan(planned);
      if ("problems" in r) for (const message of r.problems) problems.push({ file: manifestFile, message });
      else {
        certificates = r.plan;
        for (const name of Object.keys(r.plan.identities)) {
          if (!proxies.has(name)) problems.push({ file: manifestFile, message: `certificates.identities names ${JSON.stringify(name)}, which has no directory here` });
        }
      }
    }
    if (problems.length) return failed(problems, stats);
    // Only a load that is served becomes the base of the next one.
    this.files = nextFiles;
    this.resources = nextResources;
    this.hosts = nextHosts;
    return { ok: true, snapshot: { proxies }, files, stats, ...(certificates ? { certificates } : {}) };
  }

  private readResponse(
    file: string,
    kind: ResourceKind,
    text: string,
    nextResources: Map<string, EncodedResource>,
    byContent: Map<string, EncodedResource>,
    hosts: HostCache,
    problems: BuildDirProblem[],
    stats: ReadStats,
  ): FileEntry {
    const out: EncodedResource[] = [];
    const keys: string[] = [];
    const hostKeys: string[] = [];
    const entry = { list: out, keys, hostKeys };
    let doc: { type_url?: unknown; resources?: unknown };
    try {
      doc = JSON.parse(text);
    } catch (err) {
      problems.push({ file, message: jsonError(err) });
      return entry;
    }
    if (!isRecord(doc) || doc.type_url !== TYPE_URLS[kind] || !Array.isArray(doc.resources)) {
      problems.push({ file, message: `expected a DiscoveryResponse with type_url ${TYPE_URLS[kind]} and a resources list` });
      return entry;
    }
    // One resource; a problem, or its encoded form added to the file's list.
    const readOne = (raw: Record<string, Json>, i: number): void => {
      if (!isRecord(raw)) {
        problems.push({ file, message: `resources[${i}]: must be an object` });
        return;
      }
      const { "@type": url, ...json } = raw;
      const name = String((kind === "endpoint" ? json.cluster_name : json.name) ?? "");
      if (url !== TYPE_URLS[kind]) {
        problems.push({ file, message: `resources[${i}]: "@type" must be ${TYPE_URLS[kind]}` });
        return;
      }
      // Equal JSON encodes to equal bytes, so the text is a safe key for what the encoder would return.
      const textKey = `${kind}\0${JSON.stringify(raw)}`;
      const seen = nextResources.get(textKey) ?? this.resources.get(textKey);
      if (seen) {
        nextResources.set(textKey, seen);
        byContent.set(`${kind}\0${seen.name}\0${seen.hash}`, seen);
        out.push(seen);
        keys.push(textKey);
        return;
      }
      // Route tables: each distinct virtual host once (route-table-json.ts).
      const r = kind === "route" ? encodeRouteTableJson(json, resourceLabel(kind, name), hosts, hostKeys) : encodeJson(RESOURCE_TYPES[kind], json, resourceLabel(kind, name));
      stats.encoded++;
      if (!r.ok) {
        for (const issue of r.issues) problems.push({ file, message: `resources[${i}]: ${formatIssue(issue)}` });
        return;
      }
      const hash = contentHash(r.message.bytes);
      const key = `${kind}\0${name}\0${hash}`;
      let res = byContent.get(key);
      if (!res) {
        res = { name, typeUrl: TYPE_URLS[kind], bytes: r.message.bytes, hash };
        // The consistency check reads clusters, listeners and route tables: keep what the encoder decoded.
        if (kind !== "endpoint") rememberCanonical(res, r.message.canonical);
        byContent.set(key, res);
      }
      nextResources.set(textKey, res);
      out.push(res);
      keys.push(textKey);
    };
    doc.resources.forEach((raw: Record<string, Json>, i: number) => {
      if (problems.length > MAX_PROBLEMS) return;
      try {
        readOne(raw, i);
      } catch (err) {
        // The codec's own limits (nesting depth) and the stack's: a problem of this file, not a failed load.
        const deep = err instanceof RangeError || /depth/i.test(String((err as Error)?.message));
        problems.push({ file, message: `resources[${i}]: ${deep ? "nested too deeply" : `could not be read (${String((err as Error)?.message ?? err).slice(0, 200)})`}` });
      }
    });
    return entry;
  }
}

/** A failed load's result, its problems cut to MAX_PROBLEMS (the rest counted in one more). */
function failed(problems: BuildDirProblem[], stats?: ReadStats): ReadBuildResult {
  const shown = problems.length > MAX_PROBLEMS ? [...problems.slice(0, MAX_PROBLEMS), { file: problems[MAX_PROBLEMS]!.file, message: `… and more problems, not listed (at most ${MAX_PROBLEMS} are)` }] : problems;
  return { ok: false, problems: shown, ...(stats ? { stats } : {}) };
}

/**
 * Reads every path (readBoundedSync: a regular file of at most MAX_BUILD_FILE_BYTES; else why not): synchronously,
 * READ_BATCH files at a time, yielding to the event loop between batches (streams keep being served, a cancel is
 * seen). A build directory's files are small and were just written (page cache): fs/promises' readFile costs four
 * thread-pool round trips per file (open, fstat, read, close), which for 4,000 files measured 0.26-0.42 s of CPU
 * against 0.06-0.10 s for readFileSync (issue 12). Stops at MAX_BUILD_DIR_BYTES in all.
 */
async function readAll(paths: string[], signal?: AbortSignal): Promise<{ files: (string | { missing: boolean; message: string })[]; tooLarge: boolean }> {
  const files: (string | { missing: boolean; message: string })[] = new Array(paths.length);
  let total = 0;
  for (let i = 0; i < paths.length && !signal?.aborted; i++) {
    if (i > 0 && i % READ_BATCH === 0) await new Promise((r) => setImmediate(r));
    const r = readBoundedSync(paths[i]!, MAX_BUILD_FILE_BYTES);
    if (!r.ok) {
      files[i] = r;
      continue;
    }
    total += r.bytes.length;
    if (total > MAX_BUILD_DIR_BYTES) return { files, tooLarge: true };
    files[i] = r.bytes.toString("utf8");
  }
  return { files, tooLarge: false };
}
