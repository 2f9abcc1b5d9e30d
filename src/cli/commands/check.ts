// `meshc check <mesh.ts>`: every problem at once, nothing written. Exit 0 = clean (warnings allowed unless
// --strict), 1 = diagnostics, 2 = usage or internal error. The full pipeline runs, so a mesh that checks clean
// also builds: the Envoy backend and Envoy's schema rules are part of the check.
import { Option, type Command } from "@commander-js/extra-typings";
import { unreadableInput } from "../../diagnostics/ci.js";
import { writeDiagnostics } from "../../diagnostics/output.js";
import { OUTPUT_FORMATS, type OutputFormat, exitCodeFor } from "../../diagnostics/render.js";
import { compileMesh } from "../../pipeline.js";
import { addEvalOptions, evalLimits } from "../eval-options.js";
import { compareDiagnostics } from "../../frontend/index.js";
import { envoyGate } from "../envoy-gate.js";
import { strictPatchDiagnostics } from "../../patch/apply.js";

export function register(program: Command): void {
  const cmd = program
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
    .option("--path-base <dir>", "github/sarif: name files relative to this folder (default: $GITHUB_WORKSPACE, else the git top level)");
  addEvalOptions(cmd).action(async (mesh, opts, command) => {
      const unreadable = unreadableInput(mesh);
      if (unreadable) command.error(`meshc check: ${unreadable}`, { exitCode: 2 });
      const result = await compileMesh(mesh, { ...evalLimits(opts as { evalTimeout?: number; evalMaxHeap?: number }), persistTypecheck: true });
      // --strict lists every mesh.patch() that changed something (MESH0242, a warning, so strict fails on it).
      if (opts.strict === true && result.patches) result.diagnostics = [...result.diagnostics, ...strictPatchDiagnostics(result.patches, result.baseDir)].sort(compareDiagnostics);
      if (opts.envoy === true && exitCodeFor(result.diagnostics, { strict: opts.strict === true }) === 0) {
        // Only a mesh meshc itself accepts is worth Envoy's time; its findings make the result fail.
        result.diagnostics = [...result.diagnostics, ...(await envoyGate(result, opts.envoyBin !== undefined ? { envoyBin: opts.envoyBin } : {}))].sort(compareDiagnostics);
      }
      // Machine formats (json, github, sarif) on stdout; people's output on stderr (src/diagnostics/output.ts).
      writeDiagnostics(result, { format: opts.format, ...(opts.pathBase !== undefined ? { pathBase: opts.pathBase } : {}) });
      process.exitCode = exitCodeFor(result.diagnostics, { strict: opts.strict === true });
    });
}
