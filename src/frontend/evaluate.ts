// Stage 2: bundle the mesh's import graph with esbuild (the DSL included, so the model and its brands come from one
// copy); isolate.ts evaluates it as ESM from a temp file in a worker thread. Packages the mesh imports stay
// external, pinned to the files they resolve to from the user's directory (the temp file lives elsewhere).
import { build, type Message, type Plugin } from "esbuild";
import { dirname, isAbsolute, join, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import type { Diagnostic } from "../diagnostics/types.js";
import { codes } from "./codes.js";
// call-marks.ts (and acorn) is imported while esbuild bundles, not before the build can start.
let callMarks: Promise<typeof import("./call-marks.js")> | undefined;
const loadCallMarks = () => (callMarks ??= import("./call-marks.js"));
import type { RawSourceMap } from "./sourcemap.js";

export interface Bundle {
  /** Absolute path the bundle is evaluated from (its source map's paths are relative to its directory). */
  file: string;
  /** The bundled code (without a sourceMappingURL: the loader maps positions itself, see sourcemap.ts). */
  text: string;
  map: RawSourceMap;
  /** Absolute paths of every bundled module. */
  inputs: string[];
}

const SKIP = Symbol("meshc.resolve-skip");

/**
 * Bare imports other than meshc: resolved from the importer (esbuild's own resolver), then kept external by
 * absolute URL, since the bundle runs from a temp directory where the user's node_modules are out of reach.
 */
const externalPackages: Plugin = {
  name: "meshc-external-packages",
  setup(b) {
    // Bare specifiers except exactly "meshc" (left to the alias, without a call into JS: Go regexps lack lookahead).
    b.onResolve({ filter: /^(?:[^./m]|m$|m[^e]|me$|me[^s]|mes$|mes[^h]|mesh$|mesh[^c]|meshc.)/ }, async (args) => {
      if (args.pluginData === SKIP || isAbsolute(args.path) || args.path === "meshc/test") return undefined; // "meshc/test": the alias
      const r = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: SKIP });
      if (r.errors.length > 0) return { errors: r.errors };
      if (r.external || !isAbsolute(r.path)) return { path: r.path, external: true };
      return { path: pathToFileURL(r.path).href, external: true };
    });
  },
};

function messageToDiagnostic(m: Message, cwd: string): Diagnostic {
  const d: Diagnostic = { code: codes.EvaluationError, severity: "error", message: `cannot bundle the mesh: ${m.text}` };
  if (m.location) {
    d.file = resolve(cwd, m.location.file);
    d.line = m.location.line;
    d.column = m.location.column + 1;
  }
  return d;
}

/** Bundles `entry` into a temp directory's file name (not yet written). */
export async function bundleMesh(
  entry: string,
  dslEntry: string,
  outDir: string,
  options: { /** Mark the user's calls (call-marks.ts). @default true */ markCalls?: boolean } = {},
): Promise<{ bundle?: Bundle; diagnostics: Diagnostic[] }> {
  const cwd = process.cwd();
  const file = join(outDir, "mesh.bundle.mjs");
  const marking = options.markCalls === false ? undefined : loadCallMarks();
  marking?.catch(() => undefined); // a failure to load surfaces where it is awaited
  try {
    const result = await build({
      entryPoints: [resolve(entry)],
      outfile: file,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      write: false,
      // An external map kept in memory: Node never parses it (with source maps enabled it would, ~200 ms on
      // a 1,000-service mesh); the loader maps call sites and stack frames itself, lazily.
      sourcemap: "external",
      sourcesContent: false,
      metafile: true,
      treeShaking: false,
      logLevel: "silent",
      tsconfigRaw: {},
      // An alias, not a plugin: the bundle runs while the main thread type-checks, and a plugin would wait for it.
      // "meshc/test": the test DSL beside it, for *.mesh.test.ts files (src/testing/).
      alias: { meshc: dslEntry, "meshc/test": join(dirname(dslEntry), "testing.ts") },
      plugins: [externalPackages],
    });
    const code = result.outputFiles.find((f) => f.path === file);
    const mapFile = result.outputFiles.find((f) => f.path === `${file}.map`);
    if (!code || !mapFile) throw new Error(`esbuild produced no ${file} and ${file}.map`);
    const inputKeys = Object.keys(result.metafile.inputs);
    const inputs = inputKeys.map((p) => resolve(cwd, p));
    const unmarked = { text: code.text, map: JSON.parse(mapFile.text) as RawSourceMap };
    const { text, map } = marking ? markUserCalls((await marking).markCalls, unmarked.text, unmarked.map, inputKeys, cwd, dirname(dslEntry)) : unmarked;
    return { bundle: { file, text, map, inputs }, diagnostics: [] };
  } catch (e) {
    const errors = (e as { errors?: Message[] }).errors;
    if (Array.isArray(errors) && errors.length > 0) return { diagnostics: errors.map((m) => messageToDiagnostic(m, cwd)) };
    throw e;
  }
}

/**
 * The bundle with the user's calls marked (call-marks.ts: call sites captured once per call expression and DSL
 * function, not once per call); unmarked when marking would not pay or the user's modules cannot be parsed for it.
 * Modules under the DSL's directory are left as they are.
 */
function markUserCalls(
  markCalls: typeof import("./call-marks.js").markCalls,
  text: string,
  map: RawSourceMap,
  inputKeys: string[],
  cwd: string,
  dslDir: string,
): { text: string; map: RawSourceMap } {
  const dslPrefix = dslDir.endsWith(sep) ? dslDir : dslDir + sep;
  const marked = markCalls(text, map, inputKeys, (input) => !resolve(cwd, input).startsWith(dslPrefix));
  return marked ?? { text, map };
}

