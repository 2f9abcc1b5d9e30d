// The script of a worker thread (evaluation, test file, type check): bundled once per process from the sources in a
// checkout (always current) and run from a file that lives as long as the process (temp-dirs.ts); the bundle that
// scripts/build.mjs wrote to dist/ in an installed package, which has no sources to bundle from.
import { build } from "esbuild";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../frontend/paths.js";
import { processScript } from "./temp-dirs.js";

const scripts = new Map<string, Promise<string>>();

/** `name` is the worker's module, e.g. "frontend/eval-worker": src/<name>.ts, dist/<basename>.js. */
export function workerScriptFile(name: string, external: string[] = []): Promise<string> {
  let file = scripts.get(name);
  if (file === undefined) {
    const base = name.slice(name.lastIndexOf("/") + 1);
    file = (async () => {
      const entry = join(packageRoot(), "src", `${name}.ts`);
      if (!existsSync(entry)) return join(packageRoot(), "dist", `${base}.js`);
      const r = await build({ entryPoints: [entry], bundle: true, platform: "node", format: "esm", target: "node20", write: false, logLevel: "silent", external });
      return processScript(`${base}.mjs`, r.outputFiles[0]!.text);
    })();
    file.catch(() => scripts.delete(name));
    scripts.set(name, file);
  }
  return file;
}
