// The warm-start state of `meshc serve <mesh.ts>`: the last good snapshot, kept on disk (default `.meshc/` beside the
// mesh, --state-dir) so that a restarted server answers reconnecting proxies at once instead of after a compile.
// Layout: <dir>/snapshot/ is a build directory (the same files `meshc build` writes, read back through the same
// strict codec and (validate.rules) by readBuildDir), and <dir>/state.json says which mesh it was compiled from, when,
// and the digest of the snapshot's manifest (a snapshot from another mesh, or one torn by a crash between the two
// writes, is not served). Only what `meshc build` would write goes here: the snapshot carries no secrets, and
// nothing secret may be added to it (with --ca, serve stores the snapshot from before certificates were attached,
// plus the manifest's certificate plan, and issues fresh leaves on the next start).
// With a registry (issue 16), the snapshot is stored as compiled (static instances only), with <dir>/registry-mesh.json
// beside it (the compiled mesh's IR: its discovery setting and services, which say how entries become endpoints; its
// digest is in state.json), and <dir>/registry.json keeps the registry entries in use (addresses, ports, labels,
// localities: no secrets). A restart overlays the stored entries on the stored snapshot and follows the stored
// discovery setting until mesh.ts compiles (src/serve/serve.ts): a server restarted while the registry does not
// answer serves them as the last known ones until its first list, and one whose mesh.ts no longer compiles still
// applies the registry's changes. registry.json is rewritten on its own (registry changes never rewrite the
// snapshot), streamed in chunks that yield to the event loop, and bounded (MAX_REGISTRY_STATE_BYTES).
import { createHash } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { tempPathFor } from "../runtime/atomic-file.js";
import type { MeshIR } from "../ir/types.js";
import type { RegistryEntry } from "../discovery/layout.js";
import { readBuildDir } from "../backends/envoy/read-build.js";
import { jsonError, MAX_BUILD_FILE_BYTES } from "../backends/envoy/build-dir-reader.js";
import { readBounded } from "../runtime/bounded-read.js";
import { planBuild } from "../build/incremental.js";
import { MANIFEST } from "../build/render.js";
import { writeBuildDir, writeFileAtomic } from "../build/write.js";
import type { MeshSnapshot } from "../snapshot/types.js";
import type { CertificatePlan } from "../pki/plan.js";

const FORMAT = 1;

interface StateFile {
  format: number;
  /** Absolute path of the mesh entry the snapshot was compiled from. */
  source: string;
  compiledAt: string;
  /** sha256 of snapshot/manifest.json. */
  manifest: string;
  /** sha256 of registry-mesh.json, when the mesh has a registry (`discovery`). */
  registryMesh?: string;
}

export type StoredSnapshot =
  | { snapshot: MeshSnapshot; compiledAt: string; certificates?: CertificatePlan; registryMesh?: MeshIR; registryMeshProblem?: string }
  | { problem: string }
  | undefined;

const REGISTRY_MESH = "registry-mesh.json";

const sha256 = (s: string | Buffer) => createHash("sha256").update(s).digest("hex");

/** Stores a snapshot as the last good one for `source`. Throws on I/O errors (the caller logs them). */
/**
 * Stores a snapshot as the last good one for `source`. Throws on I/O errors (the caller logs them). `registryMesh`:
 * the compiled IR of a mesh with `discovery` (what a warm start needs to overlay the stored registry entries and
 * follow the registry before mesh.ts compiles); the snapshot itself is stored without registry endpoints.
 */
export async function saveState(dir: string, source: string, meshName: string, snapshot: MeshSnapshot, compiledAt: string, certificates?: CertificatePlan, registryMesh?: MeshIR): Promise<void> {
  // As `meshc build` writes it (src/build/incremental.ts): only files whose version changed since the stored snapshot
  // are rendered, the others linked, so storing after a one-line edit does not render 4,000 files on the event loop
  // that is pushing the change; with encoded.json, so the next start reads it back without re-encoding it.
  await mkdir(dir, { recursive: true });
  const plan = await planBuild(join(dir, "snapshot"), meshName, snapshot, certificates);
  await writeBuildDir(join(dir, "snapshot"), plan.files, plan.reuse);
  let irDigest: string | undefined;
  if (registryMesh?.discovery) {
    const text = `${JSON.stringify(registryMesh)}\n`;
    irDigest = sha256(text);
    await writeFileAtomic(join(dir, REGISTRY_MESH), text);
  } else {
    await rm(join(dir, REGISTRY_MESH), { force: true });
  }
  const state: StateFile = { format: FORMAT, source, compiledAt, manifest: sha256(plan.files.get(MANIFEST)!), ...(irDigest && { registryMesh: irDigest }) };
  await writeFileAtomic(join(dir, "state.json"), `${JSON.stringify(state, null, 2)}\n`);
}

/** The stored snapshot for `source`: undefined when there is none, a problem when it cannot be served. */
export async function loadState(dir: string, source: string): Promise<StoredSnapshot> {
  // Read like the snapshot folder's files (a regular file, bounded, never blocking on a FIFO or a device).
  const read = await readBounded(join(dir, "state.json"), 1 << 20);
  if (!read.ok) return read.missing ? undefined : { problem: `${join(dir, "state.json")}: ${read.message}` };
  const text = read.bytes.toString("utf8");
  let state: Partial<StateFile>;
  try {
    state = JSON.parse(text) as Partial<StateFile>;
  } catch (e) {
    return { problem: `${join(dir, "state.json")}: ${jsonError(e)}` };
  }
  if (state.format !== FORMAT || typeof state.compiledAt !== "string" || typeof state.manifest !== "string" || typeof state.source !== "string") {
    return { problem: `${join(dir, "state.json")}: unknown format` };
  }
  if (state.source !== source) return { problem: `the stored snapshot was compiled from ${state.source}, not ${source}` };
  const snapDir = join(dir, "snapshot");
  const m = await readBounded(join(snapDir, MANIFEST), MAX_BUILD_FILE_BYTES);
  const manifest = m.ok ? m.bytes : undefined;
  if (!manifest || sha256(manifest) !== state.manifest) return { problem: `${snapDir} does not match state.json (torn write?)` };
  const r = await readBuildDir(snapDir);
  if (!r.ok) return { problem: r.problems.map((p) => `${p.file}: ${p.message}`).join("; ") };
  const ir = typeof state.registryMesh === "string" ? await loadRegistryMesh(dir, state.registryMesh) : undefined;
  return { snapshot: r.snapshot, compiledAt: state.compiledAt, ...(r.certificates ? { certificates: r.certificates } : {}), ...(ir && "ir" in ir && { registryMesh: ir.ir }), ...(ir && "problem" in ir && { registryMeshProblem: ir.problem }) };
}

/** registry-mesh.json, when its digest is the one state.json recorded, with the little the registry feed relies on checked. */
async function loadRegistryMesh(dir: string, digest: string): Promise<{ ir: MeshIR } | { problem: string }> {
  const path = join(dir, REGISTRY_MESH);
  const read = await readBounded(path, MAX_BUILD_FILE_BYTES);
  if (!read.ok) return { problem: `${path}: ${read.message}` };
  if (sha256(read.bytes) !== digest) return { problem: `${path} does not match state.json (torn write?)` };
  let ir: Partial<MeshIR>;
  try {
    ir = JSON.parse(read.bytes.toString("utf8")) as Partial<MeshIR>;
  } catch (e) {
    return { problem: `${path}: ${jsonError(e)}` };
  }
  const d = ir.discovery;
  if (!Array.isArray(ir.services) || !d || d.kind !== "etcd" || typeof d.prefix !== "string" || !Array.isArray(d.endpoints)) return { problem: `${path}: unknown format` };
  return { ir: ir as MeshIR };
}

/** The registry entries kept for a warm start: each [key, value] in the layout of src/discovery/layout.ts. */
export interface StoredRegistry {
  prefix: string;
  savedAt: string;
  entries: [string, string][];
  /** Set when the entries in use did not all fit in MAX_REGISTRY_STATE_BYTES: how many there were. */
  truncatedFrom?: number;
}

/**
 * registry.json, format 2: one JSON object whose `entries` are [key, entry] pairs, the entry as a JSON object (not a
 * string holding JSON: its quotes are not escaped twice). Format 1 (values as strings) is read too.
 */
const REGISTRY_FORMAT = 2;

/**
 * The most registry.json may hold, written or read: the overlay's own bounds (100,000 entries in use of at most
 * 4 KiB, keys of at most ~1 KiB under a sane prefix). Entries beyond it are not stored (logged), never a larger file.
 */
export const MAX_REGISTRY_STATE_BYTES = 100_000 * (4096 + 1024);

/** Entries serialized per chunk; the event loop runs between chunks (a chunk of 4 KiB entries is ~1 MiB, ~1 ms). */
const REGISTRY_CHUNK = 256;

export interface SaveRegistryOptions {
  /** @default MAX_REGISTRY_STATE_BYTES */
  maxBytes?: number;
  /** Entries per chunk. @default 256 */
  chunk?: number;
}

/**
 * Writes registry.json through a temporary file and a rename, streamed: `entries` are serialized a chunk at a time,
 * each chunk written before the next is serialized, with the event loop free in between (a registry at the
 * overlay's limits is ~400 MB: serializing it at once blocked serve for seconds and doubled its memory). At most
 * `maxBytes`: the entries past it are left out (`truncatedFrom` says how many there were). The entries are read as
 * they are when called (the caller passes the entries themselves, which the overlay never modifies).
 */
export async function saveRegistryState(
  dir: string,
  source: string,
  registry: { prefix: string; savedAt: string; entries: readonly (readonly [string, RegistryEntry])[] },
  o: SaveRegistryOptions = {},
): Promise<{ bytes: number; entries: number; truncated: boolean }> {
  const maxBytes = o.maxBytes ?? MAX_REGISTRY_STATE_BYTES;
  const chunk = Math.max(1, o.chunk ?? REGISTRY_CHUNK);
  await mkdir(dir, { recursive: true });
  const target = join(dir, "registry.json");
  const tmp = tempPathFor(target);
  const head = `{"format":${REGISTRY_FORMAT},"source":${JSON.stringify(source)},"prefix":${JSON.stringify(registry.prefix)},"savedAt":${JSON.stringify(registry.savedAt)},"entries":[`;
  // The tail, with room kept for the truncation count (at most 21 characters) so the bound holds either way.
  const tail = (n?: number) => `]${n === undefined ? "" : `,"truncatedFrom":${n}`}}\n`;
  const reserve = Buffer.byteLength(tail(Number.MAX_SAFE_INTEGER));
  const f = await open(tmp, "wx");
  let bytes = 0;
  let written = 0;
  let truncated = false;
  try {
    const write = async (text: string) => {
      const b = Buffer.from(text);
      for (let off = 0; off < b.length; ) off += (await f.write(b, off, b.length - off)).bytesWritten;
      bytes += b.length;
    };
    await write(head);
    const all = registry.entries;
    for (let i = 0; i < all.length && !truncated; i += chunk) {
      let text = "";
      let size = 0;
      for (const [key, entry] of all.slice(i, i + chunk)) {
        const item = `${written === 0 ? "" : ","}${JSON.stringify([key, entry])}`;
        const n = Buffer.byteLength(item);
        if (bytes + size + n + reserve > maxBytes) {
          truncated = true;
          break;
        }
        text += item;
        size += n;
        written++;
      }
      await write(text);
      await new Promise((r) => setImmediate(r)); // let the event loop run between chunks
    }
    await write(tail(truncated ? all.length : undefined));
    await f.close();
    await rename(tmp, target);
  } catch (err) {
    await f.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  return { bytes, entries: written, truncated };
}

/**
 * How long after storing registry.json the next store may start, from its size and how long it took: at least 5 s,
 * 1 s more per 8 MiB (a registry at the overlay's limits, ~400 MB, is stored about once a minute), and at least 10
 * times the time the last store took. Shutdown stores the entries once more; a crash loses at most this much of
 * the registry's latest changes, which its first list after the restart brings back anyway.
 */
export function registryStoreIntervalMs(bytes: number, tookMs: number, minMs = 5_000): number {
  return Math.min(Math.max(minMs + (bytes / (8 << 20)) * 1000, 10 * tookMs), Math.max(minMs, 300_000));
}

/** The stored registry entries for `source`: undefined when there are none, a problem when they cannot be used. */
export async function loadRegistryState(dir: string, source: string): Promise<StoredRegistry | { problem: string } | undefined> {
  const path = join(dir, "registry.json");
  const read = await readBounded(path, MAX_REGISTRY_STATE_BYTES);
  if (!read.ok) return read.missing ? undefined : { problem: `${path}: ${read.message}` };
  let f: { format?: unknown; source?: unknown; prefix?: unknown; savedAt?: unknown; entries?: unknown; truncatedFrom?: unknown };
  try {
    f = JSON.parse(read.bytes.toString("utf8")) as typeof f;
  } catch (e) {
    return { problem: `${path}: ${jsonError(e)}` };
  }
  const entries = f.entries;
  const pair = (e: unknown) => Array.isArray(e) && e.length === 2 && typeof e[0] === "string" && (f.format === 1 ? typeof e[1] === "string" : typeof e[1] === "object" && e[1] !== null && !Array.isArray(e[1]));
  if ((f.format !== 1 && f.format !== REGISTRY_FORMAT) || typeof f.prefix !== "string" || typeof f.savedAt !== "string" || !Array.isArray(entries) || !entries.every(pair)) {
    return { problem: `${path}: unknown format` };
  }
  if (f.source !== source) return { problem: `${path} was stored for ${String(f.source)}, not ${source}` };
  // Validated again like any registry list when restored (src/serve/registry-overlay.ts), within its bounds.
  const out = (entries as [string, string | object][]).map(([k, v]): [string, string] => [k, typeof v === "string" ? v : JSON.stringify(v)]);
  return { prefix: f.prefix, savedAt: f.savedAt, entries: out, ...(typeof f.truncatedFrom === "number" && { truncatedFrom: f.truncatedFrom }) };
}
