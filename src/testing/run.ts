// `meshc test`'s engine: finds `*.mesh.test.ts` files, loads each (load-tests.ts), checks every case of every
// suite (check.ts) and returns plain results for the reporters (report.ts). Files run one after another; each is
// isolated in its own worker, so one broken file does not stop the others.
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { SourceSite } from "../dsl/site.js";
import type { Diagnostic } from "../diagnostics/types.js";
import type { EvalLimits } from "../frontend/isolate.js";
import { checkCase, type CaseResult } from "./check.js";
import { loadTestFile } from "./load-tests.js";

export const TEST_FILE = /\.mesh\.test\.(ts|mts)$/;

export interface SuiteResult {
  name: string;
  site: SourceSite;
  cases: CaseResult[];
}

export interface FileResult {
  file: string;
  suites: SuiteResult[];
  /** The file's own problems and its meshes' compile errors (warnings too), and invalid requests or expectations. */
  diagnostics: Diagnostic[];
  durationMs: number;
}

export interface TestRun {
  files: FileResult[];
  passed: number;
  failed: number;
  /** Diagnostics of severity error (each makes the run fail). */
  errors: number;
}

/** Test files under the given paths (files as given, folders searched; node_modules and dot folders skipped), sorted. */
export function findTestFiles(paths: string[]): { files: string[]; missing: string[] } {
  const files = new Set<string>();
  const missing: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 32) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith(".") || e.name === "node_modules") continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (e.isFile() && TEST_FILE.test(e.name)) files.add(p);
    }
  };
  for (const raw of paths) {
    const p = resolve(raw);
    let st;
    try {
      st = statSync(p);
    } catch {
      missing.push(raw);
      continue;
    }
    if (st.isDirectory()) walk(p, 0);
    else files.add(p);
  }
  return { files: [...files].sort(), missing };
}

export async function runTestFile(file: string, limits: EvalLimits & { typecheck?: boolean } = {}): Promise<FileResult> {
  const t0 = performance.now();
  const loaded = await loadTestFile(file, limits);
  const diagnostics = [...loaded.diagnostics];
  const suites: SuiteResult[] = [];
  for (const s of loaded.suites) {
    diagnostics.push(...s.diagnostics);
    const name = s.name ?? `meshTest at line ${s.site.line}`;
    if (!s.ir || !s.snapshot) {
      suites.push({ name, site: s.site, cases: [] });
      continue;
    }
    const cases = s.cases.map((c) => checkCase(s.ir!, s.snapshot!, c));
    for (const c of cases) diagnostics.push(...c.diagnostics);
    suites.push({ name, site: s.site, cases });
  }
  return { file: loaded.file, suites, diagnostics, durationMs: Math.round(performance.now() - t0) };
}

export function summarize(files: FileResult[]): TestRun {
  let passed = 0;
  let failed = 0;
  let errors = 0;
  for (const f of files) {
    errors += f.diagnostics.filter((d) => d.severity === "error").length;
    for (const s of f.suites) for (const c of s.cases) c.passed ? passed++ : failed++;
  }
  return { files, passed, failed, errors };
}
