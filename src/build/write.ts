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
    for (const dir of [...new Set(entries.map((e) => dirname(e.file)))].sort()) await mkdir(dir, { recursive: true });
    // A few writes in flight: thousands of small files, one at a time, leave the disk idle between them.
    let next = 0;
    let failed = false;
    const worker = async () => {
      while (!failed && next < entries.length) {
        const e = entries[next++]!;
        const done = e.from !== undefined ? link(e.from, e.file).catch(() => copyFile(e.from!, e.file)) : writeFile(e.file, e.text!);
        await done.catch((err: unknown) => {
          failed = true;
          throw err;
        });
      }
    };
    // Let every worker stop before the temp directory is removed, then report the first failure.
    const settled = await Promise.allSettled(Array.from({ length: Math.min(16, entries.length) }, worker));
    const rejected = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (rejected) throw rejected.reason;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  await swapIn(tmp, target);
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
