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
import { readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { FILE_OF, MANIFEST } from "../../build/render.js";
import { parseCertificatePlan, type CertificatePlan } from "../../pki/plan.js";
import { contentHash, makeProxySnapshot } from "../../snapshot/build.js";
import { PUSH_ORDER, TYPE_URLS, type EncodedResource, type MeshSnapshot, type ResourceKind } from "../../snapshot/types.js";
import { encodeJson, type EncodeResult } from "./api/codec.js";
import { formatIssue } from "./api/issues.js";
import type { Json } from "./api/json.js";
import { readEncodedIndex } from "./build-dir-index.js";
import { checkConsistency } from "./consistency.js";
import { RESOURCE_TYPES, rememberCanonical, resourceLabel } from "./encode.js";
import { encodeRouteTableJson, type HostCache } from "./route-table-json.js";
import { variantDir } from "../../snapshot/variants.js";

/** Manifest "variants": service -> variant key -> the kinds its folder holds (unknown shapes read as none). */
function manifestVariants(text: string): Map<string, [string, ResourceKind[]][]> {
  const out = new Map<string, [string, ResourceKind[]][]>();
  let m: { variants?: Record<string, Record<string, Record<string, unknown>>> };
  try {
    m = JSON.parse(text);
  } catch {
    return out; // reported with the certificates below
  }
  if (!m || typeof m.variants !== "object" || m.variants === null) return out;
  const byFile = new Map(PUSH_ORDER.map((k) => [FILE_OF[k].replace(".json", ""), k] as const));
  for (const service of Object.keys(m.variants).sort()) {
    const list: [string, ResourceKind[]][] = [];
    for (const key of Object.keys(m.variants[service] ?? {}).sort()) {
      if (!/^(instance|locality):[^/]+$/.test(key) || /:\.\.?$/.test(key)) continue;
      const kinds = PUSH_ORDER.filter((k) => Object.keys(m.variants![service]![key] ?? {}).some((f) => byFile.get(f) === k));
      list.push([key, kinds]);
    }
    out.set(service, list);
  }
  return out;
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
    let services: string[];
    let manifestText: string;
    try {
      services = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
      manifestText = await readFile(join(dir, MANIFEST), "utf8");
    } catch (err) {
      return { ok: false, problems: [{ file: dir, message: `not a meshc build directory: ${(err as Error).message}` }] };
    }
    // Snapshot variants (src/snapshot/variants.ts) are listed in the manifest; a variant's folder holds only the
    // files that differ from its service's, the rest is the service's.
    const listed = manifestVariants(manifestText);
    const units: { service: string; variant?: string; kinds: ResourceKind[] }[] = [];
    for (const service of services) {
      units.push({ service, kinds: PUSH_ORDER });
      for (const [variant, kinds] of listed.get(service) ?? []) units.push({ service, variant, kinds });
    }
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

    const problems: BuildDirProblem[] = [];
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
    const files: string[] = [join(dir, MANIFEST)];
    let slot = 0;
    for (const unit of units) {
      const { service, variant } = unit;
      // Yield now and then, so a cancel (SIGTERM) and the ADS server's own work are not held up by a long load.
      if (unit !== units[0] && slot % 400 === 0) {
        await new Promise((r) => setImmediate(r));
        if (signal?.aborted) return cancelled();
      }
      const base = variant !== undefined ? proxies.get(service) : undefined;
      if (variant !== undefined && !base) {
        slot += unit.kinds.length;
        continue; // the service's own folder had problems (reported)
      }
      const byKind: Partial<Record<ResourceKind, EncodedResource[]>> = base ? { ...base.resources } : {};
      let allIndexed = index !== undefined;
      for (const kind of unit.kinds) {
        const { file, rel } = slots[slot]!;
        const text = texts[slot++];
        if (text === undefined) {
          if (kind !== "secret" || variant !== undefined) problems.push({ file, message: "missing" });
          continue;
        }
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
        else proxies.set(service, { ...base!, variants: new Map([...(base!.variants ?? []), [variant, { ...proxy, variant }]]) });
      } catch (err) {
        problems.push({ file: folder, message: (err as Error).message });
      }
    }
    // The certificate plan (meshes with mTLS): what `meshc serve --ca` issues for this build.
    let certificates: CertificatePlan | undefined;
    try {
      const manifest = JSON.parse(manifestText) as { certificates?: unknown };
      if (manifest.certificates !== undefined) {
        const r = parseCertificatePlan(manifest.certificates);
        if ("problems" in r) for (const message of r.problems) problems.push({ file: join(dir, MANIFEST), message });
        else {
          certificates = r.plan;
          for (const name of Object.keys(r.plan.identities)) {
            if (!proxies.has(name)) problems.push({ file: join(dir, MANIFEST), message: `certificates.identities names ${JSON.stringify(name)}, which has no directory here` });
          }
        }
      }
    } catch (err) {
      problems.push({ file: join(dir, MANIFEST), message: `invalid JSON: ${(err as Error).message}` });
    }
    if (problems.length) return { ok: false, problems, stats };
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
      problems.push({ file, message: `invalid JSON: ${(err as Error).message}` });
      return entry;
    }
    if (doc.type_url !== TYPE_URLS[kind] || !Array.isArray(doc.resources)) {
      problems.push({ file, message: `expected a DiscoveryResponse with type_url ${TYPE_URLS[kind]} and a resources list` });
      return entry;
    }
    doc.resources.forEach((raw: Record<string, Json>, i: number) => {
      const { "@type": url, ...json } = raw ?? {};
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
    });
    return entry;
  }
}

/**
 * Reads every path (undefined where it cannot be read): synchronously, READ_BATCH files at a time, yielding to the
 * event loop between batches (streams keep being served, a cancel is seen). A build directory's files are small and
 * were just written (page cache): fs/promises' readFile costs four thread-pool round trips per file (open, fstat,
 * read, close), which for 4,000 files measured 0.26-0.42 s of CPU against 0.06-0.10 s for readFileSync (issue 12).
 */
async function readAll(paths: string[], signal?: AbortSignal): Promise<(string | undefined)[]> {
  const out: (string | undefined)[] = new Array(paths.length);
  for (let i = 0; i < paths.length && !signal?.aborted; i++) {
    if (i > 0 && i % READ_BATCH === 0) await new Promise((r) => setImmediate(r));
    try {
      out[i] = readFileSync(paths[i]!, "utf8");
    } catch {
      out[i] = undefined;
    }
  }
  return out;
}
