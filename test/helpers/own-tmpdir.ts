// A TMPDIR of a child process's own, to see what it leaves in the OS temp folder. tsx's compile cache
// (<tmpdir>/tsx-<uid>) is linked in from the real one, so the child does not compile every module again.
import { mkdirSync, readdirSync, symlinkSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

export interface OwnTmpdir {
  /** The child's environment: process.env with TMPDIR set. */
  env: NodeJS.ProcessEnv;
  /** What the child left there (its names), tsx's cache aside. */
  leftovers(): string[];
}

export function ownTmpdir(dir: string): OwnTmpdir {
  mkdirSync(dir, { recursive: true });
  const tsx = `tsx-${process.geteuid ? process.geteuid() : userInfo().username}`;
  mkdirSync(join(tmpdir(), tsx), { recursive: true });
  symlinkSync(join(tmpdir(), tsx), join(dir, tsx), "dir");
  return { env: { ...process.env, TMPDIR: dir }, leftovers: () => readdirSync(dir).filter((e) => e !== tsx).sort() };
}
