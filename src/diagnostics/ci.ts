// What CI-facing diagnostic output needs beyond the diagnostics themselves:
//   - the path base: annotations and SARIF name files relative to the repository root, whatever folder a workflow
//     step runs in. Order: --path-base, then $GITHUB_WORKSPACE, then the git top level of the current folder, then
//     the current folder.
//   - the documentation link of a code: its section of docs/diagnostics.md (GitHub's heading anchor, e.g.
//     #mesh0101-unknownservice). The base is $MESHC_DOCS_URL when set (e.g. your mirror of the docs on the web),
//     else the copy shipped in the meshc package (a file: URL).
//   - the check an input is readable before compiling, so a missing file is a usage error (exit 2).
import { execFileSync } from "node:child_process";
import { accessSync, constants, realpathSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { codeInfo } from "../analysis/codes.js";
import { packageInfo } from "../runtime/package-root.js";

export function pathBase(flag: string | undefined, cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined && flag !== "") return realpathOr(resolve(cwd, flag));
  if (env.GITHUB_WORKSPACE) return realpathOr(resolve(env.GITHUB_WORKSPACE));
  try {
    const top = execFileSync("git", ["rev-parse", "--show-toplevel"], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    if (top) return top;
  } catch {
    // not in a git repository, or no git: fall through
  }
  return realpathOr(resolve(cwd));
}

/** `file` (absolute, or relative to cwd) relative to `base` with "/" separators; undefined when outside it. */
export function relativeToBase(file: string, base: string, cwd: string = process.cwd()): string | undefined {
  const abs = realpathOr(isAbsolute(file) ? file : resolve(cwd, file));
  const rel = relative(base, abs);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return undefined;
  return rel.split(sep).join("/");
}

/** GitHub's heading anchor for "## MESH0101 UnknownService": "mesh0101-unknownservice". */
export function docsAnchor(code: string): string {
  const name = codeInfo(code)?.name;
  return (name ? `${code} ${name}` : code).toLowerCase().replace(/[^a-z0-9 -]/g, "").replace(/ /g, "-");
}

/** The URL of the docs base (diagnostics.md), no anchor. */
export function docsBase(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MESHC_DOCS_URL) return env.MESHC_DOCS_URL.replace(/#.*$/, "");
  return pathToFileURL(join(packageInfo().root, "docs", "diagnostics.md")).href;
}

export function docsUrl(code: string, env: NodeJS.ProcessEnv = process.env): string {
  return `${docsBase(env)}#${docsAnchor(code)}`;
}

/** For people: the shipped docs as a path relative to cwd when under it (node_modules/meshc/docs/…), else the URL. */
export function docsLink(code: string, cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): string {
  if (env.MESHC_DOCS_URL) return docsUrl(code, env);
  const file = join(packageInfo().root, "docs", "diagnostics.md");
  const rel = relative(cwd, file);
  const shown = rel.startsWith("..") || isAbsolute(rel) ? file : rel.split(sep).join("/");
  return `${shown}#${docsAnchor(code)}`;
}

/** Why `path` cannot be read as a mesh entry (missing, a folder, no permission), or undefined when it can. */
export function unreadableInput(path: string): string | undefined {
  try {
    const st = statSync(path);
    if (st.isDirectory()) return `${path} is a directory, not a mesh module (expected e.g. ${join(path, "mesh.ts")})`;
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return `cannot read ${path}: no such file`;
    if (code === "EACCES") return `cannot read ${path}: permission denied`;
    return `cannot read ${path}: ${(err as Error).message}`;
  }
}

function realpathOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}
