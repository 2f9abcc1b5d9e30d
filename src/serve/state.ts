// The warm-start state of `meshc serve <mesh.ts>`: the last good snapshot, kept on disk (default `.meshc/` beside the
// mesh, --state-dir) so that a restarted server answers reconnecting proxies at once instead of after a compile.
// Layout: <dir>/snapshot/ is a build directory (the same files `meshc build` writes, read back through the same
// strict codec and (validate.rules) by readBuildDir), and <dir>/state.json says which mesh it was compiled from, when,
// and the digest of the snapshot's manifest (a snapshot from another mesh, or one torn by a crash between the two
// writes, is not served). Only what `meshc build` would write goes here: the snapshot carries no secrets, and
// nothing secret may be added to it (with --ca, serve stores the snapshot from before certificates were attached,
// plus the manifest's certificate plan, and issues fresh leaves on the next start).
// With a registry (issue 16), <dir>/registry.json keeps the registry entries in use (addresses, ports, labels,
// localities: no secrets), and the stored snapshot carries their endpoints: a server restarted while the registry
// does not answer serves them as the last known ones, and proxies keep their endpoints, until its first list.
import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
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
}

export type StoredSnapshot = { snapshot: MeshSnapshot; compiledAt: string; certificates?: CertificatePlan } | { problem: string } | undefined;

const sha256 = (s: string | Buffer) => createHash("sha256").update(s).digest("hex");

/** Stores a snapshot as the last good one for `source`. Throws on I/O errors (the caller logs them). */
export async function saveState(dir: string, source: string, meshName: string, snapshot: MeshSnapshot, compiledAt: string, certificates?: CertificatePlan): Promise<void> {
  // As `meshc build` writes it (src/build/incremental.ts): only files whose version changed since the stored snapshot
  // are rendered, the others linked, so storing after a one-line edit does not render 4,000 files on the event loop
  // that is pushing the change; with encoded.json, so the next start reads it back without re-encoding it.
  await mkdir(dir, { recursive: true });
  const plan = await planBuild(join(dir, "snapshot"), meshName, snapshot, certificates);
  await writeBuildDir(join(dir, "snapshot"), plan.files, plan.reuse);
  const state: StateFile = { format: FORMAT, source, compiledAt, manifest: sha256(plan.files.get(MANIFEST)!) };
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
  return { snapshot: r.snapshot, compiledAt: state.compiledAt, ...(r.certificates ? { certificates: r.certificates } : {}) };
}

/** The registry entries kept for a warm start: each [key, value] in the layout of src/discovery/layout.ts. */
export interface StoredRegistry {
  prefix: string;
  savedAt: string;
  entries: [string, string][];
}

interface RegistryFile extends StoredRegistry {
  format: number;
  source: string;
}

/**
 * The most registry.json may hold: the overlay's own bounds (100,000 entries of at most 4 KiB, keys of at most ~1 KiB
 * under a sane prefix), twice over for JSON escaping. Larger is refused, not read.
 */
export const MAX_REGISTRY_STATE_BYTES = 100_000 * 2 * (4096 + 1024);

export async function saveRegistryState(dir: string, source: string, registry: StoredRegistry): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file: RegistryFile = { format: FORMAT, source, ...registry };
  await writeFileAtomic(join(dir, "registry.json"), `${JSON.stringify(file)}\n`);
}

/** The stored registry entries for `source`: undefined when there are none, a problem when they cannot be used. */
export async function loadRegistryState(dir: string, source: string): Promise<StoredRegistry | { problem: string } | undefined> {
  const path = join(dir, "registry.json");
  const read = await readBounded(path, MAX_REGISTRY_STATE_BYTES);
  if (!read.ok) return read.missing ? undefined : { problem: `${path}: ${read.message}` };
  let f: Partial<RegistryFile>;
  try {
    f = JSON.parse(read.bytes.toString("utf8")) as Partial<RegistryFile>;
  } catch (e) {
    return { problem: `${path}: ${jsonError(e)}` };
  }
  const entries = f.entries;
  if (f.format !== FORMAT || typeof f.prefix !== "string" || typeof f.savedAt !== "string" || !Array.isArray(entries) || !entries.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === "string" && typeof e[1] === "string")) {
    return { problem: `${path}: unknown format` };
  }
  if (f.source !== source) return { problem: `${path} was stored for ${String(f.source)}, not ${source}` };
  // Validated again like any registry list when restored (src/serve/registry-overlay.ts), within its bounds.
  return { prefix: f.prefix, savedAt: f.savedAt, entries };
}
