// Golden files for node:test. A GoldenDir compares produced text with files under a root directory; with
// UPDATE_GOLDEN=1 it writes them instead. After all cases, checkOrphans() fails on files no case produced (or, when
// updating, deletes them), so a removed case or output cannot linger. Inputs living beside the outputs (e.g. a
// case's mesh.ts) are declared with `isInput`. Review the diff of an update like any other change.
import { AssertionError } from "node:assert";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";

/** True when the run should rewrite golden files (UPDATE_GOLDEN=1). */
export const updating = process.env.UPDATE_GOLDEN === "1";

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** JSON with sorted keys, 2-space indentation and a trailing newline: the one format for JSON goldens. */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

/** A short line diff: the changed region between the common prefix and suffix, with 2 lines of context. */
export function lineDiff(expected: string, actual: string): string {
  const a = expected.split("\n");
  const b = actual.split("\n");
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const from = Math.max(0, start - 2);
  const out = [`@@ line ${start + 1} @@`];
  for (let i = from; i < start; i++) out.push(`  ${a[i]}`);
  const cap = (lines: string[], mark: string) => {
    for (const l of lines.slice(0, 40)) out.push(`${mark} ${l}`);
    if (lines.length > 40) out.push(`${mark} … ${lines.length - 40} more`);
  };
  cap(a.slice(start, endA), "-");
  cap(b.slice(start, endB), "+");
  for (let i = endA; i < Math.min(a.length, endA + 2); i++) out.push(`  ${a[i]}`);
  return out.join("\n");
}

export interface GoldenOptions {
  /** Files under the root that are inputs, not outputs (never orphans). Paths are relative, with "/". */
  isInput?: (relPath: string) => boolean;
  /** Rewrite instead of compare. @default UPDATE_GOLDEN=1 */
  update?: boolean;
}

export class GoldenDir {
  private readonly produced = new Set<string>();
  readonly update: boolean;
  constructor(
    readonly root: string,
    private readonly options: GoldenOptions = {},
  ) {
    this.update = options.update ?? updating;
  }

  /** Asserts that `<root>/<relPath>` holds exactly `actual`; with UPDATE_GOLDEN=1 writes it when different. */
  check(relPath: string, actual: string): void {
    const rel = relPath.split(sep).join("/");
    this.produced.add(rel);
    const file = join(this.root, rel);
    const expected = existsSync(file) ? readFileSync(file, "utf8") : undefined;
    if (expected === actual) return;
    if (this.update) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, actual);
      return;
    }
    const message =
      expected === undefined
        ? `golden file ${file} is missing (run with UPDATE_GOLDEN=1 to create it)`
        : `golden file ${file} differs (run with UPDATE_GOLDEN=1 to accept):\n${lineDiff(expected, actual)}`;
    throw new AssertionError({ message, actual, expected, operator: "golden" });
  }

  /** checkJson(relPath, value) = check(relPath, stableJson(value)). */
  checkJson(relPath: string, value: unknown): void {
    this.check(relPath, stableJson(value));
  }

  /** Files under the root that are neither inputs nor produced by check() in this run (relative, sorted). */
  orphans(): string[] {
    const out: string[] = [];
    const walk = (dir: string) => {
      if (!existsSync(dir)) return;
      for (const name of readdirSync(dir).sort()) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else {
          const rel = relative(this.root, p).split(sep).join("/");
          if (!this.produced.has(rel) && !this.options.isInput?.(rel)) out.push(rel);
        }
      }
    };
    walk(this.root);
    return out;
  }

  /** Fails listing orphaned files; with UPDATE_GOLDEN=1 deletes them and any directories left empty. */
  checkOrphans(): void {
    const orphans = this.orphans();
    if (orphans.length === 0) return;
    if (!this.update) {
      throw new AssertionError({
        message: `golden files that no case produces (run with UPDATE_GOLDEN=1 to delete them):\n  ${orphans.join("\n  ")}`,
        actual: orphans,
        expected: [],
        operator: "golden",
      });
    }
    for (const rel of orphans) {
      rmSync(join(this.root, rel));
      let dir = dirname(join(this.root, rel));
      while (dir.startsWith(this.root) && dir !== this.root && readdirSync(dir).length === 0) {
        rmdirSync(dir);
        dir = dirname(dir);
      }
    }
  }
}

/** One-shot form for a directory produced whole: every file compared, then orphans checked. */
export function assertGoldenDir(root: string, files: ReadonlyMap<string, string>, options: GoldenOptions = {}): void {
  const dir = new GoldenDir(root, options);
  for (const [rel, text] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) dir.check(rel, text);
  dir.checkOrphans();
}
