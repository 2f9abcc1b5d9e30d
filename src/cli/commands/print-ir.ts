// `meshc print-ir <mesh.ts>`: the mesh IR (resolved references, defaults applied) as JSON or YAML on stdout, for
// reading what the front end made of a mesh. Diagnostics go to stderr; exit 1 if the front end reported errors.
import { Option, type Command } from "@commander-js/extra-typings";
import { stringify } from "yaml";
import { stableJson } from "../../build/render.js";
import { exitCodeFor, render, shouldUseColor } from "../../diagnostics/render.js";
import { loadMesh } from "../../frontend/index.js";
import { unreadableInput } from "../../diagnostics/ci.js";
import { addEvalOptions, evalLimits } from "../eval-options.js";

export function register(program: Command): void {
  const cmd = program
    .command("print-ir")
    .description("print the mesh IR that the backends compile")
    .argument("<mesh>", "the mesh entry module (mesh.ts)")
    .addOption(new Option("-o, --output <format>", "output format").choices(["json", "yaml"] as const).default("json" as const));
  addEvalOptions(cmd).action(async (mesh, opts, command) => {
      const unreadable = unreadableInput(mesh);
      if (unreadable) command.error(`meshc print-ir: ${unreadable}`, { exitCode: 2 });
      const loaded = await loadMesh(mesh, evalLimits(opts as { evalTimeout?: number; evalMaxHeap?: number }));
      if (loaded.diagnostics.length) process.stderr.write(render(loaded.diagnostics, "human", { color: shouldUseColor(process.stderr) }));
      if (!loaded.ir) {
        process.exitCode = 1;
        return;
      }
      const json = stableJson(loaded.ir);
      process.stdout.write(opts.output === "json" ? json : stringify(JSON.parse(json), { lineWidth: 0 }));
      process.exitCode = exitCodeFor(loaded.diagnostics);
    });
}
