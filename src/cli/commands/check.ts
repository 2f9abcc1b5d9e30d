// `meshc check <mesh.ts>`: every problem at once, nothing written. Exit 0 = clean (warnings allowed unless
// --strict), 1 = diagnostics, 2 = usage or internal error. The full pipeline runs, so a mesh that checks clean
// also builds: the Envoy backend and Envoy's schema rules are part of the check.
import { Option, type Command } from "@commander-js/extra-typings";
import { OUTPUT_FORMATS, type OutputFormat, exitCodeFor, render, shouldUseColor } from "../../diagnostics/render.js";
import { compileMesh } from "../../pipeline.js";
import { compareDiagnostics } from "../../frontend/index.js";
import { envoyGate } from "../envoy-gate.js";

export function register(program: Command): void {
  program
    .command("check")
    .description("type-check, validate and analyze a mesh; report every problem with its code, location and hint")
    .argument("<mesh>", "the mesh entry module (mesh.ts)")
    .option("--strict", "warnings fail too")
    .addOption(
      new Option("--envoy", "also run the real Envoy (envoy --mode validate) on every distinct proxy configuration; fails closed"),
    )
    .option("--envoy-bin <path>", "Envoy binary for --envoy (default: $ENVOY_BIN, then envoy on PATH, then the project's .envoy/)")
    .addOption(
      new Option("--format <format>", "output format")
        .choices(OUTPUT_FORMATS as readonly OutputFormat[])
        .default((process.env.GITHUB_ACTIONS === "true" ? "github" : "human") as OutputFormat),
    )
    .action(async (mesh, opts) => {
      const result = await compileMesh(mesh);
      if (opts.envoy === true && exitCodeFor(result.diagnostics, { strict: opts.strict === true }) === 0) {
        // Only a mesh meshc itself accepts is worth Envoy's time; its findings make the result fail.
        result.diagnostics = [...result.diagnostics, ...(await envoyGate(result, opts.envoyBin !== undefined ? { envoyBin: opts.envoyBin } : {}))].sort(compareDiagnostics);
      }
      const out = render(result.diagnostics, opts.format, { color: shouldUseColor(process.stderr) });
      // JSON is machine output (stdout); people's output goes to stderr with the other diagnostics.
      if (opts.format === "json") process.stdout.write(out);
      else process.stderr.write(out);
      process.exitCode = exitCodeFor(result.diagnostics, { strict: opts.strict === true });
    });
}
