// The two sides of `meshc diff <base> <head>`, each one of
//   a mesh entry module (mesh.ts, or a folder holding mesh.ts)  compiled through the full pipeline;
//   a build directory (`meshc build --out DIR`, has manifest.json) read back through the strict codec;
//   git:<ref>[:path]   that path as committed at <ref>, extracted with `git archive` into a temporary folder (the
//                      working tree is never touched). As in git's own <rev>:<path>, the path is relative to the
//                      repository's top level unless it starts with ./ or ../ (then relative to the current folder);
//                      without one it is the other side's path, or mesh.ts in the current folder.
// Loading yields a MeshSnapshot (plus the IR and where its source paths are relative to, for a mesh), or a
// DiffInputError: a usage problem (missing file, unknown ref, a mesh that does not compile), exit 2.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, realpathSync, statSync, symlinkSync } from "node:fs";
import { makeTempDir, removeTempDir } from "../runtime/temp-dirs.js";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { readBuildDir } from "../backends/envoy/read-build.js";
import { MANIFEST } from "../build/render.js";
import type { Diagnostic } from "../diagnostics/types.js";
import type { MeshIR } from "../ir/types.js";
import { compileMesh } from "../pipeline.js";
import type { MeshSnapshot } from "../snapshot/types.js";

export class DiffInputError extends Error {
  constructor(
    message: string,
    /** Diagnostics of a side that did not compile, for the caller to render. */
    readonly diagnostics: Diagnostic[] = [],
  ) {
    super(message);
  }
}

export type SideSpec =
  | { kind: "path"; spec: string; path: string }
  | { kind: "git"; spec: string; ref: string; path?: string };

export interface LoadedSide {
  /** As the user wrote it, e.g. "git:main:mesh.ts". */
  label: string;
  form: "mesh" | "build";
  snapshot: MeshSnapshot;
  /** For a mesh: its IR (source locations) ... */
  ir?: MeshIR;
  /** ... and how to show an IR source path (relative to the mesh's folder) to the user. */
  showSource?: (file: string) => string;
}

export function parseSide(spec: string): SideSpec {
  if (!spec.startsWith("git:")) return { kind: "path", spec, path: spec };
  const rest = spec.slice(4);
  const colon = rest.indexOf(":");
  const ref = colon < 0 ? rest : rest.slice(0, colon);
  const path = colon < 0 ? undefined : rest.slice(colon + 1);
  if (ref === "") throw new DiffInputError(`${spec}: expected git:<ref>[:path], e.g. git:main:mesh.ts`);
  return path === undefined || path === "" ? { kind: "git", spec, ref } : { kind: "git", spec, ref, path };
}

/** Loads both sides (the path of one fills in a git side that names none). Temporary folders are removed. */
export async function loadSides(baseSpec: string, headSpec: string, cwd = process.cwd()): Promise<[LoadedSide, LoadedSide]> {
  const base = parseSide(baseSpec);
  const head = parseSide(headSpec);
  const defaultPath = (other: SideSpec): string | undefined => (other.kind === "path" ? other.path : other.path);
  const b = await loadSide(base, defaultPath(head), cwd, "base");
  const h = await loadSide(head, defaultPath(base), cwd, "head");
  return [b, h];
}

async function loadSide(side: SideSpec, otherPath: string | undefined, cwd: string, role: string): Promise<LoadedSide> {
  if (side.kind === "path") {
    const abs = resolve(cwd, side.path);
    return loadLocal(side.spec, abs, role, (file) => toSlash(relative(cwd, file)) || ".");
  }
  const top = gitTopLevel(cwd, side.spec);
  const commit = git(["rev-parse", "--verify", "--quiet", `${side.ref}^{commit}`], top);
  if (commit === undefined) throw new DiffInputError(`${side.spec}: unknown git revision "${side.ref}" in ${top}`);
  const inRepo = repoPath(side.path ?? otherPath ?? "mesh.ts", side.path === undefined, cwd, top, side.spec);
  const tmp = makeTempDir("meshc-diff-");
  try {
    const r = spawnSync("sh", ["-c", 'git -C "$1" archive --format=tar "$2" | tar -x -C "$3"', "sh", top, commit, tmp], { encoding: "utf8" });
    if (r.status !== 0) throw new DiffInputError(`${side.spec}: git archive ${commit.slice(0, 12)} failed: ${r.stderr.trim()}`);
    // Bare imports in the mesh (other than "meshc") resolve from node_modules, which git does not hold.
    if (existsSync(join(top, "node_modules")) && !existsSync(join(tmp, "node_modules"))) symlinkSync(join(top, "node_modules"), join(tmp, "node_modules"), "dir");
    const where = join(tmp, inRepo);
    if (!existsSync(where)) throw new DiffInputError(`${side.spec}: ${inRepo} does not exist at ${side.ref} (${commit.slice(0, 12)})`);
    return await loadLocal(side.spec, where, role, (file) => `${side.ref}:${toSlash(relative(tmp, file))}`);
  } finally {
    removeTempDir(tmp);
  }
}

async function loadLocal(label: string, abs: string, role: string, show: (absFile: string) => string): Promise<LoadedSide> {
  let isDir: boolean;
  try {
    isDir = statSync(abs).isDirectory();
  } catch (err) {
    throw new DiffInputError(`${label}: cannot read the ${role} side: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : (err as Error).message}`);
  }
  if (isDir && existsSync(join(abs, MANIFEST))) {
    const read = await readBuildDir(abs);
    if (!read.ok) {
      const shown = read.problems.slice(0, 10).map((p) => `  ${show(p.file)}: ${p.message}`);
      if (read.problems.length > 10) shown.push(`  … ${read.problems.length - 10} more`);
      throw new DiffInputError(`${label}: not a valid meshc build directory:\n${shown.join("\n")}`);
    }
    return { label, form: "build", snapshot: read.snapshot };
  }
  const entry = isDir ? join(abs, "mesh.ts") : abs;
  if (!existsSync(entry)) throw new DiffInputError(`${label}: ${show(abs)} is a folder with neither ${MANIFEST} (a build directory) nor mesh.ts`);
  const result = await compileMesh(entry);
  if (!result.snapshot || !result.ir) {
    throw new DiffInputError(`${label}: the ${role} mesh ${show(entry)} does not compile`, result.diagnostics);
  }
  const baseDir = result.baseDir;
  return { label, form: "mesh", snapshot: result.snapshot, ir: result.ir, showSource: (file) => show(join(baseDir, file)) };
}

function git(args: string[], cwd: string): string | undefined {
  try {
    return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch {
    return undefined;
  }
}

function gitTopLevel(cwd: string, spec: string): string {
  const top = git(["rev-parse", "--show-toplevel"], cwd);
  if (top === undefined) throw new DiffInputError(`${spec}: ${cwd} is not inside a git repository (or git is not installed)`);
  return top;
}

/**
 * The path inside the repository. An explicit path follows git's <rev>:<path> rule (top-level relative unless it
 * starts with ./ or ../); a path borrowed from the other side is a local path, so it is taken from the current folder.
 */
function repoPath(path: string, borrowed: boolean, cwd: string, top: string, spec: string): string {
  const fromCwd = borrowed || path === "." || path.startsWith("./") || path.startsWith("../") || isAbsolute(path);
  const abs = fromCwd ? resolve(realpathSync(cwd), path) : resolve(top, path);
  const rel = relative(top, abs);
  if (rel.startsWith("..") || isAbsolute(rel)) throw new DiffInputError(`${spec}: ${path} is outside the repository ${top}`);
  return rel;
}

function toSlash(p: string): string {
  return p.split(sep).join("/");
}
