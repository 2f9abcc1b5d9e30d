// Change detection for `meshc serve` that survives every way editors and tools save a file.
// Watching file handles goes deaf after the first rename-over save (the watched inode is gone), so this watches the
// DIRECTORIES holding the inputs (fs.watch on a directory sees creates, unlinks, renames and writes of its entries)
// and decides by CONTENT: after a burst of events settles (debounce), it fingerprints the inputs and fires only if
// that differs from what the last load saw. Unlink+create, rename-over, truncate+write, git checkout/stash, vim's
// backup rename and ten saves in 100 ms all end in one comparison of final contents. A periodic fingerprint (the
// safety net, --poll) catches anything the kernel's events miss (a replaced directory, network file systems), and
// directory watches are re-established when a directory is replaced. An input that disappears is logged and
// counted, and the reload waits a short grace for it to come back (the middle of unlink+create); so is its return.
// Two sources: a mesh's input files (content hashes), and a build directory. A build directory's manifest.json is its
// commit point (issue 12): `meshc build` and serve's warm-start writer swap a complete tree in by renames, and a
// tool rewriting a tree in place writes the manifest last. So a build directory is fingerprinted by its identity
// (the realpath after symlinks, device and inode: a rename pair or a symlink flip changes it) and the stat and content
// digest of its manifest (an in-place rewrite or a touch changes it), and watched through its parent (the entry's
// name), its real path's parent and the manifest's entry in the real directory: three watches and one ~0.5 MB read
// per check, instead of a stat of every one of 4,000 files on every check and poll. A file edited by hand without touching the
// manifest is not noticed (README: touch manifest.json after such an edit).
// A build directory whose manifest was rewritten in place fires only once its fingerprint holds still for a debounce
// (settle), so a manifest caught half written is not loaded; a directory swapped in (complete by construction) fires
// after the debounce alone.
import { createHash } from "node:crypto";
import { readFileSync, watch as fsWatch, type FSWatcher } from "node:fs";
import { lstat, readFile, realpath, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { MANIFEST } from "../build/render.js";
import { readBounded } from "../runtime/bounded-read.js";
import { MAX_BUILD_FILE_BYTES } from "../backends/envoy/build-dir-reader.js";

/** Per watched path: a digest of its content, or null when it does not exist. */
export type Fingerprint = Map<string, string | null>;

export interface WatchEvents {
  /** A watched input vanished (reported once per disappearance). */
  disappeared?(path: string): void;
  /** A vanished input exists again. */
  reappeared?(path: string): void;
}

export interface Watcher {
  /** Fingerprints the inputs as they are now: take it when a load starts, hand it to loaded() when it ends. */
  fingerprint(): Promise<Fingerprint>;
  /** After a load: the inputs it resolved (a mesh's import graph changes with edits) and what it started from. */
  loaded(inputs: readonly string[], before: Fingerprint): void;
  close(): Promise<void>;
}

/**
 * Default quiet time for a mesh's input files (issue 12 item 5: it is on the path of every hot reload). Short is safe
 * here: the watcher compares contents, a save caught half way that does not compile is refused (the last good
 * snapshot stays served) and the save's remaining events queue one more load after it; editors' atomic saves (temp
 * file + rename) are one event.
 */
export const MESH_DEBOUNCE_MS = 25;
/** Default quiet time for a build directory: a manifest rewritten in place must hold still this long (settle). */
export const BUILD_DIR_DEBOUNCE_MS = 100;

export interface WatchOptions extends WatchEvents {
  /** Quiet time after the last event before comparing. @default MESH_DEBOUNCE_MS or BUILD_DIR_DEBOUNCE_MS */
  debounceMs?: number;
  /** Safety-net fingerprint interval; 0 turns it off. @default 2000 */
  pollMs?: number;
  /** How long a missing input may stay missing before the change is reported anyway. @default 1000 */
  missingGraceMs?: number;
}

interface Spec {
  /** Directories to watch, and for each the entry names that matter (undefined: every entry). */
  dirs(): Promise<Map<string, Set<string> | undefined>>;
  fingerprint(): Promise<Fingerprint>;
  /** The fingerprint of paths first seen in a load's result, taken synchronously as the load ends. */
  now(paths: readonly string[]): Fingerprint;
  /**
   * Fire only once two fingerprints a debounce apart agree: a tree being rewritten file by file (thousands of
   * files, longer than the debounce cap) is reloaded once, when it stops changing, not once per check in between.
   * A function decides per change (from the baseline and the new fingerprint) whether it needs to settle.
   */
  settle?: boolean | ((baseline: Fingerprint, now: Fingerprint) => boolean);
}

/** Watches a mesh's input files (absolute paths; the set is replaced after each load). */
export function watchFiles(files: readonly string[], onChange: (path: string) => void, options: WatchOptions = {}): Watcher {
  let inputs = [...new Set(files)];
  const spec: Spec = {
    async dirs() {
      const out = new Map<string, Set<string>>();
      for (const f of inputs) {
        const d = dirname(f);
        if (!out.has(d)) out.set(d, new Set());
        out.get(d)!.add(basename(f));
      }
      return out;
    },
    async fingerprint() {
      const out: Fingerprint = new Map();
      await Promise.all(inputs.map(async (f) => out.set(f, await readFile(f).then((b) => digest(b), () => null))));
      return out;
    },
    now(paths) {
      const out: Fingerprint = new Map();
      for (const f of paths) {
        try {
          out.set(f, digest(readFileSync(f)));
        } catch {
          out.set(f, null);
        }
      }
      return out;
    },
  };
  return contentWatcher(spec, onChange, { ...options, debounceMs: options.debounceMs ?? MESH_DEBOUNCE_MS }, (next) => (inputs = [...new Set(next)]));
}

/** Watches a served build directory: replaced by renames or a symlink flip, or its manifest rewritten in place. */
export function watchBuildDir(dir: string, onChange: (path: string) => void, options: WatchOptions = {}): Watcher {
  const manifest = join(dir, MANIFEST);
  const spec: Spec = {
    async dirs() {
      const out = new Map<string, Set<string> | undefined>([[dirname(dir), new Set([basename(dir)])]]);
      const real = await realpath(dir).catch(() => undefined);
      if (real) {
        // A symlinked directory whose target is itself swapped by renames: its target's parent sees that.
        if (dirname(real) !== dirname(dir)) out.set(dirname(real), new Set([basename(real)]));
        out.set(real, new Set([MANIFEST]));
      }
      return out;
    },
    async fingerprint() {
      return buildDirFingerprint(dir, manifest);
    },
    now: () => new Map(),
    // A directory swapped in (rename pair, symlink flip) is complete by construction: loaded after the debounce. A
    // manifest rewritten in place may have been caught half written: loaded once it holds still for a debounce.
    settle: (baseline, now) => now.get(dir) !== null && baseline.get(dir) === now.get(dir),
  };
  return contentWatcher(spec, onChange, { ...options, debounceMs: options.debounceMs ?? BUILD_DIR_DEBOUNCE_MS }, () => undefined);
}

/**
 * A build directory's identity (realpath, device, inode; null when absent) and its manifest's stat and content digest
 * (null when absent: the middle of an in-place rewrite, waited for like any vanished input).
 */
async function buildDirFingerprint(dir: string, manifest: string): Promise<Fingerprint> {
  const real = await realpath(dir).catch(() => undefined);
  const s = real ? await stat(real, { bigint: true }).catch(() => undefined) : undefined;
  if (!real || !s) return new Map([[dir, null]]);
  const file = join(real, MANIFEST);
  // Read like the reader reads it (a regular file, bounded, never blocking on a FIFO): one it refuses still changes
  // the fingerprint, so the load runs and reports why.
  const [m, read] = await Promise.all([lstat(file, { bigint: true }).catch(() => undefined), readBounded(file, MAX_BUILD_FILE_BYTES)]);
  const content = read.ok ? digest(read.bytes) : read.missing ? undefined : `refused: ${read.message}`;
  return new Map([
    [dir, `${real} ${s.dev} ${s.ino}`],
    // The stat too: `touch manifest.json` after a hand edit of another file asks for a reload.
    [manifest, m && content !== undefined ? `${m.ino} ${m.size} ${m.mtimeNs} ${content}` : null],
  ]);
}

function sameFingerprint(a: Fingerprint, b: Fingerprint): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

function digest(b: Buffer | string): string {
  return createHash("sha256").update(b).digest("hex");
}

function contentWatcher(spec: Spec, onChange: (path: string) => void, o: WatchOptions, setInputs: (inputs: readonly string[]) => void): Watcher {
  const debounceMs = o.debounceMs ?? BUILD_DIR_DEBOUNCE_MS;
  const pollMs = o.pollMs ?? 2000;
  const graceMs = o.missingGraceMs ?? 1000;
  let closed = false;
  let baseline: Fingerprint | undefined;
  const missing = new Map<string, number>(); // path -> when it was first seen missing
  const watchers = new Map<string, { w: FSWatcher; ino: bigint; names: Set<string> | undefined }>();
  let timer: NodeJS.Timeout | undefined;
  let firstEventAt = 0;
  let checking: Promise<void> | undefined;
  let recheck = false;
  let settling: Fingerprint | undefined; // settle: the changed fingerprint seen by the previous check
  // One reload per change: onChange calls so far, and for each fingerprint() handed out, that count when it was
  // taken. A load whose fingerprint predates a change that has been reported since is already followed by the
  // reload that change queued: its loaded() must not rewind the baseline to its stale fingerprint (the next check
  // would report the same change a second time).
  let fired = 0;
  const takenAt = new WeakMap<Fingerprint, number>();

  const schedule = (delay = debounceMs) => {
    if (closed) return;
    const now = Date.now();
    if (!timer) firstEventAt = now;
    clearTimeout(timer);
    // A steady stream of events still gets checked every 10 debounce periods.
    const wait = Math.max(0, Math.min(delay, firstEventAt + 10 * Math.max(debounceMs, 10) - now));
    timer = setTimeout(() => {
      timer = undefined;
      void check();
    }, wait);
  };

  const syncDirs = async () => {
    const want = await spec.dirs();
    for (const [dir, entry] of watchers) {
      const s = await stat(dir, { bigint: true }).catch(() => undefined);
      if (!want.has(dir) || !s || s.ino !== entry.ino) {
        entry.w.close();
        watchers.delete(dir);
      }
    }
    for (const [dir, names] of want) {
      const existing = watchers.get(dir);
      if (existing) {
        existing.names = names;
        continue;
      }
      const s = await stat(dir, { bigint: true }).catch(() => undefined);
      if (!s || closed) continue;
      try {
        const entry = { w: fsWatch(dir, { persistent: false }), ino: s.ino, names };
        entry.w.on("change", (_event, name) => {
          if (entry.names === undefined || name === null || entry.names.has(String(name))) schedule();
        });
        entry.w.on("error", () => {
          entry.w.close();
          if (watchers.get(dir) === entry) watchers.delete(dir);
          schedule();
        });
        watchers.set(dir, entry);
      } catch {
        // The directory vanished between stat and watch: the next poll or check tries again.
      }
    }
  };

  const check = async (): Promise<void> => {
    if (checking) {
      recheck = true;
      return checking;
    }
    checking = (async () => {
      do {
        recheck = false;
        if (closed || !baseline) return;
        const now = await spec.fingerprint();
        if (closed) return;
        for (const [path, value] of now) {
          if (value === null && !missing.has(path)) {
            missing.set(path, Date.now());
            o.disappeared?.(path);
          } else if (value !== null && missing.has(path)) {
            missing.delete(path);
            o.reappeared?.(path);
          }
        }
        for (const path of [...missing.keys()]) if (!now.has(path)) missing.delete(path);
        let changed: string | undefined;
        for (const [path, value] of now) {
          if (!baseline.has(path)) baseline.set(path, value);
          else if (baseline.get(path) !== value) changed ??= path;
        }
        await syncDirs().catch(() => undefined);
        if (changed === undefined) {
          settling = undefined;
          continue;
        }
        const settle = typeof spec.settle === "function" ? spec.settle(baseline, now) : spec.settle === true;
        if (settle && (!settling || !sameFingerprint(settling, now))) {
          settling = now; // still changing (or just changed): look again once it has been quiet for a debounce
          schedule(debounceMs);
          continue;
        }
        settling = undefined;
        const oldest = Math.min(...[...missing.values()], Infinity);
        if (oldest !== Infinity && Date.now() - oldest < graceMs) {
          schedule(debounceMs); // mid unlink+create or a directory swap: wait for it to come back
          continue;
        }
        baseline = now; // what the reload will see; loaded() replaces it with what the load actually started from
        fired++;
        onChange(changed);
      } while (recheck && !closed);
    })().finally(() => (checking = undefined));
    return checking;
  };

  const poll = pollMs > 0 ? setInterval(() => void check(), pollMs) : undefined;
  poll?.unref();
  void syncDirs();

  return {
    async fingerprint() {
      const at = fired;
      const fp = await spec.fingerprint();
      takenAt.set(fp, at);
      return fp;
    },
    loaded(inputs, before) {
      if (closed) return;
      setInputs(inputs);
      // A change reported after `before` was taken has its reload queued (it starts from a fresh fingerprint and
      // calls loaded() again): keep the baseline that change set instead of rewinding to what this load saw.
      const stale = (takenAt.get(before) ?? fired) < fired && baseline !== undefined;
      const base = stale && baseline ? baseline : new Map(before);
      baseline = base;
      // Inputs this load discovered (a new import): their content as of now, before anything else can run.
      for (const [path, value] of spec.now(inputs.filter((f) => !before.has(f)))) if (!base.has(path)) base.set(path, value);
      void syncDirs()
        .catch(() => undefined)
        .then(() => check());
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      for (const { w } of watchers.values()) w.close();
      watchers.clear();
      await checking;
    },
  };
}
