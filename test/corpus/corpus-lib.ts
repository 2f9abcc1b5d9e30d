// Helpers for the invalid-mesh corpus test: reading the `// expect:` markers of a case, hashing a directory, and
// running the CLI as a subprocess with bounded concurrency.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";

/** One expected or produced finding: code, file (relative to the case directory, "/" separators) and line. */
export interface Finding {
  code: string;
  file: string;
  line: number;
}

export const findingKey = (f: Finding) => `${f.code} ${f.file}:${f.line}`;

/**
 * `// expect: MESH0101` at the end of a line expects that code on that line; `// expect-next-line: MESH0101` on the
 * line above expects it on the next line. Several codes may follow (`MESH0003 MESH0003`: two findings).
 */
const MARKER = /\/\/.*?\bexpect(-next-line)?:\s*((?:MESH\d{4}\b[\s,]*)+)/;

/** Every .ts file under `dir` (recursive), relative with "/" separators, sorted. */
export function tsFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p, base));
    else if (name.endsWith(".ts")) out.push(relative(base, p).split(sep).join("/"));
  }
  return out;
}

/** The findings a case's markers expect, sorted by key (duplicates kept: each marker code is one finding). */
export function expectedFindings(caseDir: string): Finding[] {
  const out: Finding[] = [];
  for (const file of tsFiles(caseDir)) {
    readFileSync(join(caseDir, file), "utf8")
      .split("\n")
      .forEach((text, i) => {
        const m = MARKER.exec(text);
        if (!m) return;
        const line = i + 1 + (m[1] ? 1 : 0);
        for (const code of m[2]!.match(/MESH\d{4}/g)!) out.push({ code, file, line });
      });
  }
  return out.sort((a, b) => (findingKey(a) < findingKey(b) ? -1 : findingKey(a) > findingKey(b) ? 1 : 0));
}

/** sha256 over every entry under `dir`: relative paths, kinds and file bytes, in sorted order. */
export function hashDir(dir: string): string {
  const h = createHash("sha256");
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const rel = relative(dir, p).split(sep).join("/");
      if (statSync(p).isDirectory()) {
        h.update(`d ${rel}\0`);
        walk(p);
      } else {
        const bytes = readFileSync(p);
        h.update(`f ${rel} ${bytes.length}\0`).update(bytes).update("\0");
      }
    }
  };
  walk(dir);
  return h.digest("hex");
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `node <args>` in `cwd` and collects its output (never rejects for a non-zero exit). */
export function runNode(args: string[], cwd: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
    delete env.GITHUB_ACTIONS; // the default --format depends on it; the corpus always passes --format json
    const child = spawn(process.execPath, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs `jobs` with at most `limit` in flight; results in job order. */
export async function pool<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results = new Array<T>(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}
