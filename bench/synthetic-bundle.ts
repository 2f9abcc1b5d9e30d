// The data-style synthetic mesh written to .tmp/<name>-<services>/ and bundled the way the front end bundles a
// mesh.ts (what the in-process front-end benches, eval-stages.ts and front-stages.ts, start from).
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { bundleMesh } from "../src/frontend/evaluate.js";
import { dslEntry } from "../src/frontend/paths.js";
import { syntheticMeshFiles } from "./synthetic-mesh.js";

/** Writes and bundles the mesh (the bundle written to its file); returns its folder and the bundle. */
export async function bundleSyntheticMesh(name: string, services: number) {
  const dir = join(resolve(import.meta.dirname, ".."), ".tmp", `${name}-${services}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "out"), { recursive: true });
  for (const [file, text] of Object.entries(syntheticMeshFiles({ services, style: "data" }))) writeFileSync(join(dir, file), text);
  const bundled = await bundleMesh(join(dir, "mesh.ts"), dslEntry(), join(dir, "out"));
  if (!bundled.bundle) throw new Error(`bundling failed: ${JSON.stringify(bundled.diagnostics)}`);
  writeFileSync(bundled.bundle.file, bundled.bundle.text);
  return { dir, bundle: bundled.bundle };
}
