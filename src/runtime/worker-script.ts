// The script of a worker thread (evaluation, test file, type check): bundled once per process from the sources in a
// checkout (always current) and run from a file that lives as long as the process (temp-dirs.ts); the bundle that
// scripts/build.mjs wrote to dist/ in an installed package, which has no sources to bundle from.
import { build } from "esbuild";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../frontend/paths.js";
import { processScript } from "./temp-dirs.js";

type Script = { file: string } | { text: string };
const scripts = new Map<string, Promise<Script>>();

/** `name` is the worker's module, e.g. "frontend/eval-worker": src/<name>.ts, dist/<basename>.js. */
export async function workerScriptFile(name: string, external: string[] = []): Promise<string> {
  const base = name.slice(name.lastIndexOf("/") + 1);
  let script = scripts.get(name);
  if (script === undefined) {
    script = (async (): Promise<Script> => {
      const entry = join(packageRoot(), "src", `${name}.ts`);
      if (!existsSync(entry)) return { file: join(packageRoot(), "dist", `${base}.js`) };
      const r = await build({ entryPoints: [entry], bundle: true, platform: "node", format: "esm", target: "node20", write: false, logLevel: "silent", external });
      return { text: r.outputFiles[0]!.text };
    })();
    script.catch(() => scripts.delete(name));
    scripts.set(name, script);
  }
  const s = await script;
  // Looked up at every start: processScript writes the file again if something removed it meanwhile.
  return "file" in s ? s.file : processScript(`${base}.mjs`, s.text);
}
