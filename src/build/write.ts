// Writes a build directory atomically: every file goes into a fresh temp directory next to <dir>, and only when
// all of them are written does the temp directory take <dir>'s place (the old one is moved aside, then removed).
// On any error the temp directory is removed and <dir> is exactly as it was. A directory that is neither empty
// nor a previous meshc build (no manifest.json) is refused rather than replaced, so a mistyped --out cannot wipe
// unrelated files.
import { existsSync } from "node:fs";
import { mkdir, readdir, rename, rm, rmdir, writeFile } from "node:fs/promises";
import { Worker } from "node:worker_threads";
import { dirname, join, resolve, sep } from "node:path";
import { MANIFEST } from "./render.js";
import { ENCODED_INDEX } from "./encoded-index.js";
import { removeDetached, retiredName, retiredSiblings } from "./retire.js";
import { canBecomeSpare, claimSpare, deadTempTrees, markSpare, spareName, tempName } from "./spare.js";
import { WRITER_SOURCE } from "./writer-thread.js";
import { tempPathFor } from "../runtime/atomic-file.js";

/**
 * One file, replaced atomically: written beside its target under a temporary name, then renamed over it. `mode` is
 * the file's from its creation (0o600 for a file holding a private key: never readable by others, even for a moment).
 */
export async function writeFileAtomic(path: string, text: string, mode?: number): Promise<void> {
  const target = resolve(path);
  // A random name created exclusively: nothing planted at it can receive the text or own the result (atomic-file.ts).
  const tmp = tempPathFor(target);
  try {
    await writeFile(tmp, text, mode === undefined ? { flag: "wx" } : { mode, flag: "wx" });
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export class BuildDirError extends Error {
  override name = "BuildDirError";
}

/**
 * `reuse`: relative path -> an equal file of the previous build (src/build/incremental.ts), hard-linked into the new
 * tree (copied where a link is not possible) instead of written.
 */
export async function writeBuildDir(outDir: string, files: ReadonlyMap<string, string | Uint8Array>, reuse: ReadonlyMap<string, string> = new Map()): Promise<void> {
  const w = await openBuildDir(outDir);
  try {
    for (const [rel, from] of reuse) w.link(rel, from);
    for (const [rel, text] of files) w.write(rel, text);
  } catch (err) {
    await w.abort();
    throw err;
  }
  await w.commit();
}

/** A build directory being written: files go into the temp tree as they are handed over; commit swaps it in. */
export interface BuildDirWriter {
  /** Queues a file (relative path) for writing; its folders are created as needed. */
  write(rel: string, content: string | Uint8Array): void;
  /**
   * Room for a file's bytes in memory shared with the writer's thread: a file rendered there is handed over without
   * a copy (posting ordinary buffers cost more than writing them). The bytes must not change once written.
   */
  alloc(size: number): Buffer;
  /**
   * Queues a DiscoveryResponse file given as its frame and the resources' renderings, each in alloc'ed memory (a
   * resource as one buffer, or as the segments its rendering is the concatenation of: src/build/render-segments.ts):
   * the thread assembles it as renderDiscoveryResponseBytes does (src/build/render.ts), writes it and records its digest.
   */
  writeResponse(rel: string, head: string, resources: readonly (Buffer | readonly Buffer[])[], tail: string): void;
  /** The digests (fileDigest) of the files queued by writeResponse, once all of them are written. */
  digests(): Promise<Map<string, string>>;
  /**
   * Queues a hard link (or copy) of an equal file of the previous build; `digest`: what the previous build's index
   * recorded for it (a spare's file with that digest is kept as it is); `vetted`: the file as the caller checked it
   * (its inode, and the mtime it must not exceed): a file that no longer is that one when it is linked is left out
   * and listed by stale().
   */
  link(rel: string, from: string, digest?: string, vetted?: { ino: bigint; notAfter: bigint }): void;
  /** The linked files left out since the last digests() because they changed after they were vetted (see link). */
  stale(): readonly string[];
  /** Waits for every queued file, then puts the tree in place of the directory (atomically); removes it on failure. */
  commit(): Promise<void>;
  /** Drops the temp tree; the directory stays as it was. */
  abort(): Promise<void>;
}


/** Files per message to the writer thread (fewer messages; the thread still starts writing early). */
const BATCH = 32;
const ARENA = 8 * 1024 * 1024;

export interface OpenBuildDirOptions {
  /**
   * What becomes of the tree the new one replaces.
   * "spare": it is kept beside the directory as .<dir>.spare (./spare.ts), and the next build updates that tree in
   * place instead of creating every folder and file anew; a spare that cannot be kept (another build's is there) is
   * removed as with "detach". `meshc build`'s default.
   * "detach": commit returns once the new tree is in place; the old tree (and any an earlier build left behind) is
   * removed by a detached process (./retire.ts), so `meshc build` need not wait for its 1-2 s of unlinks.
   * "wait" (default): commit also removes the old tree before it returns.
   */
  retire?: "wait" | "detach" | "spare";
}

/**
 * A build directory's writer being got ready while the mesh compiles: the writer's thread started and, with retire
 * "spare", the spare claimed and scanned. Nothing is checked or created until open(); release() when no build follows
 * (the spare goes back as it was).
 */
export interface PreparedBuildDir {
  open(): Promise<BuildDirWriter>;
  release(): Promise<void>;
  /** Whether the opened writer's tree was swapped in for --out (the build's output is in place). */
  committed(): boolean;
}

/** Starts writing a build directory into a temp tree beside `outDir` (refused like writeBuildDir). */
export async function openBuildDir(outDir: string, options: OpenBuildDirOptions = {}): Promise<BuildDirWriter> {
  return prepareBuildDir(outDir, options).open();
}

export function prepareBuildDir(outDir: string, options: OpenBuildDirOptions = {}): PreparedBuildDir {
  const target = resolve(outDir);
  const parent = dirname(target);
  const retire = options.retire ?? "wait";
  const worker = new Worker(WRITER_SOURCE, { eval: true, execArgv: [] });
  let crashed: Error | undefined;
  let settle: ((error: string | null) => void) | undefined;
  worker.on("error", (err) => {
    crashed = err;
    settle?.(err.message);
  });
  worker.on("exit", () => settle?.(crashed?.message ?? "the build writer thread exited"));
  let gotDigests: string[] | undefined;
  let staleLinks: string[] = [];
  worker.on("message", (m: { error: string | null; digests?: string[]; stale?: string[] }) => {
    gotDigests = m.digests;
    if (m.stale) staleLinks = m.stale;
    settle?.(m.error);
  });
  // The spare, renamed to this build's temp name; the thread scans it while the mesh compiles.
  const claiming = retire === "spare" ? claimSpare(target) : Promise.resolve(undefined);
  void claiming.then((claimed) => {
    if (claimed !== undefined) worker.postMessage({ op: "root", dir: claimed, spare: true });
  });
  let sent = false; // whether any file went to the thread (a claimed spare is then no longer as it was)
  // Set once the writer stops for good (released, aborted or committed): every later caller waits for the same.
  let closing: Promise<void> | undefined;
  /**
   * The claimed spare, not swapped in (the thread is stopped), goes back as the spare, so that a failed build (say a
   * type error found after its files were written) leaves the next one a tree to update in place. Once written into,
   * its encoded.json goes first: then none of its files is trusted (./writer-thread.ts writes each one again), only
   * its folders and inodes are reused. Removed instead when another build's spare is there.
   */
  const putBack = async (claimed: string) => {
    try {
      if (sent) await rm(join(claimed, ENCODED_INDEX), { force: true });
      await rename(claimed, spareName(target));
      return;
    } catch {
      // another build left a spare meanwhile: this one goes
    }
    await removeDetached([claimed]);
  };
  /** Stops the thread and puts back a claimed spare (nothing was opened, or opening failed). */
  const stop = () =>
    (closing ??= (async () => {
      await worker.terminate();
      const claimed = await claiming;
      if (claimed !== undefined) await putBack(claimed);
    })());
  let opening: Promise<BuildDirWriter> | undefined;
  // An open under way is waited for, so that a release (say on Ctrl-C) never leaves the temp tree it creates.
  const release = async () => {
    const w = opening && (await opening.catch(() => undefined));
    return w ? w.abort() : stop();
  };

  let swapped = false;
  let leftBehind: string[] = [];
  // The first folder above --out that this build created (mkdir -p): removed again if the build fails.
  let madeParent: string | undefined;
  const doOpen = async (): Promise<BuildDirWriter> => {
    const claimed = await claiming;
    try {
      if (closing) throw new Error("meshc bug: a build directory writer opened after its release");
      await assertReplaceable(target);
    } catch (err) {
      await stop();
      throw err;
    }
    // Retired trees an earlier build's remover did not finish, and temp trees of killed builds (looked for before
    // this build retires one of its own).
    leftBehind = retire === "wait" ? [] : [...retiredSiblings(target), ...deadTempTrees(target)];
    let tmp = claimed;
    if (tmp === undefined) {
      try {
        madeParent = await mkdir(parent, { recursive: true });
        tmp = tempName(target);
        await mkdir(tmp);
      } catch (err) {
        await stop(); // the thread must not outlive a writer nobody holds
        await removeMadeParents();
        throw err;
      }
      worker.postMessage({ op: "root", dir: tmp, spare: false });
    }
    return writerOn(tmp, claimed !== undefined);
  };
  const open = () => (opening ??= doOpen());
  /** The folders above --out this build created, deepest first, as far as they are empty. */
  const removeMadeParents = async () => {
    if (madeParent === undefined) return;
    for (let d = parent; d.startsWith(madeParent); d = dirname(d)) {
      try {
        await rmdir(d);
      } catch {
        return;
      }
      if (d === madeParent) return;
    }
  };

  const writerOn = (tmp: string, isSpare: boolean): BuildDirWriter => {
    const ask = async (op: string): Promise<string | null> => {
      flush();
      return new Promise<string | null>((res) => {
        settle = res;
        worker.postMessage({ op });
      });
    };
    type Entry = { rel: string; file: string; content?: string | Uint8Array; from?: string; digest?: string; ino?: bigint; notAfter?: bigint; arena?: number; offset?: number; length?: number; head?: string; tail?: string; refs?: number[] };
    let batch: Entry[] = [];
    // Shared memory for files' bytes, ARENA bytes at a time (a larger file gets one of its own).
    const arenaIds = new Map<ArrayBufferLike, number>();
    let arena: SharedArrayBuffer | undefined;
    let arenaUsed = 0;
    const alloc = (size: number): Buffer => {
      if (!arena || arenaUsed + size > arena.byteLength) {
        arena = new SharedArrayBuffer(Math.max(ARENA, size));
        arenaUsed = 0;
        arenaIds.set(arena, arenaIds.size);
        worker.postMessage({ op: "arena", id: arenaIds.size - 1, sab: arena });
      }
      const b = Buffer.from(arena, arenaUsed, size);
      arenaUsed += size;
      return b;
    };
    const flush = () => {
      if (batch.length) {
        sent = true;
        worker.postMessage({ op: "files", files: batch });
      }
      batch = [];
    };
    const inside = (rel: string) => {
      const file = resolve(tmp, rel);
      if (!file.startsWith(tmp + sep)) throw new BuildDirError(`refusing to write outside the build directory: ${rel}`);
      return file;
    };
    const add = (e: Entry) => {
      const id = typeof e.content === "object" ? arenaIds.get(e.content.buffer) : undefined;
      if (id !== undefined && typeof e.content === "object") {
        const { byteOffset: offset, byteLength: length } = e.content;
        e = { rel: e.rel, file: e.file, arena: id, offset, length };
      }
      batch.push(e);
      if (batch.length >= BATCH) flush();
    };
    // A failed build leaves the folder around --out as it found it (waiting for the removal of its files, if any).
    const drop = async () => {
      if (isSpare) await putBack(tmp);
      else {
        await rm(tmp, { recursive: true, force: true });
        await removeMadeParents();
      }
    };
    const abort = () =>
      (closing ??= (async () => {
        await worker.terminate();
        await drop();
      })());
    return {
      write: (rel, content) => add({ rel, file: inside(rel), content }),
      alloc,
      link: (rel, from, digest, vetted) => add({ rel, file: inside(rel), from, ...(digest !== undefined ? { digest } : {}), ...(vetted ? { ino: vetted.ino, notAfter: vetted.notAfter } : {}) }),
      stale: () => staleLinks,
      writeResponse: (rel, head, resources, tail) => {
        const refs: number[] = [];
        for (const r of resources) {
          const segs = Buffer.isBuffer(r) ? [r] : (r as readonly Buffer[]);
          refs.push(segs.length);
          for (const b of segs) {
            const id = arenaIds.get(b.buffer);
            if (id === undefined) throw new Error("meshc bug: writeResponse takes resources in alloc'ed memory");
            refs.push(id, b.byteOffset, b.byteLength);
          }
        }
        add({ rel, file: inside(rel), head, tail, refs });
      },
      digests: async () => {
        const error = await ask("digests");
        if (error !== null) {
          await abort();
          throw new Error(`writing ${target}: ${error}`);
        }
        const out = new Map<string, string>();
        const list = gotDigests ?? [];
        for (let i = 0; i < list.length; i += 2) out.set(list[i]!, list[i + 1]!);
        return out;
      },
      abort,
      commit: async () => {
        const error = await ask("done");
        if (error !== null) {
          await abort();
          throw new Error(`writing ${target}: ${error}`);
        }
        if (closing) throw new Error(`writing ${target}: the build was stopped`);
        let failure: { err: unknown } | undefined;
        await (closing = (async () => {
          await worker.terminate();
          // (The old tree is removed with the promise-based rm: its unlinks run in parallel on libuv's pool. Removing
          // it with synchronous calls, on this thread or the writer's, took 12 s instead of 1.3-1.9 s for the
          // 1,000-service build on this machine's disk.) With retire "detach", a detached process removes it
          // (./retire.ts); with "spare" it becomes the next build's spare.
          let old: string | undefined;
          try {
            old = await swapIn(tmp, target, retire === "spare" ? spareName(target) : undefined);
            swapped = true;
          } catch (err) {
            // --out is as it was (swapIn puts it back); the tree that was not swapped in goes like an aborted one.
            failure = { err };
            if (existsSync(tmp)) await drop();
            return;
          }
          if (retire === "wait") {
            if (old !== undefined) await rm(old, { recursive: true, force: true });
          } else await removeDetached(old !== undefined ? [old, ...leftBehind] : leftBehind);
        })());
        if (failure) throw failure.err;
      },
    };
  };
  return { open, release, committed: () => swapped };
}

async function assertReplaceable(target: string): Promise<void> {
  if (!existsSync(target)) return;
  let entries: string[];
  try {
    entries = await readdir(target);
  } catch {
    throw new BuildDirError(`${target} exists and is not a directory`);
  }
  if (entries.length > 0 && !entries.includes(MANIFEST)) {
    throw new BuildDirError(`${target} is not empty and holds no ${MANIFEST}: not a meshc build directory, refusing to replace it`);
  }
}

/**
 * Puts `tmp` in `target`'s place; returns where the previous tree went for the caller to remove, if there was one
 * and it did not become the spare (`spare`: the spare's path, taken when free).
 */
async function swapIn(tmp: string, target: string, spare?: string): Promise<string | undefined> {
  if (!existsSync(target)) {
    await rename(tmp, target);
    return undefined;
  }
  if (spare !== undefined && !(await canBecomeSpare(target))) spare = undefined;
  let old = spare ?? retiredName(tmp);
  try {
    await rename(target, old);
  } catch (err) {
    if (old !== spare) throw err;
    old = retiredName(tmp); // another build's spare is there already
    await rename(target, old);
  }
  try {
    await rename(tmp, target);
  } catch (err) {
    await rename(old, target); // put the previous build back
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  if (old !== spare) return old;
  await markSpare(spare);
  return undefined;
}
