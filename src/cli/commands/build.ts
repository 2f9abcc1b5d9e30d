// `meshc build <mesh.ts> --out <dir>`: compile the mesh and write every proxy's configuration, one folder per
// service holding {cds,eds,lds,rds}.json DiscoveryResponses, plus manifest.json (see src/build/render.ts).
// Diagnostics go to stderr in the chosen format. Exit 0 = written, 1 = errors (or warnings with --strict) and
// nothing written, 2 = usage or internal error (including an --out that is not a meshc build directory).
// The output directory is replaced atomically: on any failure it is left exactly as it was.
import { Option, type Command } from "@commander-js/extra-typings";
import { relative } from "node:path";
import { renderBuild } from "../../build/render.js";
import { BuildDirError, writeBuildDir } from "../../build/write.js";
import { OUTPUT_FORMATS, type OutputFormat, exitCodeFor, render } from "../../diagnostics/render.js";
import { compileMesh } from "../../pipeline.js";
import { compareDiagnostics } from "../../frontend/index.js";
import { envoyGate } from "../envoy-gate.js";

export function register(program: Command): void {
  program
    .command("build")
    .description("compile a mesh and write each proxy's xDS configuration (one folder per service) to --out")
    .argument("<mesh>", "the mesh entry module (mesh.ts)")
    .requiredOption("-o, --out <dir>", "output directory (replaced atomically)")
    .option("--strict", "treat warnings as errors")
    .addOption(
      new Option("--envoy", "also run the real Envoy (envoy --mode validate) on every distinct proxy configuration; fails closed"),
    )
    .option("--envoy-bin <path>", "Envoy binary for --envoy (default: $ENVOY_BIN, then envoy on PATH, then the project's .envoy/)")
    .addOption(
      new Option("--format <format>", "diagnostics format")
        .choices(OUTPUT_FORMATS as readonly OutputFormat[])
        .default((process.env.GITHUB_ACTIONS === "true" ? "github" : "human") as OutputFormat),
    )
    .action(async (mesh, opts) => {
      const strict = opts.strict === true;
      const result = await compileMesh(mesh);
      if (opts.envoy === true && exitCodeFor(result.diagnostics, { strict: opts.strict === true }) === 0) {
        // Only a mesh meshc itself accepts is worth Envoy's time; its findings make the result fail.
        result.diagnostics = [...result.diagnostics, ...(await envoyGate(result, opts.envoyBin !== undefined ? { envoyBin: opts.envoyBin } : {}))].sort(compareDiagnostics);
      }
      if (result.diagnostics.length) process.stderr.write(render(result.diagnostics, opts.format));
      if (exitCodeFor(result.diagnostics, { strict }) !== 0 || !result.snapshot || !result.ir) {
        process.exitCode = 1;
        return;
      }
      const files = renderBuild(result.ir.name, result.snapshot);
      try {
        await writeBuildDir(opts.out, files);
      } catch (err) {
        if (err instanceof BuildDirError) {
          process.stderr.write(`meshc build: ${err.message}\n`);
          process.exitCode = 2;
          return;
        }
        throw err;
      }
      if (opts.format === "human") {
        const n = result.snapshot.proxies.size;
        process.stderr.write(`meshc: wrote ${n} prox${n === 1 ? "y" : "ies"} (${files.size} files) to ${relative(process.cwd(), opts.out) || "."}\n`);
      }
    });
}
