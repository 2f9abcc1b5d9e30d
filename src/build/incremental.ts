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
import { discoveryResponseFrame, FILE_OF, MANIFEST, manifestOf, renderDiscoveryResponseBytes, stableJson, type Manifest } from "./render.js";

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
  /** An equal file of the previous build (`digest`: what its index recorded for it). */
  link(rel: string, from: string, digest?: string): void;
}

/**
 * Every file of the build, rendered unless an equal file can be taken from the build already in `outDir`. With a
 * `sink`, each file and link is also handed to it as soon as it is decided (the plan still lists them all).
 */
export async function planBuild(outDir: string, meshName: string, snapshot: MeshSnapshot, certificates?: CertificatePlan, sink?: BuildSink, known?: PreviousBuild): Promise<BuildPlan> {
  const manifest = manifestOf(meshName, snapshot, certificates);
  const old = (known && (await fromKnown(outDir, known))) ?? (await previous(outDir));
  const files = new Map<string, string | Buffer>();
  const reuse = new Map<string, string>();
  const candidates: { rel: string; abs: string }[] = [];
  for (const [proxy, entries] of Object.entries(manifest.proxies)) {
    for (const [key, entry] of Object.entries(entries)) {
      const rel = `${proxy}/${key}.json`;
      if (entry && old?.manifest.proxies[proxy]?.[key as keyof typeof entries]?.version === entry.version && entry.version !== "" && old.digests.has(rel)) {
        candidates.push({ rel, abs: join(outDir, rel) });
      }
    }
  }
  // Snapshot variants' files, the same way (their folder and key name them).
  for (const [proxy, variants] of Object.entries(manifest.variants ?? {})) {
    for (const [vkey, entries] of Object.entries(variants)) {
      for (const [key, entry] of Object.entries(entries)) {
        const rel = `${proxy}/${variantDir(vkey)}/${key}.json`;
        const before = old?.manifest.variants?.[proxy]?.[vkey]?.[key as keyof typeof entries];
        if (entry && before?.version === entry.version && entry.version !== "" && old!.digests.has(rel)) candidates.push({ rel, abs: join(outDir, rel) });
      }
    }
  }
  // Trust only files that are no newer than the manifest they were written with.
  // (Synchronous stats: 7,000 promise round trips cost more main-thread time than the calls themselves.)
  const ok = candidates.map((c) => {
    try {
      const s = statSync(c.abs, { bigint: true, throwIfNoEntry: false });
      return s !== undefined && s.isFile() && s.size > 0n && s.mtimeNs <= old!.mtimeNs;
    } catch {
      return false;
    }
  });
  candidates.forEach((c, i) => {
    if (!ok[i]) return;
    reuse.set(c.rel, c.abs);
    sink?.link(c.rel, c.abs, old!.digests.get(c.rel));
  });
  const digests = new Map<string, string>();
  const alloc = sink?.alloc?.bind(sink);
  let rendered = 0;
  // With a sink that assembles files (the build writer's thread), each distinct resource's rendering is copied once
  // into its shared memory and every file is sent as references to those; the thread also digests the files.
  const assembled = alloc && sink?.writeResponse && sink.digests ? sink : undefined;
  // Route tables and assignments as segments: their shared virtual hosts and locality groups copied once each.
  const segments = assembled ? new SegmentRenderer(alloc!) : undefined;
  const render = (rel: string, p: ProxySnapshot, kind: ResourceKind) => {
    rendered++;
    if (assembled) {
      const { head, tail } = discoveryResponseFrame(p, kind);
      assembled.writeResponse!(rel, head, p.resources[kind].map((r) => segments!.resource(kind, r)), tail);
      return;
    }
    const text = renderDiscoveryResponseBytes(p, kind, alloc);
    files.set(rel, text);
    sink?.write(rel, text);
    digests.set(rel, fileDigest(text));
  };
  for (const name of Object.keys(manifest.proxies)) {
    const p = snapshot.proxies.get(name)!;
    for (const key of Object.keys(manifest.proxies[name]!)) {
      const rel = `${name}/${key}.json`;
      if (reuse.has(rel)) digests.set(rel, old!.digests.get(rel)!);
      else render(rel, p, KIND_OF[key]!);
    }
  }
  // Snapshot variants (their folders hold only the files that differ from the service's).
  for (const [name, variants] of Object.entries(manifest.variants ?? {})) {
    const p = snapshot.proxies.get(name)!;
    for (const [vkey, entries] of Object.entries(variants)) {
      const v = p.variants!.get(vkey)!;
      for (const key of Object.keys(entries)) {
        const rel = `${name}/${variantDir(vkey)}/${key}.json`;
        if (reuse.has(rel)) digests.set(rel, old!.digests.get(rel)!);
        else render(rel, v, KIND_OF[key]!);
      }
    }
  }
  files.set(MANIFEST, stableJson(manifest));
  if (assembled) for (const [rel, d] of await assembled.digests!()) digests.set(rel, d);
  files.set(ENCODED_INDEX, renderEncodedIndex(snapshot, digests));
  sink?.write(MANIFEST, files.get(MANIFEST)!);
  sink?.write(ENCODED_INDEX, files.get(ENCODED_INDEX)!);
  return { files, reuse, rendered };
}

/**
 * The previous build as the translate cache already read it (BuildTranslateCache.previousBuild): ~8 MiB of
 * encoded.json not read and parsed a second time. Used only while manifest.json is the very file that was read
 * (same inode, size and mtime); otherwise planBuild reads the directory again.
 */
async function fromKnown(outDir: string, known: PreviousBuild): Promise<{ manifest: Manifest; mtimeNs: bigint; digests: Map<string, string> } | undefined> {
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

async function previous(outDir: string): Promise<{ manifest: Manifest; mtimeNs: bigint; digests: Map<string, string> } | undefined> {
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
