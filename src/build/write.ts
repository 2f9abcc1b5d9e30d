// Writes a build directory atomically: every file goes into a fresh temp directory next to <dir>, and only when
// all of them are written does the temp directory take <dir>'s place (the old one is moved aside, then removed).
// On any error the temp directory is removed and <dir> is exactly as it was. A directory that is neither empty
// nor a previous meshc build (no manifest.json) is refused rather than replaced, so a mistyped --out cannot wipe
// unrelated files.
import { existsSync } from "node:fs";
import { copyFile, link, mkdir, mkdtemp, readdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve, sep } from "node:path";
import { MANIFEST } from "./render.js";

/** One file, replaced atomically: written beside its target under a temporary name, then renamed over it. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const target = resolve(path);
  const tmp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${Date.now()}`);
  try {
    await writeFile(tmp, text);
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
  const target = resolve(outDir);
  const parent = dirname(target);
  await assertReplaceable(target);
  await mkdir(parent, { recursive: true });
  const tmp = await mkdtemp(join(parent, `.${basename(target)}.tmp-`));
  try {
    const inside = (rel: string) => {
      const file = resolve(tmp, rel);
      if (!file.startsWith(tmp + sep)) throw new BuildDirError(`refusing to write outside the build directory: ${rel}`);
      return file;
    };
    const entries: { file: string; text?: string | Uint8Array; from?: string }[] = [
      ...[...reuse].map(([rel, from]) => ({ file: inside(rel), from })),
      ...[...files].map(([rel, text]) => ({ file: inside(rel), text })),
    ];
    // Folders level by level (parents first), a few in flight: the 1,000-service mesh has 4,000 of them (services
    // and their locality variants), and creating them one await at a time left the disk idle between them.
    const levels = new Map<number, string[]>();
    const seen = new Set<string>([tmp]);
    for (const e of entries) {
      for (let d = dirname(e.file); !seen.has(d); d = dirname(d)) {
        seen.add(d);
        const depth = d.split(sep).length;
        (levels.get(depth) ?? levels.set(depth, []).get(depth)!).push(d);
      }
    }
    for (const depth of [...levels.keys()].sort((a, b) => a - b)) await inFlight(levels.get(depth)!.sort(), (d) => mkdir(d));
    // A few writes in flight: thousands of small files, one at a time, leave the disk idle between them.
    await inFlight(entries, (e) => (e.from !== undefined ? link(e.from, e.file).catch(() => copyFile(e.from!, e.file)) : writeFile(e.file, e.text!)));
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  await swapIn(tmp, target);
}

/** Runs `fn` over `items` with up to 16 in flight; stops starting new ones after a failure, lets the started ones
 * settle (so the caller can remove the temp directory), then throws the first failure. */
async function inFlight<T>(items: readonly T[], fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      await fn(items[next++]!).catch((err: unknown) => {
        failed = true;
        throw err;
      });
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.min(16, items.length) }, worker));
  const rejected = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (rejected) throw rejected.reason;
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

async function swapIn(tmp: string, target: string): Promise<void> {
  if (!existsSync(target)) {
    await rename(tmp, target);
    return;
  }
  const old = `${tmp.replace(/\.tmp-([^/]*)$/, ".old-$1")}`;
  await rename(target, old);
  try {
    await rename(tmp, target);
  } catch (err) {
    await rename(old, target); // put the previous build back
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  await rm(old, { recursive: true, force: true });
}
