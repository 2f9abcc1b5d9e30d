// Bounds the translate-cache records (src/build/translate-cache.ts) kept in meshc's cache folder: one record per
// --out path is written and nothing ever removed them, so a machine that builds into many folders (CI workspaces,
// temporary directories) accumulated them forever. After each write, only the TRANSLATE_CACHE_KEEP most recently
// written records stay (by modification time, the one just written always among them); a record that goes only
// means the next build into that folder translates everything, which is always correct.
import { readdir, rm, stat } from "node:fs/promises";
import { basename, join } from "node:path";

/** How many build directories' records are kept. */
export const TRANSLATE_CACHE_KEEP = 32;

/** A record's file name: 32 hex digits of the hash of the build directory's path (translateCachePath). */
const RECORD = /^[0-9a-f]{32}\.json$/;
/** An interrupted atomic write's leftover (tempPathFor: `.<name>.tmp-<pid>-<ms>-<random>`), removed once an hour old. */
const LEFTOVER = /^\.[0-9a-f]{32}\.json\.tmp-\d+-(\d+)(?:-[0-9a-f]+)?$/;

/** Deletes all but the `keep` newest records in `dir` (never `current`); returns how many were deleted. */
export async function pruneTranslateRecords(dir: string, current: string, keep = TRANSLATE_CACHE_KEEP, now = Date.now()): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  const records: { name: string; mtime: number }[] = [];
  let removed = 0;
  for (const name of names) {
    const leftover = LEFTOVER.exec(name);
    if (leftover) {
      if (now - Number(leftover[1]) > 3_600_000) {
        await rm(join(dir, name), { force: true }).catch(() => undefined);
      }
      continue;
    }
    if (!RECORD.test(name) || name === basename(current)) continue;
    try {
      records.push({ name, mtime: (await stat(join(dir, name))).mtimeMs });
    } catch {
      // removed meanwhile by another build
    }
  }
  if (records.length < keep) return 0;
  // Newest first; equal times by name, so that concurrent builds agree on what goes.
  records.sort((a, b) => b.mtime - a.mtime || (a.name < b.name ? -1 : 1));
  for (const r of records.slice(Math.max(0, keep - 1))) {
    await rm(join(dir, r.name), { force: true }).catch(() => undefined);
    removed++;
  }
  return removed;
}
