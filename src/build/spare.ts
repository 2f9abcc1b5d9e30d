// The spare tree: the build a swap replaced, kept beside --out as .<out>.spare and brought up to date in place by the
// next build instead of creating a new tree from nothing.
// Why: on this project's machine class (ext4 without a journal) creating an inode within ~30 s of mass deletions
// costs up to 0.2 ms of kernel time (ext4 skips recently deleted inodes one by one), and a build of the
// 1,000-service mesh made 5,000 folders and 7,000 links and deleted as many: 1-4 s of system time per build, growing
// with every build. Updated in place, a rebuild touches only the files that differ from the spare (two builds' worth
// of changes) and deletes nothing.
// The spare is only ever a complete former --out (it gets its name by the swap's rename). A build claims it by
// renaming it to its own temp name, so two builds never share one; a temp tree that a killed build left behind
// (its pid no longer runs) is taken as the spare by a later build that finds none (untrusted), or else swept. What a claimed tree holds is trusted per file only as far as
// its own encoded.json (digests) and manifest.json (mtime) vouch for it: the writer thread (./writer-thread.ts)
// checks every kept file and removes every file of the spare the new build does not have.
import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { lstat, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ENCODED_INDEX } from "./encoded-index.js";
import { processAlive } from "../runtime/process-alive.js";

/** Where the spare of `target` lives. */
export function spareName(target: string): string {
  return join(dirname(target), `.${basename(target)}.spare`);
}

/** A temp tree's name for this process (the pid lets a later build tell a dead build's tree from a live one's). */
export function tempName(target: string): string {
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
}

/**
 * Marks a tree that just became the spare with a .gitignore of "*", so that `git status` in a repository that
 * ignores only --out does not list it. The writer's thread removes it when a build claims the spare (it is not one
 * of the build's files), so --out never holds it. Best effort: a spare without it is still a spare.
 */
export async function markSpare(dir: string): Promise<void> {
  await writeFile(join(dir, ".gitignore"), "# the previous `meshc build` output, kept for the next build to update in place (--no-spare)\n*\n").catch(() => undefined);
}

/**
 * Takes the spare for this build: its new (temp) path, or undefined when there is none (or another build took it).
 * Without a spare, the tree a killed build left (a fresh tree half written, or a spare it was updating) is taken
 * instead, its encoded.json removed first: then none of its files is trusted, as with a spare a failed build put
 * back (./write.ts), but its folders and inodes are reused rather than swept and created again.
 */
export async function claimSpare(target: string): Promise<string | undefined> {
  const tmp = tempName(target);
  try {
    // Only a real folder: through a symlink the update would write into whatever it points at.
    if ((await lstat(spareName(target))).isDirectory()) {
      await rename(spareName(target), tmp);
      return tmp;
    }
  } catch {
    // no spare, or another build took it
  }
  for (const dead of deadTempTrees(target)) {
    try {
      if (!(await lstat(dead)).isDirectory()) continue;
      await rename(dead, tmp); // another build that took it first makes this fail
    } catch {
      continue;
    }
    try {
      await rm(join(tmp, ENCODED_INDEX), { force: true });
      return tmp;
    } catch {
      // An index that cannot be removed might vouch for a torn file: the tree is left under this build's name, for
      // a later build to sweep once this one has ended.
      return undefined;
    }
  }
  return undefined;
}

/** Whether the tree at `target` may become the spare: a real folder (a symlinked --out is retired as before). */
export async function canBecomeSpare(target: string): Promise<boolean> {
  try {
    return (await lstat(target)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Temp trees beside `target` whose build no longer runs (killed mid-way): .<out>.tmp-<pid>-* with a pid that is not
 * alive. A temp tree without a pid (an older meshc's) or of a live process is left alone.
 */
export function deadTempTrees(target: string): string[] {
  const prefix = `.${basename(target)}.tmp-`;
  let entries: string[];
  try {
    entries = readdirSync(dirname(target));
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    if (!e.startsWith(prefix)) continue;
    const m = /^(\d+)-[0-9a-f]+$/.exec(e.slice(prefix.length));
    if (!m || Number(m[1]) === process.pid || processAlive(Number(m[1]))) continue;
    out.push(join(dirname(target), e));
  }
  return out;
}
