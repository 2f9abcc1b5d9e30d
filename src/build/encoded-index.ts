// encoded.json in a build directory: the protobuf encoding of every distinct resource, written by `meshc build` (and
// by `meshc serve`'s warm-start state) so that reading the directory back (`meshc serve <dir>`, the warm start,
// `meshc diff`) need not parse, check and encode 7,000 resources through the strict codec again (issue 12: that was
// ~7 s of CPU for the 1,000-service mesh, where go-control-plane only unmarshals).
//
// It is a cache, never a source of truth: for each file it records the SHA-256 of the file's exact text and which
// resources the file holds. A reader (src/backends/envoy/build-dir-index.ts) takes a file's resources from it only
// when the file's digest matches and the file's own version_info equals the version of those resources (a content
// hash over their names and bytes); any other file, e.g. one a person edited, goes through full validation, and a
// proxy with such a file gets the full consistency check. The index is rendered from the snapshot the compiler
// checked, so what it holds passed the same codec and rules.
//
// Layout (one line of JSON, deterministic):
//   {"format":1,"files":{"<service>/<kind>.json":["<sha256 base64 of the text>",[i, …]], …},
//    "resources":[["<kind>","<name>","<base64 of the bytes>"], …]}
// Resources are numbered in order of first appearance over the files in sorted order, each distinct one once.
import { sha256 } from "../snapshot/sha256.js";
import { PUSH_ORDER, type EncodedResource, type MeshSnapshot, type ResourceKind } from "../snapshot/types.js";
import { FILE_OF } from "./render.js";
import { variantDir } from "../snapshot/variants.js";

export const ENCODED_INDEX = "encoded.json";
export const ENCODED_INDEX_FORMAT = 1;

export interface EncodedIndexJson {
  format: number;
  files: Record<string, [string, number[]]>;
  resources: [ResourceKind, string, string][];
}

/** The digest the index records for a file: SHA-256 of its UTF-8 text (given as text or as those bytes), base64. */
export function fileDigest(text: string | Uint8Array): string {
  return sha256(text, "base64");
}

/**
 * encoded.json for `snapshot`, given each file's digest (relative path -> fileDigest of its text). Files without a
 * digest are left out (a reader then validates them fully).
 */
export function renderEncodedIndex(snapshot: MeshSnapshot, digests: ReadonlyMap<string, string>): string {
  const numbers: Numbers = { byKey: new Map(), byObject: new Map() };
  const resources: EncodedIndexJson["resources"] = [];
  const files: EncodedIndexJson["files"] = {};
  for (const proxy of [...snapshot.proxies.keys()].sort()) {
    const p = snapshot.proxies.get(proxy)!;
    const kinds = PUSH_ORDER.filter((k) => digests.has(`${proxy}/${FILE_OF[k]}`)).sort((a, b) => (FILE_OF[a] < FILE_OF[b] ? -1 : 1));
    for (const kind of kinds) {
      const rel = `${proxy}/${FILE_OF[kind]}`;
      files[rel] = [digests.get(rel)!, p.resources[kind].map((r) => numberOf(numbers, resources, kind, r))];
    }
    // Snapshot variants: their folders hold the files that differ from the service's.
    for (const vkey of [...(p.variants?.keys() ?? [])].sort()) {
      const v = p.variants!.get(vkey)!;
      for (const kind of [...PUSH_ORDER].sort((a, b) => (FILE_OF[a] < FILE_OF[b] ? -1 : 1))) {
        const rel = `${proxy}/${variantDir(vkey)}/${FILE_OF[kind]}`;
        const digest = digests.get(rel);
        if (digest !== undefined) files[rel] = [digest, v.resources[kind].map((r) => numberOf(numbers, resources, kind, r))];
      }
    }
  }
  return `${JSON.stringify({ format: ENCODED_INDEX_FORMAT, files, resources })}\n`;
}

// The base64 text a resource was read from (a rebuild's reused proxies, src/build/translate-cache.ts): written back
// as it was read instead of encoding the same bytes again.
const base64Of = new WeakMap<EncodedResource, string>();

/** Records that `text` is the base64 of `r.bytes` (the caller decoded the one from the other). */
export function rememberBase64(r: EncodedResource, text: string): void {
  base64Of.set(r, text);
}

// Resources are numbered by (kind, name, hash); the same object (the usual case: shared by every proxy that has it)
// is found by identity first, without building that key again for each of the ~100,000 references.
interface Numbers {
  byKey: Map<string, number>;
  byObject: Map<EncodedResource, number>;
}

function numberOf(numbers: Numbers, resources: EncodedIndexJson["resources"], kind: ResourceKind, r: EncodedResource): number {
  let n = numbers.byObject.get(r);
  if (n !== undefined) return n;
  const key = `${kind}\0${r.name}\0${r.hash}`;
  n = numbers.byKey.get(key);
  if (n === undefined) {
    n = resources.length;
    numbers.byKey.set(key, n);
    resources.push([kind, r.name, base64Of.get(r) ?? Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength).toString("base64")]);
  }
  numbers.byObject.set(r, n);
  return n;
}

/** Adds encoded.json to a rendered build (relative path -> text; every file of the build is in `files`). */
export function withEncodedIndex(files: Map<string, string>, snapshot: MeshSnapshot): Map<string, string> {
  const digests = new Map<string, string>();
  for (const [rel, text] of files) if (rel.includes("/")) digests.set(rel, fileDigest(text));
  files.set(ENCODED_INDEX, renderEncodedIndex(snapshot, digests));
  return files;
}
