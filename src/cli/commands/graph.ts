// `meshc graph <mesh.ts> [-o svg|dot|mermaid|html]`: the service graph (services with their ports and subsets,
// calls as edges, weighted splits and mirrors labelled, HTTP/gRPC/TCP told apart, proxyless clients marked) on
// stdout or into --out. The mesh is compiled in full first: a mesh with errors gets its diagnostics and exit 1, and
// no picture. SVG is rendered in process (WebAssembly Graphviz, src/graph/svg.ts); every format is deterministic.
import { Option, type Command } from "@commander-js/extra-typings";
import { writeFileSync } from "node:fs";
import { unreadableInput } from "../../diagnostics/ci.js";
import { exitCodeFor, render, shouldUseColor } from "../../diagnostics/render.js";
import { renderDot } from "../../graph/dot.js";
import { renderHtml } from "../../graph/html.js";
import { renderMermaid } from "../../graph/mermaid.js";
import { graphFromIr } from "../../graph/model.js";
import { renderSvg } from "../../graph/svg.js";
import { compileMesh } from "../../pipeline.js";
import { addEvalOptions, evalLimits } from "../eval-options.js";

export const GRAPH_FORMATS = ["svg", "dot", "mermaid", "html"] as const;

export function register(program: Command): void {
  const cmd = program
    .command("graph")
    .description("draw the service graph of a mesh (who calls whom, splits, mirrors, protocols) as SVG, DOT, Mermaid or an HTML page")
    .argument("<mesh>", "the mesh entry module (mesh.ts)")
    .addOption(new Option("-o, --output <format>", "output format").choices(GRAPH_FORMATS).default("svg" as const))
    .option("--out <file>", "write to this file instead of stdout");
  addEvalOptions(cmd).action(async (mesh, opts, command) => {
    const unreadable = unreadableInput(mesh);
    if (unreadable) command.error(`meshc graph: ${unreadable}`, { exitCode: 2 });
    const result = await compileMesh(mesh, evalLimits(opts as { evalTimeout?: number; evalMaxHeap?: number }));
    if (result.diagnostics.length) process.stderr.write(render(result.diagnostics, "human", { color: shouldUseColor(process.stderr) }));
    if (!result.ir || !result.snapshot) {
      process.exitCode = 1;
      return;
    }
    const g = graphFromIr(result.ir);
    const text =
      opts.output === "dot" ? renderDot(g) : opts.output === "mermaid" ? renderMermaid(g) : opts.output === "html" ? await renderHtml(g) : await renderSvg(g);
    if (opts.out) writeFileSync(opts.out, text);
    else process.stdout.write(text);
    process.exitCode = exitCodeFor(result.diagnostics);
  });
}
