// Writes throwaway mesh modules to a temp directory for loader tests.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before } from "node:test";
import { dslEntry } from "../../src/frontend/paths.js";
import { typecheck } from "../../src/frontend/typecheck.js";

export interface TmpMesh {
  dir: string;
  entry: string;
  path(rel: string): string;
  remove(): void;
}

/** Files by relative path; the entry is "mesh.ts". */
export function writeMesh(files: Record<string, string>): TmpMesh {
  const dir = mkdtempSync(join(tmpdir(), "meshc-fe-test-"));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return { dir, entry: join(dir, "mesh.ts"), path: (rel) => join(dir, rel), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The type check's diagnostics of `text` as a lone mesh.ts (written to a temp folder, removed after the check). */
export function typeErrorsOf(text: string): ReturnType<typeof typecheck>["diagnostics"] {
  const m = writeMesh({ "mesh.ts": text });
  try {
    return typecheck(m.entry, dslEntry()).diagnostics;
  } finally {
    m.remove();
  }
}

/** 1-based line and column of the first occurrence of `needle` in `text` (column of its first character). */
export function positionOf(text: string, needle: string, from = 0): { line: number; column: number } {
  const i = text.indexOf(needle, from);
  if (i < 0) throw new Error(`${JSON.stringify(needle)} not found`);
  const before = text.slice(0, i).split("\n");
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

/**
 * Points MESHC_CACHE_DIR at a fresh temp folder for this test file (node:test before/after hooks), restoring the
 * previous value afterwards; returns the folder (valid once the tests run).
 */
export function useTempCacheDir(prefix: string): () => string {
  let dir = "";
  const saved = process.env.MESHC_CACHE_DIR;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    process.env.MESHC_CACHE_DIR = dir;
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    if (saved === undefined) delete process.env.MESHC_CACHE_DIR;
    else process.env.MESHC_CACHE_DIR = saved;
  });
  return () => dir;
}
