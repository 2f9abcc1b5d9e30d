// Reads a build directory (`meshc build --out DIR`) back into a MeshSnapshot, so `meshc serve DIR` can serve what
// CI reviewed. Every resource goes through the same strict codec and (validate.rules) as a compile, and equal
// resources are shared across proxies exactly as the translator shares them. One-off reads; `meshc serve` keeps a
// BuildDirReader (build-dir-reader.ts) so each reload reuses what did not change.
import { BuildDirReader, type ReadBuildResult } from "./build-dir-reader.js";

export type { BuildDirProblem, ReadBuildResult, ReadStats } from "./build-dir-reader.js";
export { BuildDirReader } from "./build-dir-reader.js";

export async function readBuildDir(dir: string, signal?: AbortSignal): Promise<ReadBuildResult> {
  return new BuildDirReader().read(dir, signal);
}
