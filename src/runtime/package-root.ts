// Locates meshc's own package folder (the one whose package.json is named "meshc") by walking up from this module.
// Works from src/ under tsx, from the esbuild bundle in dist/, and from an installed node_modules/meshc.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface PackageInfo {
  root: string;
  version: string;
}

let cached: PackageInfo | undefined;

export function findPackageRoot(from: string = fileURLToPath(import.meta.url)): PackageInfo | undefined {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const pj = join(dir, "package.json");
    if (existsSync(pj)) {
      try {
        const json = JSON.parse(readFileSync(pj, "utf8")) as { name?: unknown; version?: unknown };
        if (json.name === "meshc") return { root: dir, version: String(json.version ?? "0.0.0") };
      } catch {
        // An unreadable package.json on the way up is not ours; keep walking.
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** meshc's package root and version; throws if this module is not inside the meshc package. */
export function packageInfo(): PackageInfo {
  cached ??= findPackageRoot();
  if (!cached) throw new Error(`cannot find meshc's package.json above ${fileURLToPath(import.meta.url)}`);
  return cached;
}
