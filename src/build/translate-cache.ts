// `meshc build` into a previous build: translate again only the proxies whose inputs changed (issue 12 item 5), the
// way `meshc serve` does across reloads (src/serve/incremental-translate.ts), with the previous proxies read back
// from the build directory itself.
//
// What a proxy's translation depends on is recorded while it is translated (src/backends/envoy/translate-deps.ts):
// its own ServiceIR, the services it read (or all of them), the mesh-wide part of the IR and what the translator
// derives from all services. Each is compared by a SHA-256 of its JSON, so any change in what the IR holds for them
// translates the proxy again. A reused proxy's resources come from the build directory's encoded.json (the bytes
// the previous build wrote, src/build/encoded-index.ts), and its versions must come out equal to manifest.json's.
//
// The record of inputs lives in the user's cache folder (translateCachePath), not in or beside the build directory,
// which stays exactly what a full build writes. It is trusted only when everything matches, else the build
// translates everything (fail closed): its format, the translator's own code (a digest of meshc's bundle or
// sources), the digests of the encoded.json and manifest.json it was written with (a build written by another
// meshc, a hand edit, a half-written record), and the build's mesh name; meshes with mesh.patch() are never cached
// (the files hold patched resources). test/backend/translate-cache.test.ts checks a cached rebuild against a fresh
// one over random edits, and that a corrupt or foreign record falls back to a full translation.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { homedir } from "node:os";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { contentHash, versionOf } from "../snapshot/build.js";
import { PUSH_ORDER, TYPE_URLS, type EncodedResource, type ProxySnapshot, type ResourceKind } from "../snapshot/types.js";
import { translateMesh, type TranslateResult } from "../backends/envoy/translate.js";
import { DependencyRecorder } from "../backends/envoy/translate-deps.js";
import type { MeshIR } from "../ir/types.js";
import { variantDir } from "../snapshot/variants.js";
import { ENCODED_INDEX, rememberBase64, type EncodedIndexJson } from "./encoded-index.js";
import { FILE_OF, MANIFEST, type Manifest } from "./render.js";
import { writeFileAtomic } from "./write.js";
import { inputHash, translationInputs } from "../backends/envoy/translation-inputs.js";
import { pruneTranslateRecords } from "./translate-cache-prune.js";

export const TRANSLATE_CACHE_FORMAT = 1;

/**
 * Where the record of a build directory's translation inputs is kept: in the user's cache folder ($MESHC_CACHE_DIR,
 * else $XDG_CACHE_HOME/meshc, else ~/.cache/meshc), named by a hash of the directory's absolute path, so that
 * neither the build directory nor the folder around it holds anything a full build would not write.
 */
export function translateCachePath(outDir: string): string {
  const base = process.env.MESHC_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "meshc");
  return join(base, "translate", `${createHash("sha256").update(resolve(outDir)).digest("hex").slice(0, 32)}.json`);
}

interface CacheJson {
  format: number;
  translator: string;
  mesh: string;
  /** SHA-256 (base64) of the encoded.json and manifest.json texts written with this record. */
  index: string;
  manifest: string;
  meshKey: string;
  /** Per proxy: the hash of its inputs, and the services its translation read (sorted; EVERY_SERVICE for all). */
  proxies: Record<string, { key: string; reads: string[] }>;
}

export interface TranslateCacheStats {
  translated: number;
  reused: number;
  /** Why nothing was reused, when nothing could be. */
  full?: string;
}

const sha = inputHash;

let translatorDigest: string | undefined;

/**
 * A digest of the code that translates: every .js file of meshc's bundle (dist/) when running from it, else every
 * .ts file of its sources (src/). A different meshc, or the same one rebuilt, never reuses another's translation.
 */
export function translatorIdentity(): string {
  if (translatorDigest) return translatorDigest;
  const here = fileURLToPath(import.meta.url);
  let root = dirname(here);
  const top = here.includes(`${"/"}dist${"/"}`) ? "dist" : "src";
  while (basename(root) !== top && dirname(root) !== root) root = dirname(root);
  const h = createHash("sha256");
  // The encoder's library and the Envoy .proto files' package too (they decide the bytes a reused proxy keeps).
  const require = createRequire(import.meta.url);
  for (const pkg of ["protobufjs", "@grpc/grpc-js-xds"]) h.update(`${pkg} ${(require(`${pkg}/package.json`) as { version: string }).version}\0`);
  const ext = top === "dist" ? ".js" : ".ts";
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(ext)) h.update(`${p.slice(root.length)}\0${statSync(p).size}\0`).update(readFileSync(p));
    }
  };
  walk(root);
  translatorDigest = h.digest("base64");
  return translatorDigest;
}

/** What a previous build left: the record and the directory's files it vouches for. */
interface Previous {
  cache: CacheJson;
  manifest: Manifest;
  index: EncodedIndexJson;
  /** manifest.json's identity when it was read (PreviousBuild). */
  manifestStat: ManifestStat;
}

/** Which manifest.json file was read: a swapped-in build directory has other inodes. */
export interface ManifestStat {
  ino: bigint;
  dev: bigint;
  size: bigint;
  mtimeNs: bigint;
}

/** The previous build's manifest.json and encoded.json as read (and checked) here, for planBuild not to read again. */
export interface PreviousBuild {
  manifest: Manifest;
  index: EncodedIndexJson;
  manifestStat: ManifestStat;
}

async function readPrevious(outDir: string): Promise<Previous | string> {
  let cacheText: string;
  try {
    cacheText = await readFile(translateCachePath(outDir), "utf8");
  } catch {
    return "no record of a previous build";
  }
  try {
    const cache = JSON.parse(cacheText) as CacheJson;
    if (!cache || cache.format !== TRANSLATE_CACHE_FORMAT) return "record of another format";
    if (cache.translator !== translatorIdentity()) return "record written by another meshc";
    if (typeof cache.proxies !== "object" || cache.proxies === null || typeof cache.meshKey !== "string") return "unreadable record";
    // manifest.json's stat before its text: a build swapped in between changes the inode, and planBuild then reads it again.
    const s = await stat(join(outDir, MANIFEST), { bigint: true });
    const [indexText, manifestText] = await Promise.all([readFile(join(outDir, ENCODED_INDEX), "utf8"), readFile(join(outDir, MANIFEST), "utf8")]);
    if (sha(indexText) !== cache.index || sha(manifestText) !== cache.manifest) return "the build directory changed since the record was written";
    const index = JSON.parse(indexText) as EncodedIndexJson;
    const manifest = JSON.parse(manifestText) as Manifest;
    if (manifest.mesh !== cache.mesh || typeof index.files !== "object" || !Array.isArray(index.resources)) return "unreadable build directory";
    return { cache, manifest, index, manifestStat: { ino: s.ino, dev: s.dev, size: s.size, mtimeNs: s.mtimeNs } };
  } catch {
    return "unreadable record or build directory";
  }
}

const keyOf = (kind: ResourceKind) => FILE_OF[kind].replace(".json", "") as keyof Manifest["proxies"][string];

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Whether `text` is exactly Buffer's base64 of `bytes` (which it decodes to): length, alphabet and last quantum. */
function canonicalBase64(text: string, bytes: Uint8Array): boolean {
  if (text.length !== Math.ceil(bytes.length / 3) * 4 || !BASE64.test(text)) return false;
  // Every full quantum of four characters stands for its three bytes alone; only the last can be spelt two ways.
  const tail = bytes.length % 3 || 3;
  return bytes.length === 0 || Buffer.from(bytes.buffer, bytes.byteOffset + bytes.length - tail, tail).toString("base64") === text.slice(-4);
}

/**
 * Rebuilds proxies of the previous build from its encoded.json, checking each against manifest.json: every
 * resource of the right kind, each file's list sorted by name without repeats (as makeProxySnapshot makes them, so
 * the lists are taken as they are, not copied and sorted again), and each version and count what the manifest says
 * (a resource whose bytes were changed in the index is not trusted, even with the record's digest made to match).
 */
class PreviousProxies {
  private readonly objects = new Map<number, EncodedResource>();

  constructor(private readonly prev: Previous) {}

  private resource(i: unknown, kind: ResourceKind): EncodedResource | undefined {
    if (typeof i !== "number") return undefined;
    let r = this.objects.get(i);
    if (r === undefined) {
      const entry = this.prev.index.resources[i];
      if (!Array.isArray(entry) || entry[0] !== kind || typeof entry[1] !== "string" || typeof entry[2] !== "string") return undefined;
      // Decoded straight into memory of its own (not a slice of Buffer's shared pool, not copied again).
      const text = entry[2];
      const buf = Buffer.allocUnsafeSlow(Buffer.byteLength(text, "base64"));
      const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.write(text, "base64"));
      r = { name: entry[1], typeUrl: TYPE_URLS[kind], bytes, hash: contentHash(bytes) };
      // Written back as read only when it is what encoding the bytes gives (else the output would depend on the index).
      if (canonicalBase64(text, bytes)) rememberBase64(r, text);
      this.objects.set(i, r);
    }
    return r.typeUrl === TYPE_URLS[kind] ? r : undefined;
  }

  /** The resources of one file of the previous build (sorted by name, no name twice), or undefined when the index
   * does not hold them so. */
  private file(rel: string, kind: ResourceKind): EncodedResource[] | undefined {
    const entry = this.prev.index.files[rel];
    if (!Array.isArray(entry) || !Array.isArray(entry[1])) return undefined;
    const out: EncodedResource[] = [];
    let last: string | undefined;
    for (const i of entry[1]) {
      const r = this.resource(i, kind);
      if (!r || (last !== undefined && !(last < r.name))) return undefined;
      last = r.name;
      out.push(r);
    }
    return out;
  }

  /** A proxy (with its variants) as the previous build wrote it; undefined unless every file checks out. */
  proxy(name: string): ProxySnapshot | undefined {
    try {
      const entries = this.prev.manifest.proxies[name];
      if (!entries) return undefined;
      const resources = {} as Record<ResourceKind, EncodedResource[]>;
      const versions = {} as Record<ResourceKind, string>;
      for (const kind of PUSH_ORDER) {
        const e = entries[keyOf(kind)];
        const list = e ? this.file(`${name}/${FILE_OF[kind]}`, kind) : [];
        if (!list || !this.counted(e, list)) return undefined;
        resources[kind] = list;
        versions[kind] = versionOf(list);
        if (e && versions[kind] !== e.version) return undefined;
      }
      const proxy: ProxySnapshot = { service: name, resources, versions };
      const vs = this.prev.manifest.variants?.[name];
      if (!vs) return proxy;
      const variants = new Map<string, ProxySnapshot>();
      for (const vkey of Object.keys(vs).sort()) {
        const ventries = vs[vkey]!;
        // A kind the variant's folder lacks is the service's (manifest.ts: variantKinds).
        const vresources = { ...resources };
        const vversions = { ...versions };
        for (const kind of PUSH_ORDER) {
          const e = ventries[keyOf(kind)];
          if (!e) continue;
          const list = this.file(`${name}/${variantDir(vkey)}/${FILE_OF[kind]}`, kind);
          if (!list || !this.counted(e, list)) return undefined;
          vresources[kind] = list;
          vversions[kind] = versionOf(list);
          if (vversions[kind] !== e.version) return undefined;
        }
        variants.set(vkey, { service: name, resources: vresources, versions: vversions, variant: vkey });
      }
      return variants.size ? { ...proxy, variants } : proxy;
    } catch {
      return undefined;
    }
  }

  /** A manifest entry's count against its file's list (no entry: a kind without a file, which is empty). */
  private counted(e: { resources: number } | undefined, list: readonly EncodedResource[]): boolean {
    return e ? e.resources === list.length : list.length === 0;
  }
}

/** One `meshc build`'s translation, reusing what the build directory's previous build translated where it can. */
export class BuildTranslateCache {
  stats: TranslateCacheStats = { translated: 0, reused: 0 };
  private record: Omit<CacheJson, "index" | "manifest"> | undefined;

  private constructor(
    private readonly outDir: string,
    private readonly previous: Previous | string,
  ) {}

  /** The previous build's manifest.json and encoded.json, when the record vouched for them (planBuild's `known`). */
  previousBuild(): PreviousBuild | undefined {
    if (typeof this.previous === "string") return undefined;
    const { manifest, index, manifestStat } = this.previous;
    return { manifest, index, manifestStat };
  }

  /** Reads the record kept for `outDir` (nothing is trusted yet: translate() checks it against the mesh). */
  static async open(outDir: string): Promise<BuildTranslateCache> {
    return new BuildTranslateCache(outDir, await readPrevious(outDir));
  }

  /**
   * `onProxy`: called with each proxy (translated or reused) as soon as it is final, in translation order; never for
   * a mesh with patches (mesh.patch() changes proxies after translation).
   */
  translate(ir: MeshIR, onProxy?: (proxy: ProxySnapshot) => void): TranslateResult {
    if (ir.patches?.length) {
      this.stats = { translated: 0, reused: 0, full: "the mesh has patches" };
      const r = translateMesh(ir);
      this.stats.translated = r.snapshot.proxies.size;
      return r;
    }
    const { duplicates, meshKey, inputsKey } = translationInputs(ir);
    let full: string | undefined = typeof this.previous === "string" ? this.previous : undefined;
    if (!full && (this.previous as Previous).cache.mesh !== ir.name) full = "record of another mesh";
    if (!full && duplicates) full = "duplicate service names";
    if (!full && (this.previous as Previous).cache.meshKey !== meshKey) full = "mesh-wide change";
    const prev = full ? undefined : (this.previous as Previous);
    const proxies = prev ? new PreviousProxies(prev) : undefined;
    const kept: CacheJson["proxies"] = {};
    let reused = 0;
    let translated = 0;
    const result = translateMesh(ir, {
      deps: new DependencyRecorder(),
      reuse: (svc) => {
        const k = prev?.cache.proxies[svc.name];
        if (!k || !Array.isArray(k.reads) || k.key !== inputsKey(k.reads)) return undefined;
        const p = proxies!.proxy(svc.name);
        if (!p) return undefined;
        kept[svc.name] = { key: k.key, reads: k.reads };
        reused++;
        onProxy?.(p);
        return p;
      },
      translated: (svc, proxy, reads) => {
        translated++;
        const sorted = [...reads].sort();
        kept[svc.name] = { key: inputsKey(sorted), reads: sorted };
        onProxy?.(proxy);
      },
    });
    this.stats = { translated, reused, ...(full ? { full } : {}) };
    this.record = result.issues.length === 0 && !duplicates ? { format: TRANSLATE_CACHE_FORMAT, translator: translatorIdentity(), mesh: ir.name, meshKey, proxies: kept } : undefined;
    return result;
  }

  /**
   * After the build directory was written (its encoded.json and manifest.json texts): records this translation
   * for the next build into it. Without a record to keep (patches, issues), empties the one there was.
   */
  async save(files: { index: string; manifest: string }): Promise<void> {
    const path = translateCachePath(this.outDir);
    await mkdir(dirname(path), { recursive: true });
    if (!this.record) {
      await writeFileAtomic(path, "{}\n");
    } else {
      const json: CacheJson = { ...this.record, index: sha(files.index), manifest: sha(files.manifest) };
      await writeFileAtomic(path, `${JSON.stringify(json)}\n`);
    }
    // One record per --out path: keep only the most recent ones (translate-cache-prune.ts).
    await pruneTranslateRecords(dirname(path), path);
  }
}
