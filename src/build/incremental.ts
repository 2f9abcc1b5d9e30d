// `meshc build` into a directory that already holds a previous build: render only the files whose content changed,
// and link the others from the previous tree into the new one instead of writing them again.
// A file's content is determined by its proxy's resources of that kind, and the manifest's version for it is a
// content hash over exactly those (name, hash) pairs, so an equal version in the old and new manifest means an equal
// file. A file changed by hand after that build is not trusted: only files no newer than the old manifest.json (and
// present, non-empty) are linked. Everything still goes through writeBuildDir's fresh directory and atomic swap;
// links are made inside the new tree, so removing the old tree afterwards leaves them intact. encoded.json (the
// encoded resources, ./encoded-index.ts) is written every time; a linked file keeps the digest the previous index
// recorded for it (a file the previous index does not cover is rendered again).
import { statSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { MeshSnapshot, ProxySnapshot, ResourceKind } from "../snapshot/types.js";
import type { CertificatePlan } from "../pki/plan.js";
import { ENCODED_INDEX, fileDigest, renderEncodedIndex } from "./encoded-index.js";
import { variantDir } from "../snapshot/variants.js";
import { SegmentRenderer } from "./render-segments.js";
import type { PreviousBuild } from "./translate-cache.js";
import { discoveryResponseFrame, FILE_OF, MANIFEST, manifestEntriesOf, manifestOf, renderDiscoveryResponseBytes, stableJson, type Manifest, type ManifestEntry } from "./render.js";

export interface BuildPlan {
  /**
   * Relative path -> content: files to write (proxies' files as UTF-8 bytes, manifest.json and encoded.json as text).
   * With a sink that assembles files itself (BuildSink.writeResponse), only manifest.json and encoded.json.
   */
  files: Map<string, string | Buffer>;
  /** How many files were rendered (not linked), whoever assembled them. */
  rendered: number;
  /** Relative path -> absolute path of the equal file in the previous build, to link. */
  reuse: Map<string, string>;
}

const KIND_OF: Record<string, ResourceKind> = Object.fromEntries(Object.entries(FILE_OF).map(([k, f]) => [f.replace(".json", ""), k as ResourceKind]));

/** Where planBuild hands each file as soon as it is decided (a BuildDirWriter, ./write.ts): rendering and writing overlap. */
export interface BuildSink {
  write(rel: string, content: string | Uint8Array): void;
  /** Memory for a file's bytes (rendered straight into it). */
  alloc?(size: number): Buffer;
  /** With alloc: a DiscoveryResponse file as its frame and the resources' renderings (in alloc'ed memory), assembled,
   * written and digested by the sink (BuildDirWriter.writeResponse), whose digests() then gives the digests. */
  writeResponse?(rel: string, head: string, resources: readonly (Buffer | readonly Buffer[])[], tail: string): void;
  digests?(): Promise<Map<string, string>>;
  /**
   * An equal file of the previous build (`digest`: what its index recorded for it; `vetted`: its inode and the mtime
   * it must not exceed, as the planner checked them: a file that changed since is left out and listed by stale()).
   */
  link(rel: string, from: string, digest?: string, vetted?: { ino: bigint; notAfter: bigint }): void;
  /** After digests(): the linked files left out because they changed after they were vetted. */
  stale?(): readonly string[];
}

/**
 * Every file of the build, rendered unless an equal file can be taken from the build already in `outDir`. With a
 * `sink`, each file and link is also handed to it as soon as it is decided (the plan still lists them all).
 */
export async function planBuild(outDir: string, meshName: string, snapshot: MeshSnapshot, certificates?: CertificatePlan, sink?: BuildSink, known?: PreviousBuild): Promise<BuildPlan> {
  return (await BuildPlanner.start(outDir, sink, known)).finish(meshName, snapshot, certificates);
}

type Previous = { manifest: Manifest; mtimeNs: bigint; digests: Map<string, string> };

/**
 * planBuild one proxy at a time: `meshc build` hands each proxy to proxy() as soon as it is translated, so its files
 * are rendered and written while the next proxies are translated (and while the type check finishes), instead of
 * all after the compile. finish() takes the whole snapshot: a proxy not handed over (or handed over as another
 * object) is planned then, and the manifest and encoded.json are written last.
 */
export class BuildPlanner {
  private readonly files = new Map<string, string | Buffer>();
  private readonly reuse = new Map<string, string>();
  private readonly digests = new Map<string, string>();
  /** Each planned proxy, by name, as it was planned. */
  private readonly planned = new Map<string, ProxySnapshot>();
  /** Each linked file's proxy (or variant) and kind, to render it if the link is refused (stale()). */
  private readonly linked = new Map<string, { p: ProxySnapshot; kind: ResourceKind }>();
  private readonly assembled: BuildSink | undefined;
  private readonly segments: SegmentRenderer | undefined;
  private rendered = 0;
  private failure: { err: unknown } | undefined;

  private constructor(
    private readonly outDir: string,
    private readonly old: Previous | undefined,
    private readonly sink: BuildSink | undefined,
  ) {
    const alloc = sink?.alloc?.bind(sink);
    // With a sink that assembles files (the build writer's thread), each distinct resource's rendering is copied once
    // into its shared memory and every file is sent as references to those; the thread also digests the files.
    this.assembled = alloc && sink?.writeResponse && sink.digests ? sink : undefined;
    // Route tables and assignments as segments: their shared virtual hosts and locality groups copied once each.
    this.segments = this.assembled ? new SegmentRenderer(alloc!) : undefined;
  }

  /** Reads what the build in `outDir` left (`known`: as the translate cache already read it). */
  static async start(outDir: string, sink?: BuildSink, known?: PreviousBuild): Promise<BuildPlanner> {
    const old = (known && (await fromKnown(outDir, known))) ?? (await previous(outDir));
    return new BuildPlanner(outDir, old, sink);
  }

  /**
   * Plans `p`'s files and its variants': each linked when equal to the previous build's, else rendered. Called from
   * inside the translation, so it does not throw: a failure (the sink refusing a path) is thrown by finish().
   */
  proxy(p: ProxySnapshot): void {
    if (this.failure !== undefined) return;
    try {
      this.plan(p);
    } catch (err) {
      this.failure = { err };
    }
  }

  private plan(p: ProxySnapshot): void {
    const name = p.service;
    this.planned.set(name, p);
    const { entries, variants } = manifestEntriesOf(p);
    const files: { rel: string; p: ProxySnapshot; key: string; entry: ManifestEntry | undefined; before: ManifestEntry | undefined }[] = [];
    for (const [key, entry] of Object.entries(entries)) {
      files.push({ rel: `${name}/${key}.json`, p, key, entry, before: this.old?.manifest.proxies[name]?.[key as keyof typeof entries] });
    }
    // Snapshot variants' files, the same way (their folder and key name them; they hold only the files that differ
    // from the service's).
    for (const [vkey, ventries] of variants) {
      const v = p.variants!.get(vkey)!;
      for (const [key, entry] of Object.entries(ventries)) {
        files.push({ rel: `${name}/${variantDir(vkey)}/${key}.json`, p: v, key, entry, before: this.old?.manifest.variants?.[name]?.[vkey]?.[key as keyof typeof ventries] });
      }
    }
    for (const f of files) {
      const digest = this.old && f.entry && f.before?.version === f.entry.version && f.entry.version !== "" ? this.old.digests.get(f.rel) : undefined;
      const ino = digest !== undefined ? this.linkable(f.rel) : undefined;
      if (ino !== undefined) {
        const abs = join(this.outDir, f.rel);
        this.reuse.set(f.rel, abs);
        this.linked.set(f.rel, { p: f.p, kind: KIND_OF[f.key]! });
        this.digests.set(f.rel, digest!);
        // The writer links it later (after the type check, for the last batch): it checks that the file is still
        // the one vetted here, and leaves it to be rendered if not (finish()).
        this.sink?.link(f.rel, abs, digest, { ino, notAfter: this.old!.mtimeNs });
      } else this.render(f.rel, f.p, KIND_OF[f.key]!);
    }
  }

  /**
   * The inode of the previous build's file at `rel` if it can be trusted: present, non-empty and no newer than the
   * manifest it was written with. (Synchronous stats: 7,000 promise round trips cost more main-thread time than the
   * calls.)
   */
  private linkable(rel: string): bigint | undefined {
    try {
      const s = statSync(join(this.outDir, rel), { bigint: true, throwIfNoEntry: false });
      return s !== undefined && s.isFile() && s.size > 0n && s.mtimeNs <= this.old!.mtimeNs ? s.ino : undefined;
    } catch {
      return undefined;
    }
  }

  private render(rel: string, p: ProxySnapshot, kind: ResourceKind): void {
    this.rendered++;
    if (this.assembled) {
      const { head, tail } = discoveryResponseFrame(p, kind);
      this.assembled.writeResponse!(rel, head, p.resources[kind].map((r) => this.segments!.resource(kind, r)), tail);
      return;
    }
    const text = renderDiscoveryResponseBytes(p, kind, this.sink?.alloc?.bind(this.sink));
    this.files.set(rel, text);
    this.sink?.write(rel, text);
    this.digests.set(rel, fileDigest(text));
  }

  /**
   * The snapshot's proxies not planned yet (or planned as another object) planned now, then manifest.json and
   * encoded.json. A proxy planned earlier must still be the snapshot's: its files are already with the sink.
   */
  async finish(meshName: string, snapshot: MeshSnapshot, certificates?: CertificatePlan): Promise<BuildPlan> {
    if (this.failure !== undefined) throw this.failure.err;
    for (const name of this.planned.keys()) {
      if (!snapshot.proxies.has(name)) throw new Error(`meshc bug: proxy ${name} was planned but is not in the snapshot`);
    }
    for (const name of [...snapshot.proxies.keys()].sort()) {
      const p = snapshot.proxies.get(name)!;
      if (this.planned.get(name) !== p) {
        if (this.planned.has(name)) throw new Error(`meshc bug: proxy ${name} changed after it was planned`);
        this.plan(p);
      }
    }
    const manifest = manifestOf(meshName, snapshot, certificates);
    this.files.set(MANIFEST, stableJson(manifest));
    if (this.assembled) {
      // Files of the previous build that changed after they were vetted (another build swapped in, a hand edit in
      // place): the writer vets the linked files again at each digests(), and these are rendered after all. Each
      // file is rendered at most once, so this ends.
      for (;;) {
        const got = await this.assembled.digests!();
        for (const [rel, d] of got) this.digests.set(rel, d);
        const stale = this.assembled.stale?.() ?? [];
        if (stale.length === 0) break;
        for (const rel of stale) {
          const { p, kind } = this.linked.get(rel)!;
          this.linked.delete(rel);
          this.reuse.delete(rel);
          this.digests.delete(rel);
          this.render(rel, p, kind);
        }
      }
    }
    this.files.set(ENCODED_INDEX, renderEncodedIndex(snapshot, this.digests));
    this.sink?.write(MANIFEST, this.files.get(MANIFEST)!);
    this.sink?.write(ENCODED_INDEX, this.files.get(ENCODED_INDEX)!);
    return { files: this.files, reuse: this.reuse, rendered: this.rendered };
  }
}

/**
 * The previous build as the translate cache already read it (BuildTranslateCache.previousBuild): ~8 MiB of
 * encoded.json not read and parsed a second time. Used only while manifest.json is the very file that was read
 * (same inode, size and mtime); otherwise planBuild reads the directory again.
 */
async function fromKnown(outDir: string, known: PreviousBuild): Promise<Previous | undefined> {
  try {
    const s = await stat(join(outDir, MANIFEST), { bigint: true });
    const k = known.manifestStat;
    if (s.ino !== k.ino || s.dev !== k.dev || s.size !== k.size || s.mtimeNs !== k.mtimeNs) return undefined;
    if (!known.manifest || typeof known.manifest.proxies !== "object" || known.manifest.proxies === null) return undefined;
    return { manifest: known.manifest, mtimeNs: s.mtimeNs, digests: digestsOf(known.index.files) };
  } catch {
    return undefined;
  }
}

async function previous(outDir: string): Promise<Previous | undefined> {
  try {
    const path = join(outDir, MANIFEST);
    const [text, s, index] = await Promise.all([readFile(path, "utf8"), stat(path, { bigint: true }), readFile(join(outDir, ENCODED_INDEX), "utf8").catch(() => undefined)]);
    const manifest = JSON.parse(text) as Manifest;
    if (!manifest || typeof manifest.proxies !== "object" || manifest.proxies === null) return undefined;
    return { manifest, mtimeNs: s.mtimeNs, digests: previousDigests(index) };
  } catch {
    return undefined;
  }
}

/** The file digests the previous build's encoded.json recorded (none when it is missing or unreadable). */
function previousDigests(text: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (text === undefined) return out;
  try {
    return digestsOf((JSON.parse(text) as { files?: unknown }).files);
  } catch {
    // An unreadable index: every file is rendered again.
  }
  return out;
}

/** encoded.json's "files" as relative path -> recorded digest (entries of another shape left out). */
function digestsOf(files: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (files && typeof files === "object") {
    for (const [rel, entry] of Object.entries(files as Record<string, unknown>)) {
      if (Array.isArray(entry) && typeof entry[0] === "string") out.set(rel, entry[0]);
    }
  }
  return out;
}
